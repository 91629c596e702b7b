"""sensor_msgs/Image <-> numpy without cv_bridge (the ROS 1 port breaks under numpy 2).

Incoming images become numpy views over the message buffer, honouring `step` (row padding) and
`is_bigendian`; the encodings come from the project's one table (`rgbir_compress.encodings`).
"""
from __future__ import annotations

import numpy as np

from ..encodings import ENCODINGS, Encoding
from ..errors import EncodeError
from ..frame import Stamp


def _encoding(name: str, allowed: tuple[str, ...] | None) -> Encoding:
    if name not in ENCODINGS or (allowed is not None and name not in allowed):
        supported = ", ".join(allowed if allowed is not None else ENCODINGS)
        raise EncodeError(f"unsupported image encoding {name!r}; supported: {supported}")
    return ENCODINGS[name]


def image_to_array(msg, allowed: tuple[str, ...] | None = None) -> np.ndarray:
    """HxW (mono) or HxWxC array in the message's own encoding and native byte order.

    A view over `msg.data` when no byte swap is needed. Raises EncodeError for an encoding outside
    `allowed` (or the table) and for a buffer that does not hold height x step bytes.
    """
    enc = _encoding(str(msg.encoding), allowed)
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    itemsize = np.dtype(enc.dtype).itemsize
    row = w * enc.channels * itemsize
    if h < 1 or w < 1:
        raise EncodeError(f"empty {enc.name} image {h}x{w}")
    if step < row:
        raise EncodeError(f"{enc.name} image {h}x{w}: step {step} is less than a row ({row} bytes)")
    buf = np.frombuffer(msg.data, np.uint8)
    if buf.size < h * step:
        raise EncodeError(f"{enc.name} image {h}x{w} step {step}: data has {buf.size} bytes, needs {h * step}")
    rows = buf[: h * step].reshape(h, step)[:, :row]
    dtype = np.dtype(enc.dtype).newbyteorder(">" if msg.is_bigendian else "<") if itemsize > 1 else np.dtype(np.uint8)
    if itemsize > 1 and not rows.flags.c_contiguous:
        rows = np.ascontiguousarray(rows)
    arr = rows.view(dtype).reshape((h, w) if enc.channels == 1 else (h, w, enc.channels))
    if itemsize > 1 and not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def array_to_image(arr: np.ndarray, encoding: str, stamp: Stamp, frame_id: str, image_cls=None, time_cls=None):
    """A sensor_msgs/Image (little-endian, no row padding) holding `arr` in `encoding`."""
    if image_cls is None:
        from sensor_msgs.msg import Image as image_cls  # noqa: N813
    if time_cls is None:
        from builtin_interfaces.msg import Time as time_cls  # noqa: N813
    enc = _encoding(encoding, None)
    expected_ndim = 2 if enc.channels == 1 else 3
    if arr.ndim != expected_ndim or (enc.channels > 1 and arr.shape[2] != enc.channels):
        raise EncodeError(f"{encoding} needs {enc.channels} channel(s), got array {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.dtype(enc.dtype).newbyteorder("<"))
    msg = image_cls()
    msg.header.stamp = time_cls(sec=stamp.sec, nanosec=stamp.nanosec)
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(arr.shape[0]), int(arr.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(arr.shape[1] * enc.channels * arr.dtype.itemsize)
    msg.data = arr.tobytes()  # bytes: rclpy copies it in C; a numpy array is checked element by element
    return msg


def stamp_of(msg) -> Stamp:
    return Stamp(int(msg.header.stamp.sec), int(msg.header.stamp.nanosec))
