"""Distortion metrics on uint8/uint16 arrays."""
from __future__ import annotations

import numpy as np


def psnr(ref: np.ndarray, test: np.ndarray, peak: float | None = None) -> float:
    """PSNR in dB over all channels; peak defaults to the dtype's maximum (255, 65535)."""
    if ref.shape != test.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {test.shape}")
    if peak is None:
        peak = float(np.iinfo(ref.dtype).max) if np.issubdtype(ref.dtype, np.integer) else 1.0
    mse = np.mean((ref.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))
