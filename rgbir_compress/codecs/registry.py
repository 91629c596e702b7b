"""Codec names -> classes, from the one table in catalog.py.

How a codec is registered: one `Entry("module:Class")` line in `catalog.CODECS` (with `options`
for a variant such as a speed preset). Nothing registers itself on import, so listing names reads
only the table (no torch, no imagecodecs), and a class is imported when its codec is first opened.
On resolution the registry gives the class its `name` from the table; a class that already
carries that name is left as it is, and a class asked to carry two names is an error (variants
are subclasses).
"""
from __future__ import annotations

import importlib

from .base import PairCodec
from .catalog import CODECS, Entry

_CLASSES: dict[str, type[PairCodec]] = {}  # resolved entries


def names() -> list[str]:
    return sorted(CODECS)


def get_class(name: str) -> type[PairCodec]:
    """The class of codec `name`; ImportError when its module does not import here."""
    if name not in _CLASSES:
        if name not in CODECS:
            raise KeyError(f"unknown codec {name!r}; available: {', '.join(names())}")
        _CLASSES[name] = _resolve(name, CODECS[name])
    return _CLASSES[name]


def create(name: str, **kwargs) -> PairCodec:
    """Instantiate codec `name` (learned codecs accept e.g. device=, weights=)."""
    return get_class(name)(**kwargs)


def _resolve(name: str, entry: Entry) -> type[PairCodec]:
    module, _, attr = entry.target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if entry.options:
        return cls.with_options(name, entry.options)
    own = cls.__dict__.get("name")
    if own is not None and own != name:
        raise TypeError(f"{entry.target} is codec {own!r}; it cannot also be {name!r}")
    cls.name = name
    return cls
