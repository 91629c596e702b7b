"""Choosing and building the codec the bag tools use, and the PSNR of a decoded sample."""
from __future__ import annotations

import inspect
import warnings

import numpy as np

from ..codecs import PairCodec, create, get_class
from ..codecs.defaults import DEFAULT_CODEC, FALLBACK_CODEC
from ..codecs.learned.weights import MissingWeightsError, weights_path
from ..eval.metrics import psnr
from ..frame import ImagePair

def default_codec_name() -> str:
    """The project's default codec (codecs/defaults.py); a learned default without its weights in
    this install falls back to FALLBACK_CODEC with a warning."""
    try:
        if get_class(DEFAULT_CODEC).__module__.startswith("rgbir_compress.codecs.learned"):
            weights_path(DEFAULT_CODEC)
        return DEFAULT_CODEC
    except (MissingWeightsError, ImportError):
        warnings.warn(f"{DEFAULT_CODEC!r} is unavailable here; using {FALLBACK_CODEC!r} (pass --codec to choose)",
                      stacklevel=2)
        return FALLBACK_CODEC


def build_codec(name: str | None, *, device: str = "auto") -> PairCodec:
    """Instantiate a codec by registry name (None: the default), passing `device` to codecs
    that take one (learned codecs)."""
    name = name or default_codec_name()
    cls = get_class(name)
    kwargs = {"device": device} if "device" in inspect.signature(cls.__init__).parameters else {}
    return create(name, **kwargs)


def pair_psnr(ref: ImagePair, out: ImagePair) -> tuple[float, float]:
    """PSNR of colour (peak 255) and thermal; mono16 thermal is measured against the frame's own
    range (max - min counts), the span the codecs actually code."""
    rgb = psnr(ref.rgb[..., :3], out.rgb[..., :3])
    if ref.thermal.dtype == np.uint16:
        peak = max(1.0, float(ref.thermal.max()) - float(ref.thermal.min()))
        return rgb, psnr(ref.thermal, out.thermal, peak=peak)
    return rgb, psnr(ref.thermal, out.thermal)
