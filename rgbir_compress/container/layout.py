"""Byte layout of the `.rgbir` container, version 2 (little-endian throughout).

    magic      4s   b"RGIR"
    version    u8   2 (1 is still read)
    flags      u8   0 (reserved)
    fields          FIELDS below, in the order of msg/CompressedRGBIR.msg (its header is
                    stamp + frame_id)
    crc32      u32  zlib.crc32 of every byte before it

stamp = i32 sec + u32 nanosec; i32 = signed 32-bit; str = u16 length + UTF-8; bytes = u32 length + data;
f32[] = u32 count + count * f32; bool = u8 0/1. The crc32 of the ROS message is this same number, so a message and
a file check each other.

FIELDS is the one definition of what a CompressedPair carries on the wire: the container's writer
and reader and the message converter are derived from it, and a test checks it against the
CompressedPair dataclass and the .msg file.

Version 2 added the stream position (stream_id, seq, key_frame) for stateful (video) codecs and
thermal_max_error (i32: -1 = mono16 through the 8-bit window, N >= 0 = a radiometric stream within
N counts). Version-1 files and messages (no such fields) still load, as stream 0, seq 0, key frame,
-1: every version-1 message was a still pair with the window. `fields(version)` is the field list of either version.
"""
from __future__ import annotations

MAGIC = b"RGIR"
VERSION = 2
SUPPORTED_VERSIONS = (1, 2)

# Limits checked before anything is allocated: a declared size beyond them is corrupt input.
MAX_STRING = 1024
MAX_SIDE = 16384
MAX_AFFINE = 4096

#: (field, wire type) in wire order. Types: stamp, str, f32, u16, u32, i32, bool, bytes, f32[].
FIELDS: tuple[tuple[str, str], ...] = (
    ("stamp", "stamp"), ("frame_id", "str"), ("thermal_stamp", "stamp"), ("thermal_frame_id", "str"),
    ("codec", "str"), ("model_id", "str"), ("stream_id", "u32"), ("seq", "u32"), ("key_frame", "bool"),
    ("quality", "f32"),
    ("rgb_height", "u32"), ("rgb_width", "u32"), ("rgb_encoding", "str"),
    ("thermal_height", "u32"), ("thermal_width", "u32"), ("thermal_encoding", "str"),
    ("thermal_lo", "u16"), ("thermal_hi", "u16"), ("thermal_max_error", "i32"),
    ("rgb_data", "bytes"), ("thermal_data", "bytes"), ("affine_gamma", "f32[]"), ("affine_beta", "f32[]"),
)
#: The fields the message keeps in its std_msgs/Header instead of at the top level.
HEADER_FIELDS = {"stamp": "stamp", "frame_id": "frame_id"}
#: Fields a version-1 container or message lacks (CompressedPair's defaults stand in for them).
ADDED_IN_2 = ("stream_id", "seq", "key_frame", "thermal_max_error")


def fields(version: int = VERSION) -> tuple[tuple[str, str], ...]:
    """FIELDS as container `version` writes them."""
    return FIELDS if version >= 2 else tuple(f for f in FIELDS if f[0] not in ADDED_IN_2)
