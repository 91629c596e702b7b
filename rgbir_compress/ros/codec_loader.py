"""Creating codecs for the nodes: pass learned-codec options only to codecs that take them, and
fall back from a learned codec to a classical one when torch or the weights are missing."""
from __future__ import annotations

import inspect
from typing import Callable

from ..codecs import registry
from ..codecs.base import PairCodec


class CodecUnavailable(RuntimeError):
    """The requested codec (and its fallback, if any) cannot be created here."""


def create_codec(name: str, device: str = "auto", weights: str = "", threads: int = 0) -> PairCodec:
    """registry.create with only the options the codec's constructor accepts."""
    cls = registry.get_class(name)
    accepted = inspect.signature(cls.__init__).parameters
    options = {"device": device, "weights": weights or None, "threads": threads}
    return cls(**{k: v for k, v in options.items() if k in accepted})


def _unavailable(exc: BaseException) -> bool:
    """Missing torch/compressai or missing weights: the cases that fall back."""
    return isinstance(exc, (ImportError, FileNotFoundError))


def load_codec(name: str, fallback: str, device: str, weights: str, threads: int,
               warn: Callable[[str], None]) -> PairCodec:
    """The codec the encoder runs. An unknown name is an error; an unavailable one falls back."""
    try:
        return create_codec(name, device, weights, threads)
    except KeyError as exc:
        raise CodecUnavailable(str(exc.args[0] if exc.args else exc)) from exc
    except Exception as exc:  # noqa: BLE001 - decide below which failures fall back
        if not _unavailable(exc) or not fallback or fallback == name:
            raise CodecUnavailable(f"codec {name!r} cannot be created: {type(exc).__name__}: {exc}") from exc
        warn(f"codec {name!r} is unavailable ({type(exc).__name__}: {exc}); using fallback codec {fallback!r}")
    try:
        return create_codec(fallback, device, weights, threads)
    except Exception as exc:  # noqa: BLE001
        raise CodecUnavailable(f"fallback codec {fallback!r} cannot be created either: {exc}") from exc
