"""Open any codec by name: the one way the nodes, eval, the bag tools and the CLI create codecs.

`open_codec(name, device=, weights=, threads=, **options)` passes each option only to codecs whose
constructor takes it (learned codecs take device, weights and threads, classical ones none, `auto`
also rate_hz and log), so one call serves every codec and callers never set attributes on one, and turns every reason a registered codec cannot run here into `CodecUnavailable`. With a
`fallback`, a codec that is *missing* here (torch or its weights not installed) is replaced by the
fallback, with a warning; a codec that is present but fails stays an error.

`thermal_max_error` (mono16 precision, codecs/thermal_precision.py) is the one setting every codec
takes without its constructor naming it: it is a PairCodec setting, applied here to whatever was
opened (`set_thermal_max_error`), so the node, the CLI, the bag tools and the Python API all
reach every codec the same way.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable

from ..errors import CodecUnavailable, MissingWeightsError
from . import thermal_precision
from .base import PairCodec
from .defaults import DEFAULT_CODEC, FALLBACK_CODEC
from .registry import get_class


def takes(name: str, option: str) -> bool:
    """Whether codec `name`'s constructor accepts `option` (e.g. only learned codecs take weights)."""
    return option in inspect.signature(get_class(name).__init__).parameters


def _create(name: str, given: dict[str, Any]) -> PairCodec:
    try:
        cls = get_class(name)
    except KeyError as exc:
        raise CodecUnavailable(str(exc.args[0] if exc.args else exc)) from exc
    except ImportError as exc:  # the codec's module does not import here (missing library)
        raise CodecUnavailable(f"{name}: unavailable: {type(exc).__name__}: {exc}", missing=True) from exc
    accepted = inspect.signature(cls.__init__).parameters
    try:
        return cls(**{k: v for k, v in given.items() if k in accepted and v is not None})
    except MissingWeightsError as exc:
        raise CodecUnavailable(f"{name}: unavailable: no weights ({exc})", missing=True) from exc
    except (ImportError, FileNotFoundError) as exc:
        raise CodecUnavailable(f"{name}: unavailable: {type(exc).__name__}: {exc}", missing=True) from exc
    except (OSError, RuntimeError) as exc:
        raise CodecUnavailable(f"{name}: unavailable: {type(exc).__name__}: {exc}") from exc


def open_codec(name: str, *, device: str | None = "auto", weights: str | None = None, threads: int | None = 0,
               fallback: str | None = None, warn: Callable[[str], None] | None = None,
               thermal_max_error: int | None = None, **options: Any) -> PairCodec:
    """Codec `name` ready to code. Raises CodecUnavailable; an invalid weights file (ValueError)
    propagates as it is. `options` go to codecs whose constructor names them (None = not given).
    With `fallback`, a codec missing here is replaced by codec `fallback` (opened with the same
    options, without the weights meant for `name`) and `warn` (default: warnings.warn) is told so.
    `thermal_max_error` (None = the codec's default, -1: the 8-bit window) applies to either."""
    if thermal_max_error is not None:
        thermal_precision.check(thermal_max_error)  # a bad value is the caller's error, before any opening
    codec = _open(name, {"device": device, "weights": weights or None, "threads": threads, **options},
                  fallback, warn)
    if thermal_max_error is not None:
        codec.set_thermal_max_error(thermal_max_error)
    return codec


def _open(name: str, given: dict[str, Any], fallback: str | None, warn: Callable[[str], None] | None) -> PairCodec:
    try:
        return _create(name, given)
    except CodecUnavailable as exc:
        if not exc.missing or not fallback or fallback == name:
            raise
        (warn or _warn)(f"codec {name!r} is unavailable ({exc}); using fallback codec {fallback!r}")
    try:
        return _create(fallback, {**given, "weights": None})
    except CodecUnavailable as exc:
        raise CodecUnavailable(f"fallback codec {fallback!r} cannot be opened either: {exc}") from exc


def default_codec_name() -> str:
    """The project's default codec (codecs/defaults.py); a learned default without its weights in
    this install gives FALLBACK_CODEC, with a warning."""
    from .learned.weights import weights_path

    try:
        if get_class(DEFAULT_CODEC).__module__.startswith("rgbir_compress.codecs.learned"):
            weights_path(DEFAULT_CODEC)
        return DEFAULT_CODEC
    except (MissingWeightsError, ImportError):
        _warn(f"{DEFAULT_CODEC!r} is unavailable here; using {FALLBACK_CODEC!r} (pass --codec to choose)")
        return FALLBACK_CODEC


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)
