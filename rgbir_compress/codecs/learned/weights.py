"""The weights-file format of the learned codecs: where shipped files live, their digest (the
model_id in every stream), writing (`export_weights`) and loading.

A weights file is a torch pickle {"arch", "config", "state_dict", "meta"}: float16 parameters and the
entropy-coder tables as they were built from exactly those values, so every machine that loads the
file codes with identical tables. Training checkpoints ({"model", ...}) load through the same path.
torch is imported inside the functions, so looking weights up never needs it."""
from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import MissingWeightsError

if TYPE_CHECKING:
    import torch

#: Entropy-coder tables: buffers whose size depends on the trained weights (empty until update()).
TABLE_SUFFIXES = ("_quantized_cdf", "_offset", "_cdf_length", "scale_table")

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights"


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

    from .zoo import build

    blob = torch.load(path, map_location="cpu", weights_only=False)
    model = build(blob["arch"], **blob["config"])
    load_model_state(model, path)  # entropy-coder tables as stored: no update(), no recomputation
    model.eval()
    return model, blob.get("meta", {})


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temporary name, then rename: a kill never leaves a half-written file."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def export_weights(model: "torch.nn.Module", path: str | Path, meta: dict | None = None) -> Path:
    """Ship-ready weights: parameters rounded to float16 (half the size), then the entropy-coder
    tables built from exactly those rounded values and stored as they are, so every machine that
    loads the file codes with identical tables (the digest pins them)."""
    import torch

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


def fit_table_buffers(model: "torch.nn.Module", state: dict) -> None:
    """Resize the model's entropy-coder table buffers to those in `state` so a strict
    load_state_dict accepts them (CompressAI does this only for a CompressionModel at the top)."""
    buffers = dict(model.named_buffers())
    for key, value in state.items():
        buf = buffers.get(key)
        if buf is not None and key.endswith(TABLE_SUFFIXES) and buf.shape != value.shape:
            buf.resize_(value.shape)


def stored_state(path: str | Path) -> tuple[dict, dict]:
    """(the file's blob, its model tensors with float16 weights back as float32)."""
    import torch

    blob = torch.load(path, map_location="cpu", weights_only=False)
    state = blob.get("state_dict") or blob["model"]
    state = {k: v.float() if v.is_floating_point() and not k.endswith(TABLE_SUFFIXES) else v
             for k, v in state.items()}
    return blob, state


def load_model_state(model: "torch.nn.Module", path: str | Path) -> dict:
    """Load weights from a weights file or a training checkpoint into `model` (warm start).
    Float16 weights come back as float32; entropy-coder tables are loaded as stored."""
    blob, state = stored_state(path)
    fit_table_buffers(model, state)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(TABLE_SUFFIXES)]
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]})")
    return blob
