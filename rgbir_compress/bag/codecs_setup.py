"""Choosing and building the codec the bag tools use, and the PSNR of a decoded sample."""
from __future__ import annotations

import inspect
import warnings

import numpy as np

from ..codecs import PairCodec, create, get_class
from ..codecs.learned.weights import MissingWeightsError, weights_path
from ..eval.metrics import psnr
from ..frame import ImagePair

PREFERRED = "hyperprior"
FALLBACK = "jpeg"


def default_codec_name() -> str:
    """The learned baseline when its weights ship with this install, else JPEG (with a warning)."""
    try:
        weights_path(PREFERRED)
        return PREFERRED
    except MissingWeightsError:
        warnings.warn(f"no weights for {PREFERRED!r}; using {FALLBACK!r} (pass --codec to choose)", stacklevel=2)
        return FALLBACK


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
