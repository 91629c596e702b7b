"""Checkpoints that resume exactly (model, optimisers, scheduler, step, every RNG) and the
compact weights files that ship in the package.

checkpoint.pth holds: model, opt, aux_opt, sched, step, rng (one state, or a list with one per
rank), and since the scheduler became step-driven also arch, config (the model's constructor
arguments), elapsed (training seconds so far) and world. Older checkpoints without the extra keys
still load.
"""
from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

#: Entropy-coder tables: buffers whose size depends on the trained weights (empty until update()).
TABLE_SUFFIXES = ("_quantized_cdf", "_offset", "_cdf_length", "scale_table")


def rng_state() -> dict:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def rng_for_rank(saved: dict | list, rank: int, world: int) -> dict | None:
    """This rank's saved RNG state, or None when the checkpoint came from another world size
    (then every rank would share one stream; the caller reseeds instead)."""
    states = saved if isinstance(saved, list) else [saved]
    return states[rank] if len(states) == world else None


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temporary name, then rename: a kill never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def load_sched_state(sched: torch.optim.lr_scheduler.LambdaLR, state: dict) -> None:
    """Load a LambdaLR state, or the MultiStepLR state of checkpoints written before the
    schedule became a function of the step (both keep last_epoch = steps taken)."""
    if "lr_lambdas" not in state:
        state = {k: v for k, v in state.items() if k not in ("milestones", "gamma")}
        state["lr_lambdas"] = [None] * len(sched.lr_lambdas)
    sched.load_state_dict(state)


def export_weights(model: torch.nn.Module, path: str | Path, meta: dict | None = None) -> Path:
    """Ship-ready weights: parameters rounded to float16 (half the size), then the entropy-coder
    tables built from exactly those rounded values and stored as they are, so every machine that
    loads the file codes with identical tables (the digest pins them)."""
    m = copy.deepcopy(model).cpu().float().eval()
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if t.is_floating_point() and not name.endswith(TABLE_SUFFIXES):
                t.copy_(t.half().float())
    m.update(force=True)
    state = {
        k: (v.half() if v.is_floating_point() and not k.endswith(TABLE_SUFFIXES) else v)
        for k, v in m.state_dict().items()
    }
    atomic_save({"arch": model.arch, "config": model.config, "state_dict": state, "meta": meta or {}}, path)
    return Path(path)


def model_spec(ckpt: dict, ckpt_path: str | Path) -> tuple[str, dict]:
    """(arch, constructor arguments) of a checkpoint: its own keys, else the run's config.json."""
    if "arch" in ckpt and "config" in ckpt:
        return ckpt["arch"], ckpt["config"]
    cfg_file = Path(ckpt_path).with_name("config.json")
    if not cfg_file.is_file():
        raise ValueError(f"{ckpt_path} does not name its architecture and {cfg_file} is missing")
    cfg = json.loads(cfg_file.read_text())
    return cfg["arch"], cfg.get("model", {})


def export_checkpoint(ckpt_path: str | Path, out: str | Path) -> Path:
    """weights.pth from a training checkpoint (e.g. to ship a milestone while training goes on)."""
    from ..codecs.learned.zoo import build

    ckpt = load_checkpoint(ckpt_path)
    arch, config = model_spec(ckpt, ckpt_path)
    model = build(arch, **config)
    fit_table_buffers(model, ckpt["model"])
    model.load_state_dict(ckpt["model"])
    meta = {"steps": int(ckpt["step"]), "from_checkpoint": str(ckpt_path)}
    if "elapsed" in ckpt:
        meta["train_seconds"] = round(float(ckpt["elapsed"]), 1)
    return export_weights(model, out, meta=meta)


def fit_table_buffers(model: torch.nn.Module, state: dict) -> None:
    """Resize the model's entropy-coder table buffers to those in `state` so a strict
    load_state_dict accepts them (CompressAI does this only for a CompressionModel at the top)."""
    buffers = dict(model.named_buffers())
    for key, value in state.items():
        buf = buffers.get(key)
        if buf is not None and key.endswith(TABLE_SUFFIXES) and buf.shape != value.shape:
            buf.resize_(value.shape)


def _stored_state(path: str | Path) -> tuple[dict, dict]:
    """(the file's blob, its model tensors with float16 weights back as float32)."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    state = blob.get("state_dict") or blob["model"]
    state = {k: v.float() if v.is_floating_point() and not k.endswith(TABLE_SUFFIXES) else v
             for k, v in state.items()}
    return blob, state


def load_model_state(model: torch.nn.Module, path: str | Path) -> dict:
    """Load weights from a weights file or a training checkpoint into `model` (warm start).
    Float16 weights come back as float32; entropy-coder tables are loaded as stored."""
    blob, state = _stored_state(path)
    fit_table_buffers(model, state)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(TABLE_SUFFIXES)]
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]})")
    return blob


def grown_inputs(own: torch.Tensor, stored: torch.Tensor) -> bool:
    """A weight whose layer now takes more input channels (dim 1), all else equal."""
    return (own.dim() == stored.dim() >= 2 and own.shape[1] > stored.shape[1]
            and own.shape[:1] + own.shape[2:] == stored.shape[:1] + stored.shape[2:])


def load_matching_state(model: torch.nn.Module, path: str | Path) -> list[str]:
    """Warm-start the parts of `model` that a stored model shares with it (same name, same
    shape, or a weight whose layer gained input channels: stored columns, zeros for the new
    ones, so the layer computes what it did while its new inputs are zero) and return the
    names of the tensors left at their initialisation.

    For ablations: a variant with a block removed or swapped starts from the full model's
    weights, so the comparison measures the block rather than a different training length.
    Entropy-coder tables do not count (training rebuilds them before any export); they are
    passed on as stored, or as the model has them, because CompressAI's loaders expect them."""
    _, state = _stored_state(path)
    own = model.state_dict()
    fits = {k: v for k, v in state.items()
            if k in own and own[k].shape == v.shape and not k.endswith(TABLE_SUFFIXES)}
    for k, v in state.items():  # grown inputs (new channels appended to a layer's input): zero-padded
        if k in own and k not in fits and not k.endswith(TABLE_SUFFIXES) and grown_inputs(own[k], v):
            fits[k] = torch.zeros_like(own[k])
            fits[k][:, : v.shape[1]] = v
    if not fits:
        raise ValueError(f"{path}: no tensor of it fits the model (a different architecture?)")
    fits.update({k: state.get(k, v) for k, v in own.items() if k.endswith(TABLE_SUFFIXES)})
    fit_table_buffers(model, fits)
    model.load_state_dict(fits, strict=False)
    return sorted(k for k in own if k not in fits and not k.endswith(TABLE_SUFFIXES))
