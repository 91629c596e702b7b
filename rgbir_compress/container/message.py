"""CompressedPair <-> CompressedRGBIR message, without importing ROS.

Works with any class that has the message's fields: rclpy's generated
`rgbir_compress.msg.CompressedRGBIR` and the dataclasses rosbags generates from the .msg text.
The caller passes the classes, so this module stays ROS-free. Both directions follow
`layout.FIELDS`, the one definition of the fields; stamp and frame_id travel in the message's header.
"""
from __future__ import annotations

import struct

import numpy as np

from ..codecs.base import CompressedPair
from ..errors import DecodeError
from ..frame import Stamp
from .layout import ADDED_IN_2, FIELDS, HEADER_FIELDS, fields
from .serialise import crc32_of, validate


def to_message(cp: CompressedPair, msg_cls, header_cls, time_cls, *, data_as_arrays: bool = False):
    """Build a CompressedRGBIR (of msg_cls) from a CompressedPair, with crc32 filled in.

    The bitstreams go in as the bytes they are (rclpy copies bytes in C; a numpy array it converts
    element by element). rosbags' serialiser needs numpy arrays: `data_as_arrays=True` gives
    zero-copy uint8 views instead."""
    values = {}
    for name, kind in FIELDS:
        value = getattr(cp, name)
        if kind == "stamp":
            value = time_cls(sec=value.sec, nanosec=value.nanosec)
        elif kind == "f32[]":
            value = np.asarray(value, np.float32)
        elif kind == "f32":
            value = float(value)
        elif kind == "bytes" and data_as_arrays:
            value = np.frombuffer(value, np.uint8)
        values[name] = value
    header = header_cls(**{HEADER_FIELDS[k]: values.pop(k) for k in HEADER_FIELDS})
    return msg_cls(header=header, crc32=crc32_of(cp), **values)


def _bytes(field) -> bytes:
    if isinstance(field, (bytes, bytearray)):
        return bytes(field)
    return np.asarray(field, dtype=np.uint8).tobytes()


def _get(msg, name: str):
    """A field of the message; stamp and frame_id live in its header."""
    return getattr(msg.header, HEADER_FIELDS[name]) if name in HEADER_FIELDS else getattr(msg, name)


#: Message field -> CompressedPair value, per wire type (layout.FIELDS).
_READ = {
    "stamp": lambda t: Stamp(int(t.sec), int(t.nanosec)),
    "str": str,
    "f32": lambda v: float(np.float32(v)),
    "u16": int,
    "u32": int,
    "i32": int,
    "bool": bool,
    "bytes": _bytes,
    "f32[]": lambda v: np.asarray(v, dtype=np.float32).ravel(),
}


def from_message(msg) -> CompressedPair:
    """CompressedPair from a message; checks crc32 and field sanity, raising DecodeError. A message
    of the version-1 definition (an old bag: no stream fields) reads as a still pair."""
    version = 2 if any(hasattr(msg, name) for name in ADDED_IN_2) else 1
    try:
        cp = CompressedPair(**{name: _READ[kind](_get(msg, name)) for name, kind in fields(version)})
        stored = int(msg.crc32)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:  # missing field, wrong type
        raise DecodeError(f"not a CompressedRGBIR message: {exc}") from exc
    try:
        expected = crc32_of(cp, version)
    except (ValueError, OverflowError, struct.error) as exc:  # a string over the limit, an int out of range
        raise DecodeError(f"corrupt CompressedRGBIR message: {exc}") from exc
    if stored != expected:
        raise DecodeError(
            f"CompressedRGBIR integrity check failed (crc32 {stored & 0xFFFFFFFF:08x} != {expected:08x}): "
            "corrupted or altered in transit"
        )
    validate(cp)
    return cp
