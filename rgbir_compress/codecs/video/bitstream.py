"""Tell from a packet's bytes alone whether a decoder can start there.

A packet is a start point when it holds an intra random-access picture AND the parameter sets it
needs (in-band headers), so a decoder that joins late needs nothing else:
- H.264 Annex-B: an IDR slice (NAL 5) with SPS (7) and PPS (8);
- HEVC Annex-B: an IRAP picture (NAL 16..21) with VPS (32), SPS (33) and PPS (34);
- AV1 low-overhead OBUs: a sequence header OBU and a frame (header) whose frame_type is KEY_FRAME.
"""
from __future__ import annotations


def annexb_nal_headers(data: bytes) -> list[int]:
    """First byte after each 00 00 01 start code (00 00 00 01 contains one)."""
    out, i = [], data.find(b"\x00\x00\x01")
    while i >= 0 and i + 3 < len(data):
        out.append(data[i + 3])
        i = data.find(b"\x00\x00\x01", i + 3)
    return out


def _h264_key(data: bytes) -> bool:
    types = {b & 0x1F for b in annexb_nal_headers(data)}
    return {5, 7, 8} <= types


def _hevc_key(data: bytes) -> bool:
    types = {(b >> 1) & 0x3F for b in annexb_nal_headers(data)}
    return {32, 33, 34} <= types and any(16 <= t <= 21 for t in types)


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for k in range(8):
        if pos >= len(data):
            raise ValueError("truncated leb128")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * k)
        if not byte & 0x80:
            return value, pos
    raise ValueError("leb128 too long")


def _av1_key(data: bytes) -> bool:
    pos, seq_header, key = 0, False, False
    try:
        while pos < len(data):
            header = data[pos]
            obu_type, has_ext, has_size = (header >> 3) & 0xF, header & 4, header & 2
            pos += 2 if has_ext else 1
            if not has_size:  # the rest of the packet is this OBU
                size = len(data) - pos
            else:
                size, pos = _leb128(data, pos)
            if obu_type == 1:
                seq_header = True
            elif obu_type in (3, 6) and size > 0:  # frame header / frame: show_existing_frame, frame_type
                first = data[pos]
                key = key or (not first & 0x80 and (first >> 5) & 3 == 0)
            pos += size
    except (ValueError, IndexError):
        return False
    return seq_header and key


_CHECKS = {"h264": _h264_key, "hevc": _hevc_key, "av1": _av1_key}


def is_key_packet(data: bytes, family: str) -> bool:
    """Whether `data` (one packet of `family`: "h264", "hevc", "av1") is a self-sufficient start point."""
    return _CHECKS[family](bytes(data))


def has_picture_hash(data: bytes) -> bool:
    """Whether an HEVC packet ends its picture with a suffix SEI (NAL 40), where x265 `hash=1`
    puts the MD5 of the decoded picture."""
    return 40 in {(b >> 1) & 0x3F for b in annexb_nal_headers(bytes(data))}
