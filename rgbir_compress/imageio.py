"""Image files <-> the arrays codecs take, one way for the CLI, eval and bench.

Colour is always read as RGB (grayscale visible images become three equal channels). Thermal is
read as ONE channel: 8-bit files (also 3-channel ones that repeat the gray value) become mono8,
16-bit PNG/TIFF (radiometric counts) stay uint16, i.e. mono16, so no precision is lost on the way in.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def load_rgb(path: str | Path) -> np.ndarray:
    """HxWx3 uint8 RGB."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def load_thermal(path: str | Path) -> np.ndarray:
    """HxW uint8 (mono8) or, for 16-bit files, HxW uint16 (mono16)."""
    with Image.open(path) as im:
        if im.mode in _SIXTEEN_BIT_MODES:
            arr = np.asarray(im)
            if arr.ndim != 2 or arr.min() < 0 or arr.max() > 65535:
                raise ValueError(f"{path}: {im.mode} image is not a 16-bit thermal frame")
            return arr.astype(np.uint16)
        return np.asarray(im.convert("L"))


def save_rgb(path: str | Path, rgb: np.ndarray) -> None:
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(path)


def save_thermal(path: str | Path, thermal: np.ndarray) -> None:
    """mono8 -> 8-bit gray, mono16 -> 16-bit gray (PNG keeps all 16 bits)."""
    if thermal.dtype == np.uint16:
        Image.fromarray(np.ascontiguousarray(thermal)).save(path)  # mode I;16
    else:
        Image.fromarray(np.ascontiguousarray(thermal), "L").save(path)


def resize_pair(rgb: np.ndarray, thermal: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Both images resampled to size = (width, height), bicubic (bench inputs at fixed sizes)."""
    out_rgb = np.asarray(Image.fromarray(rgb, "RGB").resize(size, Image.BICUBIC))
    if thermal.dtype == np.uint16:
        th = Image.fromarray(thermal.astype(np.float32), "F").resize(size, Image.BICUBIC)
        out_th = np.clip(np.rint(np.asarray(th)), 0, 65535).astype(np.uint16)
    else:
        out_th = np.asarray(Image.fromarray(thermal, "L").resize(size, Image.BICUBIC))
    return out_rgb, out_th
