"""Per-encoder facts: the quality map, the family (which decides bitstream and decoder), the
software encoder an NVENC name falls back to, and the pixel formats each accepts for our planes.

Measured on the PyPI `av` 18.1 wheel: libx265 takes yuv420p and gray/gray10le/gray12le; libx264
yuv420p, gray and gray10le; libsvtav1 only yuv420p/yuv420p10le (grey goes in as Y with flat chroma);
NVENC has no grey format either. libx264 crashes (SIGSEGV) coding 4:0:0 with intra-refresh, so
that one combination codes grey as Y of 4:2:0 too (encoder._coded_format).
"""
from __future__ import annotations

from ..classical.quality_map import QualityMap

#: encoder name -> bitstream family
CODECS = {
    "libx265": "hevc", "hevc_nvenc": "hevc",
    "libx264": "h264", "h264_nvenc": "h264",
    "libsvtav1": "av1", "av1_nvenc": "av1",
}

#: quality q in [0, 1] -> the encoder's constant-quality setting (q=1 best). x265/x264 CRF 51..0
#: like the still HEVC codec; SVT-AV1 CRF 63..0; NVENC constant QP 51..0 (AV1: 255..0).
QUALITY_MAPS = {
    "libx265": QualityMap("x265 CRF", 51, 0, digits=1),
    "libx264": QualityMap("x264 CRF", 51, 0, digits=1),
    "libsvtav1": QualityMap("SVT-AV1 CRF", 63, 0),
    "hevc_nvenc": QualityMap("NVENC QP", 51, 0),
    "h264_nvenc": QualityMap("NVENC QP", 51, 0),
    "av1_nvenc": QualityMap("NVENC QP", 255, 0),
}

#: the decoder per family; dav1d because FFmpeg's native "av1" decodes only through hwaccel.
DECODERS = {"hevc": "hevc", "h264": "h264", "av1": "libdav1d"}

#: grey formats the encoder codes natively (4:0:0); others get grey as the Y of a yuv420p frame.
GREY_FORMATS = {
    "libx265": {"gray", "gray10le", "gray12le"},
    "libx264": {"gray", "gray10le"},
}

#: NVENC name -> the software encoder that makes the same bitstream family
FALLBACKS = {"hevc_nvenc": "libx265", "h264_nvenc": "libx264", "av1_nvenc": "libsvtav1"}

#: smallest frame side the encoder opens with (SVT-AV1 refuses below 64, x265 below 16, measured);
#: frames are padded up.
MIN_SIDE = {"libsvtav1": 64, "libx265": 16}


def family(codec: str) -> str:
    try:
        return CODECS[codec]
    except KeyError:
        raise ValueError(f"unknown video encoder {codec!r}; known: {sorted(CODECS)}") from None


def decoder_name(codec: str) -> str:
    """The FFmpeg decoder for an encoder name or a family name ("hevc", "h264", "av1")."""
    return DECODERS[codec] if codec in DECODERS else DECODERS[family(codec)]


def software_fallback(codec: str) -> str:
    return FALLBACKS.get(codec, codec)
