"""Where image pairs are: manifest CSVs and the folder layouts of public RGB-IR sets.

Shared by training, evaluation and the tools; reads paths only (no pixels, no torch).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

# Folder layouts of public RGB-IR sets: (colour folder, thermal folder) names.
FOLDER_LAYOUTS = {
    "llvip": ("visible", "infrared"),
    "kaist": ("visible", "lwir"),
    "flir": ("rgb", "thermal"),
    "rgbir": ("rgb", "ir"),
}


@dataclass(frozen=True)
class PairPath:
    rgb: Path
    ir: Path


def read_manifest(manifest: str | Path, *, split: str | None = None, source: str | None = None,
                  under: str | None = None) -> list[PairPath]:
    """Pairs listed in a manifest CSV (columns `rgb`, `ir` relative to the manifest's folder;
    optional `split`/`source` columns filter, each a name or a comma-separated list of names, e.g.
    split="train,extra"; `under` keeps paths starting with that prefix)."""
    manifest = Path(manifest)
    splits = set(split.split(",")) if split else None
    sources = set(source.split(",")) if source else None
    root = manifest.parent
    pairs = []
    with manifest.open(newline="") as f:
        for row in csv.DictReader(f):
            if "rgb" not in row or "ir" not in row:
                raise ValueError(f"{manifest}: needs columns 'rgb' and 'ir', has {list(row)}")
            if splits and row.get("split") not in splits:
                continue
            if sources and row.get("source") not in sources:
                continue
            if under and not row["rgb"].startswith(under):
                continue
            pairs.append(PairPath(root / row["rgb"], root / row["ir"]))
    return pairs


def scan_folders(root: str | Path, layout: str) -> list[PairPath]:
    """Pairs from a folder layout (e.g. LLVIP `visible/` + `infrared/`), matched by file stem;
    searched recursively so split subfolders (train/, test/) work."""
    if layout not in FOLDER_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(FOLDER_LAYOUTS)}")
    rgb_name, ir_name = FOLDER_LAYOUTS[layout]
    pairs = []
    for rgb_dir in sorted(Path(root).rglob(rgb_name)):
        ir_dir = rgb_dir.parent / ir_name
        if not ir_dir.is_dir():
            continue
        irs = {p.stem: p for p in ir_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS}
        for p in sorted(rgb_dir.iterdir()):
            if p.suffix.lower() in IMAGE_EXTS and p.stem in irs:
                pairs.append(PairPath(p, irs[p.stem]))
    return pairs
