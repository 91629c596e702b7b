"""Byte layout of the `.rgbir` container, version 1 (little-endian throughout).

    magic      4s   b"RGIR"
    version    u8   1
    flags      u8   0 (reserved)
    fields          FIELDS below, in the order of msg/CompressedRGBIR.msg (its header is
                    stamp + frame_id)
    crc32      u32  zlib.crc32 of every byte before it

stamp = i32 sec + u32 nanosec; str = u16 length + UTF-8; bytes = u32 length + data;
f32[] = u32 count + count * f32. The crc32 of the ROS message is this same number, so a message and
a file check each other.

FIELDS is the one definition of what a CompressedPair carries on the wire: the container's writer
and reader and the message converter are derived from it, and a test checks it against the
CompressedPair dataclass and the .msg file.
"""
from __future__ import annotations

MAGIC = b"RGIR"
VERSION = 1
SUPPORTED_VERSIONS = (1,)

# Limits checked before anything is allocated: a declared size beyond them is corrupt input.
MAX_STRING = 1024
MAX_SIDE = 16384
MAX_AFFINE = 4096

#: (field, wire type) in wire order. Types: stamp, str, f32, u16, u32, bytes, f32[].
FIELDS: tuple[tuple[str, str], ...] = (
    ("stamp", "stamp"), ("frame_id", "str"), ("thermal_stamp", "stamp"), ("thermal_frame_id", "str"),
    ("codec", "str"), ("model_id", "str"), ("quality", "f32"),
    ("rgb_height", "u32"), ("rgb_width", "u32"), ("rgb_encoding", "str"),
    ("thermal_height", "u32"), ("thermal_width", "u32"), ("thermal_encoding", "str"),
    ("thermal_lo", "u16"), ("thermal_hi", "u16"),
    ("rgb_data", "bytes"), ("thermal_data", "bytes"), ("affine_gamma", "f32[]"), ("affine_beta", "f32[]"),
)
#: The fields the message keeps in its std_msgs/Header instead of at the top level.
HEADER_FIELDS = {"stamp": "stamp", "frame_id": "frame_id"}
