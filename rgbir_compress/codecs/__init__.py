"""Pair codecs behind one interface (see base.PairCodec) and a registry of them by name."""
from .base import CompressedPair, PairCodec, Streams, check_quality
from .registry import create, get_class, names, register, register_lazy

register_lazy("auto", "rgbir_compress.codecs.auto:AutoCodec")  # issue 18: picks a codec per machine

__all__ = [
    "CompressedPair", "PairCodec", "Streams", "check_quality",
    "create", "get_class", "names", "register", "register_lazy",
]
