"""Classical codecs through well-kept libraries (imagecodecs, pillow-heif).

Importing this package registers them: jpeg, webp, avif, jpegxl (imagecodecs) and hevc (x265 via
pillow-heif, imported only when used).
"""
from .avif import AvifCodec
from .base import ClassicalCodec
from .hevc import HevcCodec
from .jpeg import JpegCodec
from .jpegxl import JpegxlCodec
from . import presets  # noqa: F401  (registers the speed presets)
from .quality_map import QualityMap
from .webp import WebpCodec

__all__ = [
    "AvifCodec", "ClassicalCodec", "HevcCodec", "JpegCodec", "JpegxlCodec", "QualityMap", "WebpCodec",
]
