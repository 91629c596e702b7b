"""Codec names -> implementations. Learned codecs register lazily (by import path) so that listing
codecs or running a classical one never imports torch."""
from __future__ import annotations

import importlib
from typing import Callable

from .base import PairCodec

_FACTORIES: dict[str, Callable[..., PairCodec]] = {}
_LAZY: dict[str, str] = {}  # name -> "module:attribute"


def register(name: str) -> Callable[[type[PairCodec]], type[PairCodec]]:
    """Class decorator: `@register("jpeg")`."""

    def wrap(cls: type[PairCodec]) -> type[PairCodec]:
        cls.name = name
        _FACTORIES[name] = cls
        return cls

    return wrap


def register_lazy(name: str, target: str) -> None:
    """Register a codec whose module is imported only when the codec is created."""
    _LAZY[name] = target


def names() -> list[str]:
    _load_builtin()
    return sorted(set(_FACTORIES) | set(_LAZY))


def get_class(name: str) -> type[PairCodec]:
    _load_builtin()
    if name not in _FACTORIES and name in _LAZY:
        module, attr = _LAZY[name].split(":")
        cls = getattr(importlib.import_module(module), attr)
        _FACTORIES.setdefault(name, cls)
    if name not in _FACTORIES:
        raise KeyError(f"unknown codec {name!r}; available: {', '.join(names())}")
    return _FACTORIES[name]  # type: ignore[return-value]


def create(name: str, **kwargs) -> PairCodec:
    """Instantiate codec `name` (learned codecs accept e.g. device=, weights=)."""
    return get_class(name)(**kwargs)


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        try:
            importlib.import_module("rgbir_compress.codecs.classical")
        except ModuleNotFoundError as exc:
            # A machine with torch but no imagecodecs (the GPU training box) still has the
            # learned codecs, which training validates through.
            if exc.name != "imagecodecs":
                raise
        importlib.import_module("rgbir_compress.codecs.learned")
