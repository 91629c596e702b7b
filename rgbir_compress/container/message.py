"""CompressedPair <-> CompressedRGBIR message, without importing ROS.

Works with any class that has the message's fields: rclpy's generated
`rgbir_compress.msg.CompressedRGBIR` and the dataclasses rosbags generates from the .msg text.
The caller passes the classes, so this module stays ROS-free.
"""
from __future__ import annotations

import struct

import numpy as np

from ..codecs.base import CompressedPair
from ..errors import DecodeError
from ..frame import Stamp
from .codec import crc32_of, validate


def to_message(cp: CompressedPair, msg_cls, header_cls, time_cls):
    """Build a CompressedRGBIR (of msg_cls) from a CompressedPair, with crc32 filled in."""
    return msg_cls(
        header=header_cls(stamp=time_cls(sec=cp.stamp.sec, nanosec=cp.stamp.nanosec), frame_id=cp.frame_id),
        thermal_stamp=time_cls(sec=cp.thermal_stamp.sec, nanosec=cp.thermal_stamp.nanosec),
        thermal_frame_id=cp.thermal_frame_id,
        codec=cp.codec,
        model_id=cp.model_id,
        quality=float(cp.quality),
        rgb_height=cp.rgb_height,
        rgb_width=cp.rgb_width,
        rgb_encoding=cp.rgb_encoding,
        thermal_height=cp.thermal_height,
        thermal_width=cp.thermal_width,
        thermal_encoding=cp.thermal_encoding,
        thermal_lo=cp.thermal_lo,
        thermal_hi=cp.thermal_hi,
        rgb_data=np.frombuffer(cp.rgb_data, np.uint8),
        thermal_data=np.frombuffer(cp.thermal_data, np.uint8),
        affine_gamma=np.asarray(cp.affine_gamma, np.float32),
        affine_beta=np.asarray(cp.affine_beta, np.float32),
        crc32=crc32_of(cp),
    )


def _bytes(field) -> bytes:
    if isinstance(field, (bytes, bytearray)):
        return bytes(field)
    return np.asarray(field, dtype=np.uint8).tobytes()


def from_message(msg) -> CompressedPair:
    """CompressedPair from a message; checks crc32 and field sanity, raising DecodeError."""
    try:
        cp = CompressedPair(
            codec=str(msg.codec),
            model_id=str(msg.model_id),
            quality=float(np.float32(msg.quality)),
            rgb_height=int(msg.rgb_height),
            rgb_width=int(msg.rgb_width),
            rgb_encoding=str(msg.rgb_encoding),
            thermal_height=int(msg.thermal_height),
            thermal_width=int(msg.thermal_width),
            thermal_encoding=str(msg.thermal_encoding),
            rgb_data=_bytes(msg.rgb_data),
            thermal_data=_bytes(msg.thermal_data),
            affine_gamma=np.asarray(msg.affine_gamma, dtype=np.float32).ravel(),
            affine_beta=np.asarray(msg.affine_beta, dtype=np.float32).ravel(),
            thermal_lo=int(msg.thermal_lo),
            thermal_hi=int(msg.thermal_hi),
            stamp=Stamp(int(msg.header.stamp.sec), int(msg.header.stamp.nanosec)),
            frame_id=str(msg.header.frame_id),
            thermal_stamp=Stamp(int(msg.thermal_stamp.sec), int(msg.thermal_stamp.nanosec)),
            thermal_frame_id=str(msg.thermal_frame_id),
        )
        stored = int(msg.crc32)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:  # missing field, wrong type
        raise DecodeError(f"not a CompressedRGBIR message: {exc}") from exc
    try:
        expected = crc32_of(cp)
    except (ValueError, OverflowError, struct.error) as exc:  # a string over the limit, an int out of range
        raise DecodeError(f"corrupt CompressedRGBIR message: {exc}") from exc
    if stored != expected:
        raise DecodeError(
            f"CompressedRGBIR integrity check failed (crc32 {stored & 0xFFFFFFFF:08x} != {expected:08x}): "
            "corrupted or altered in transit"
        )
    validate(cp)
    return cp
