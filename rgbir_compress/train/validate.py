"""Validation with real bitstreams: held-out pairs go through the same PairCodec path as
`rgbir-compress encode`, so the bpp is bytes actually written, not an entropy estimate."""
from __future__ import annotations

import copy

import numpy as np
import torch

from .config import TrainConfig
from .data import load_pair, read_manifest

#: Training architecture -> the registered PairCodec that codes with it. An architecture may
#: instead name its codec itself with a `codec_name` attribute.
CODEC_OF_ARCH = {"independent": "hyperprior"}


def codec_for(model: torch.nn.Module):
    """A PairCodec wrapping a copy of `model` with freshly built entropy-coder tables."""
    from ..codecs import registry

    arch = getattr(model, "arch", "")
    name = getattr(model, "codec_name", None) or CODEC_OF_ARCH.get(arch)
    if name is None:
        raise KeyError(f"no codec codes architecture {arch!r}; add it to CODEC_OF_ARCH or set codec_name")
    m = copy.deepcopy(model).cpu().float().eval()
    m.update(force=True)
    return registry.get_class(name).from_module(m)


def validate(model: torch.nn.Module, cfg: TrainConfig) -> dict[str, float]:
    """Mean bpp and PSNR per modality at each of cfg.val_qualities over the first val_limit pairs
    of the validation manifest (images at their native sizes)."""
    from ..metrics import psnr
    from ..frame import ImagePair

    codec = codec_for(model)
    pairs = read_manifest(cfg.val_manifest, split=cfg.val_split or None,
                          source=cfg.val_source or None)[: cfg.val_limit]
    if not pairs:
        raise ValueError(f"{cfg.val_manifest}: no pairs with split={cfg.val_split!r} source={cfg.val_source!r}")
    images = [load_pair(p, same_size=False) for p in pairs]
    row: dict[str, float] = {}
    for q in cfg.val_qualities:
        acc = np.zeros(4)
        for rgb, ir in images:
            cp = codec.encode(ImagePair(rgb, ir), q)
            dec = codec.decode(cp)
            acc += [len(cp.rgb_data) * 8 / (rgb.shape[0] * rgb.shape[1]), psnr(rgb, dec.rgb),
                    len(cp.thermal_data) * 8 / ir.size, psnr(ir, dec.thermal)]
        acc /= len(images)
        for k, v in zip(("bpp_rgb", "psnr_rgb", "bpp_ir", "psnr_ir"), acc):
            row[f"q{q:g}_{k}"] = round(float(v), 4)
    return row
