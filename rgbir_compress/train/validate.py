"""Validation with real bitstreams: held-out pairs go through the same PairCodec path as
`rgbir-compress encode`, so the bpp is bytes actually written, not an entropy estimate."""
from __future__ import annotations

import copy

import numpy as np
import torch

from .config import TrainConfig
from .data import load_pair, read_manifest

def codec_for(model: torch.nn.Module):
    """A PairCodec wrapping a copy of `model` with freshly built entropy-coder tables: the learned
    codec registered under the model's architecture name."""
    from ..codecs import registry

    m = copy.deepcopy(model).cpu().float().eval()
    m.update(force=True)
    return registry.get_class(model.arch).from_module(m)


def validation_images(cfg: TrainConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first val_limit held-out pairs at native sizes: from val_pack's val part, else the manifest."""
    if cfg.val_pack:
        from .pack import read_pack

        return read_pack(cfg.val_pack, "val", limit=cfg.val_limit, same_size=False)
    pairs = read_manifest(cfg.val_manifest, split=cfg.val_split or None,
                          source=cfg.val_source or None)[: cfg.val_limit]
    if not pairs:
        raise ValueError(f"{cfg.val_manifest}: no pairs with split={cfg.val_split!r} source={cfg.val_source!r}")
    return [load_pair(p, same_size=False) for p in pairs]


def validate(model: torch.nn.Module, cfg: TrainConfig) -> dict[str, float]:
    """Mean bpp and PSNR per modality at each of cfg.val_qualities over the first val_limit pairs
    of the validation manifest or val_pack (images at their native sizes)."""
    from ..metrics import psnr
    from ..frame import ImagePair

    codec = codec_for(model)
    images = validation_images(cfg)
    row: dict[str, float] = {}
    for q in cfg.val_qualities:
        acc = np.zeros(4)
        for rgb, ir in images:
            cp = codec.encode(ImagePair(rgb, ir), q)
            dec = codec.decode(cp)
            n = cp.byte_count()
            acc += [n.rgb * 8 / (rgb.shape[0] * rgb.shape[1]), psnr(rgb, dec.rgb),
                    n.thermal * 8 / ir.size, psnr(ir, dec.thermal)]
        acc /= len(images)
        for k, v in zip(("bpp_rgb", "psnr_rgb", "bpp_ir", "psnr_ir"), acc):
            row[f"q{q:g}_{k}"] = round(float(v), 4)
    return row
