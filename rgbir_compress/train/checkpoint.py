"""Checkpoints that resume exactly (model, optimisers, scheduler, step, every RNG). The compact
weights files that ship in the package are the learned codecs' format (codecs/learned/weights.py).

checkpoint.pth holds: model, opt, aux_opt, sched, step, rng (one state, or a list with one per
rank), and since the scheduler became step-driven also arch, config (the model's constructor
arguments), elapsed (training seconds so far) and world. Older checkpoints without the extra keys
still load.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch

from ..codecs.learned.weights import (  # noqa: F401 (the weights-file format; train.loop reads them here)
    TABLE_SUFFIXES, atomic_save, export_weights, fit_table_buffers, load_model_state)


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


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def load_sched_state(sched: torch.optim.lr_scheduler.LambdaLR, state: dict) -> None:
    """Load a LambdaLR state, or the MultiStepLR state of checkpoints written before the
    schedule became a function of the step (both keep last_epoch = steps taken)."""
    if "lr_lambdas" not in state:
        state = {k: v for k, v in state.items() if k not in ("milestones", "gamma")}
        state["lr_lambdas"] = [None] * len(sched.lr_lambdas)
    sched.load_state_dict(state)


def model_spec(ckpt: dict, ckpt_path: str | Path) -> tuple[str, dict]:
    """(arch, constructor arguments) of a checkpoint: its own keys, else the run's config.json."""
    if "arch" in ckpt and "config" in ckpt:
        return ckpt["arch"], ckpt["config"]
    cfg_file = Path(ckpt_path).with_name("config.json")
    if not cfg_file.is_file():
        raise ValueError(f"{ckpt_path} does not name its architecture and {cfg_file} is missing")
    cfg = json.loads(cfg_file.read_text())
    from .warm_start import WARM_START_KEYS  # files to start from, not constructor arguments

    return cfg["arch"], {k: v for k, v in cfg.get("model", {}).items() if k not in WARM_START_KEYS}


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
