"""sensor_msgs/Image <-> numpy arrays in the project's encodings, for rclpy and rosbags alike.

ROS-free: it works on any object with the Image fields, and the caller passes the message classes
(rclpy's generated ones in the nodes, the rosbags typestore's in the bag tools), so cv_bridge is not
needed (its ROS 1 port breaks under numpy 2). The encodings come from the project's one table
(`encodings.py`).

Reading honours `step` (row padding) and `is_bigendian`; a message whose data is shorter than
`step * height` or whose step cannot hold a row is corrupt (`CorruptImage`). Writing produces packed
rows in little-endian order, which is what every ROS 2 driver publishes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import encodings as enc
from .errors import CorruptImage, EncodeError
from .frame import Stamp


def stamp_of(msg: Any) -> Stamp:
    return Stamp(int(msg.header.stamp.sec), int(msg.header.stamp.nanosec))


def image_to_array(msg: Any, allowed: tuple[str, ...] | None = None, *, copy: bool = False) -> np.ndarray:
    """HxW (mono) or HxWxC array of an Image in its own encoding and native byte order.

    A view over `msg.data` when no byte swap is needed, unless `copy` (own, writable memory, for
    arrays that outlive the message or go to torch). Raises EncodeError for an encoding outside
    `allowed` (default: every encoding in the table), CorruptImage for inconsistent fields.
    """
    info = enc.lookup(str(msg.encoding), allowed if allowed is not None else tuple(enc.ENCODINGS))
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    itemsize = np.dtype(info.dtype).itemsize
    row = w * info.channels * itemsize
    if h < 1 or w < 1:
        raise CorruptImage(f"empty {info.name} image {h}x{w}")
    if step < row:
        raise CorruptImage(f"{info.name} image {h}x{w}: step {step} is shorter than a row ({row} bytes)")
    try:  # bytes, array.array (rclpy), a contiguous numpy array (rosbags): no copy
        buf = np.frombuffer(msg.data, np.uint8)
    except (TypeError, ValueError):  # a plain sequence
        buf = np.asarray(msg.data, dtype=np.uint8).ravel()
    if buf.size < h * step:
        raise CorruptImage(f"{info.name} image {h}x{w} step {step}: data has {buf.size} bytes, "
                           f"{h} rows need {h * step}")
    rows = buf[: h * step].reshape(h, step)[:, :row]
    order = ">" if msg.is_bigendian else "<"
    dtype = np.dtype(info.dtype).newbyteorder(order) if itemsize > 1 else np.dtype(np.uint8)
    if itemsize > 1 and not rows.flags.c_contiguous:
        rows = np.ascontiguousarray(rows)
    arr = rows.view(dtype).reshape((h, w) if info.channels == 1 else (h, w, info.channels))
    if itemsize > 1 and not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
    return np.array(arr) if copy and arr.base is not None else arr


def array_to_image(arr: np.ndarray, encoding: str, stamp: Stamp, frame_id: str, image_cls: Any,
                   header_cls: Any, time_cls: Any, *, data_as_array: bool = False) -> Any:
    """An Image of `image_cls` (little-endian, no row padding) holding `arr` in `encoding`.

    The pixels go in as bytes (rclpy copies bytes in C; a numpy array it checks element by
    element); rosbags' serialiser needs a numpy array: `data_as_array=True` gives a uint8 view."""
    info = enc.ENCODINGS.get(encoding)
    if info is None:
        raise EncodeError(f"unsupported encoding {encoding!r}; supported: {', '.join(enc.ENCODINGS)}")
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    if arr.ndim not in (2, 3) or channels != info.channels or arr.dtype != info.dtype:
        raise EncodeError(f"{encoding} needs {info.channels} channel(s) of {np.dtype(info.dtype).name}, "
                          f"got {arr.shape} {arr.dtype}")
    raw = np.ascontiguousarray(arr, dtype=np.dtype(info.dtype).newbyteorder("<")).view(np.uint8).ravel()
    return image_cls(
        header=header_cls(stamp=time_cls(sec=stamp.sec, nanosec=stamp.nanosec), frame_id=frame_id),
        height=int(arr.shape[0]),
        width=int(arr.shape[1]),
        encoding=encoding,
        is_bigendian=0,
        step=int(arr.shape[1]) * info.channels * np.dtype(info.dtype).itemsize,
        data=raw if data_as_array else raw.tobytes(),
    )
