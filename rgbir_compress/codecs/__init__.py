"""Pair codecs behind one interface (see base.PairCodec) and a registry of them by name
(catalog.py: the table; registry.py: resolving it)."""
from .base import CompressedPair, PairCodec, Streams, check_quality
from .registry import create, get_class, names

__all__ = ["CompressedPair", "PairCodec", "Streams", "check_quality", "create", "get_class", "names"]
