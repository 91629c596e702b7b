"""Checkpoints that resume exactly (model, optimisers, scheduler, step, every RNG) and the
compact weights files that ship in the package."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch


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


def atomic_save(obj, path: str | Path) -> None:
    """torch.save to a temporary name, then rename: a kill never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def export_weights(model: torch.nn.Module, path: str | Path, meta: dict | None = None) -> Path:
    """Ship-ready weights: entropy-coder tables built, float tensors stored as float16 (half the
    size; the digest pins exactly these values, so encoder and decoder load identical numbers)."""
    import copy

    m = copy.deepcopy(model).cpu().float().eval()
    m.update(force=True)
    state = {
        k: (v.half() if v.is_floating_point() else v) for k, v in m.state_dict().items()
    }
    atomic_save({"arch": model.arch, "config": model.config, "state_dict": state, "meta": meta or {}}, path)
    return Path(path)


def load_model_state(model: torch.nn.Module, path: str | Path) -> dict:
    """Load weights from a weights file or a training checkpoint into `model` (warm start)."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    state = blob.get("state_dict") or blob["model"]
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    # Entropy-coder tables have data-dependent sizes; drop them (update() rebuilds them).
    table_keys = [k for k in state if k.endswith(("_quantized_cdf", "_offset", "_cdf_length"))]
    for k in table_keys:
        state.pop(k)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(("_quantized_cdf", "_offset", "_cdf_length"))]
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]})")
    return blob
