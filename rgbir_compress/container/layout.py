"""Byte layout of the `.rgbir` container, version 1 (little-endian throughout).

    magic      4s   b"RGIR"
    version    u8   1
    flags      u8   0 (reserved)
    fields          in the order of msg/CompressedRGBIR.msg:
                    stamp (i32 sec, u32 nanosec), frame_id (str), thermal_stamp, thermal_frame_id,
                    codec, model_id (str), quality (f32),
                    rgb_height, rgb_width (u32), rgb_encoding (str),
                    thermal_height, thermal_width (u32), thermal_encoding (str),
                    thermal_lo, thermal_hi (u16),
                    rgb_data, thermal_data (bytes), affine_gamma, affine_beta (f32 arrays)
    crc32      u32  zlib.crc32 of every byte before it

str = u16 length + UTF-8; bytes = u32 length + data; f32 array = u32 count + count * f32.
The crc32 of the ROS message is this same number, so a message and a file check each other.
"""
from __future__ import annotations

MAGIC = b"RGIR"
VERSION = 1
SUPPORTED_VERSIONS = (1,)

# Limits checked before anything is allocated: a declared size beyond them is corrupt input.
MAX_STRING = 1024
MAX_SIDE = 16384
MAX_AFFINE = 4096
