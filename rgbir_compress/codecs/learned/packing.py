"""The byte layout of one modality's learned stream, shared by every learned codec: its parts in
order, each but the last preceded by its u32 little-endian length,
    len(p_0) p_0 len(p_1) p_1 ... p_{n-1}
(two parts, hyper-latent z then latent y: `len(z) z y`). The part count comes from the model, so
nothing else is stored."""
from __future__ import annotations

import struct

from ...errors import DecodeError


def pack_parts(parts: list[bytes]) -> bytes:
    out = bytearray()
    for p in parts[:-1]:
        out += struct.pack("<I", len(p)) + p
    return bytes(out + parts[-1])


def unpack_parts(data: bytes, count: int, what: str) -> list[bytes]:
    """Inverse of `pack_parts` for `count` parts; `what` names the stream in errors."""
    parts, pos = [], 0
    for i in range(count - 1):
        if pos + 4 > len(data):
            raise DecodeError(f"{what} stream of {len(data)} bytes ends before part {i}")
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if pos + n > len(data):
            raise DecodeError(f"{what} stream declares a {n}-byte part {i} but has {len(data) - pos} bytes left")
        parts.append(bytes(data[pos : pos + n]))
        pos += n
    parts.append(bytes(data[pos:]))
    return parts
