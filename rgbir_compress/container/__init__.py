"""The versioned `.rgbir` container: one CompressedPair per file, 1:1 with the ROS message."""
from .layout import FIELDS, MAGIC, VERSION
from .serialise import crc32_of, dumps, load, loads, save, validate

__all__ = ["FIELDS", "MAGIC", "VERSION", "crc32_of", "dumps", "load", "loads", "save", "validate"]
