"""The versioned `.rgbir` container: one CompressedPair per file, 1:1 with the ROS message."""
from .codec import crc32_of, dumps, load, loads, save, validate
from .layout import MAGIC, VERSION

__all__ = ["MAGIC", "VERSION", "crc32_of", "dumps", "load", "loads", "save", "validate"]
