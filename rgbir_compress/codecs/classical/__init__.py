"""Classical codecs through well-kept libraries (imagecodecs, pillow-heif).

jpeg, webp, avif, jpegxl (imagecodecs) and hevc (x265 via pillow-heif, imported only when used),
and their speed presets; the names are given in codecs/catalog.py.
"""
from .avif import AvifCodec
from .base import ClassicalCodec
from .hevc import HevcCodec
from .jpeg import JpegCodec
from .jpegxl import JpegxlCodec
from .quality_map import QualityMap
from .webp import WebpCodec

__all__ = [
    "AvifCodec", "ClassicalCodec", "HevcCodec", "JpegCodec", "JpegxlCodec", "QualityMap", "WebpCodec",
]
