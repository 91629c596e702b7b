"""sensor_msgs/Image (rosbags message objects) <-> numpy arrays in the project's encodings.

Reading honours `step` (row padding) and `is_bigendian`; a message whose data is shorter than
`step * height` or whose step cannot hold a row is corrupt. Writing produces packed rows in
little-endian order, which is what every ROS 2 driver publishes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import encodings as enc
from ..errors import EncodeError
from ..frame import Stamp
from .types import HEADER_TYPE, IMAGE_TYPE, TIME_TYPE, classes


class CorruptImage(ValueError):
    """An Image message whose fields do not describe its data."""


def stamp_of(msg: Any) -> Stamp:
    return Stamp(int(msg.header.stamp.sec), int(msg.header.stamp.nanosec))


def image_to_array(msg: Any, allowed: tuple[str, ...]) -> np.ndarray:
    """The pixels of an Image as HxWxC (colour) or HxW (mono) array in native byte order.

    Raises EncodeError for an encoding not in `allowed`, CorruptImage for inconsistent fields.
    """
    info = enc.lookup(str(msg.encoding), allowed)
    h, w = int(msg.height), int(msg.width)
    itemsize = np.dtype(info.dtype).itemsize
    row = w * info.channels * itemsize
    step = int(msg.step)
    if h < 1 or w < 1:
        raise CorruptImage(f"empty image {h}x{w}")
    if step < row:
        raise CorruptImage(f"step {step} is shorter than a {w}-pixel {info.name} row ({row} bytes)")
    data = np.asarray(msg.data, dtype=np.uint8).ravel()
    if data.size < step * h:
        raise CorruptImage(f"data has {data.size} bytes, {h} rows of step {step} need {step * h}")
    rows = data[: step * h].reshape(h, step)[:, :row]
    order = ">" if msg.is_bigendian else "<"
    pixels = np.ascontiguousarray(rows).view(np.dtype(info.dtype).newbyteorder(order))
    pixels = pixels.reshape(h, w, info.channels).astype(info.dtype)  # native order, own memory
    return pixels[:, :, 0] if info.channels == 1 else pixels


def array_to_image(store: Any, image: np.ndarray, encoding: str, stamp: Stamp, frame_id: str) -> Any:
    """An Image message of `store`'s sensor_msgs/Image class with packed little-endian rows."""
    info = enc.ENCODINGS.get(encoding)
    if info is None:
        raise EncodeError(f"unsupported encoding {encoding!r}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels != info.channels or image.dtype != info.dtype:
        raise EncodeError(f"{encoding} needs {info.channels} channel(s) of {np.dtype(info.dtype).name}, "
                          f"got {image.shape} {image.dtype}")
    image_cls, header_cls, time_cls = classes(store, IMAGE_TYPE, HEADER_TYPE, TIME_TYPE)
    h, w = image.shape[:2]
    raw = np.ascontiguousarray(image, dtype=np.dtype(info.dtype).newbyteorder("<"))
    return image_cls(
        header=header_cls(stamp=time_cls(sec=stamp.sec, nanosec=stamp.nanosec), frame_id=frame_id),
        height=h,
        width=w,
        encoding=encoding,
        is_bigendian=0,
        step=w * info.channels * np.dtype(info.dtype).itemsize,
        data=raw.view(np.uint8).ravel(),
    )
