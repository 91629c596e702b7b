"""The self-describing frame of one coded mono16 image: a fixed header, then the payload.

Everything a decoder needs travels here (method, bound, size, offset, sample width), so a stream
decodes with nothing else. A CRC-32 covers the header and the payload: the wrapped libraries do
not all notice a flipped bit (zstd without its checksum, a JPEG-LS entropy error that still
decodes), and a wrong count returned silently is worse than an error.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ...errors import DecodeError

MAGIC = b"RM16"
VERSION = 1
# magic, version, method id, flags, max_error, height, width, offset, payload length; then the CRC-32.
_FIELDS = struct.Struct("<4sBBBHIIHI")
_CRC = struct.Struct("<I")
SIZE = _FIELDS.size + _CRC.size

#: flags
FELL_BACK = 0x01   # the requested method missed the bound; this stream is the lossless fallback
NARROW = 0x02      # samples were coded as uint8 (the occupied span fits 8 bits)
PREQUANT = 0x04    # samples are q = (v + N) // (2N + 1): any lossless back-end then holds |err| <= N

#: Largest image a decoder accepts (declared size checked before anything is allocated).
MAX_PIXELS = 8192 * 8192


@dataclass(frozen=True)
class Header:
    method_id: int
    flags: int
    max_error: int
    height: int
    width: int
    offset: int
    payload_length: int

    @property
    def fell_back(self) -> bool:
        return bool(self.flags & FELL_BACK)

    @property
    def narrow(self) -> bool:
        return bool(self.flags & NARROW)

    @property
    def prequantised(self) -> bool:
        return bool(self.flags & PREQUANT)


def pack(header: Header, payload: bytes) -> bytes:
    head = _FIELDS.pack(MAGIC, VERSION, header.method_id, header.flags, header.max_error,
                        header.height, header.width, header.offset, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + _CRC.pack(crc) + payload


def unpack(data: bytes) -> tuple[Header, memoryview]:
    """The header and the payload of a stream; DecodeError for anything truncated, foreign,
    corrupt (CRC) or implausible."""
    view = memoryview(bytes(data) if not isinstance(data, (bytes, bytearray, memoryview)) else data)
    if len(view) < SIZE:
        raise DecodeError(f"mono16 stream truncated: {len(view)} bytes, the header alone is {SIZE}")
    magic, version, method_id, flags, max_error, h, w, offset, length = _FIELDS.unpack_from(view)
    if magic != MAGIC:
        raise DecodeError(f"not a mono16 radiometric stream (magic {bytes(magic)!r})")
    if version != VERSION:
        raise DecodeError(f"mono16 stream version {version} is not supported (this decoder reads {VERSION})")
    if len(view) != SIZE + length:
        raise DecodeError(f"mono16 stream is {len(view)} bytes, its header declares {SIZE + length}")
    (crc,) = _CRC.unpack_from(view, _FIELDS.size)
    payload = view[SIZE:]
    if zlib.crc32(payload, zlib.crc32(view[: _FIELDS.size])) != crc:
        raise DecodeError("mono16 stream fails its CRC-32 check (corrupt)")
    if h < 1 or w < 1 or h * w > MAX_PIXELS:
        raise DecodeError(f"mono16 stream declares an implausible size {w}x{h}")
    return Header(method_id, flags, max_error, h, w, offset, length), payload
