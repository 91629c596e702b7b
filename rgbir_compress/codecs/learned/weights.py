"""Shipped weights: where they live, their digest (the model_id in every stream), loading."""
from __future__ import annotations

import hashlib
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights"


class MissingWeightsError(FileNotFoundError):
    """No weights file for a learned codec (train one, or pass weights=PATH)."""


def weights_path(name: str, override: str | Path | None = None) -> Path:
    path = Path(override) if override else WEIGHTS_DIR / f"{name}.pth"
    if not path.is_file():
        raise MissingWeightsError(
            f"no weights for learned codec {name!r} at {path}; train them with "
            f"`rgbir-compress train --config config/train/{name}.yaml` or pass weights=PATH"
        )
    return path


def digest(path: str | Path) -> str:
    """First 16 hex digits of the file's SHA-256: pins the exact weights."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def load_module(path: str | Path):
    """Build the architecture recorded in a weights file and load it, ready to code."""
    import torch

    from ...train.checkpoint import load_model_state
    from .zoo import build

    blob = torch.load(path, map_location="cpu", weights_only=False)
    model = build(blob["arch"], **blob["config"])
    load_model_state(model, path)  # entropy-coder tables as stored: no update(), no recomputation
    model.eval()
    return model, blob.get("meta", {})
