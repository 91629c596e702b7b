"""mono16 radiometric thermal <-> the 8-bit range the codecs code.

The frame's own [min, max] is stretched linearly onto 0..255 (no clipping, so hot spots are kept);
lo and hi travel in the stream, so the decoder restores counts in the original units. The mapping
alone costs at most (hi - lo) / 510 counts of error. This is thermal_max_error -1; 0 and above
send the counts themselves (thermal_precision.py).
"""
from __future__ import annotations

import numpy as np


def span(thermal16: np.ndarray) -> tuple[int, int]:
    """The frame's [min, max], widened to one count when flat (lo < hi always, as streams require)."""
    lo = int(thermal16.min())
    hi = int(thermal16.max())
    if hi <= lo:
        hi = min(lo + 1, 65535)
        lo = hi - 1
    return lo, hi


def to_8bit(thermal16: np.ndarray) -> tuple[np.ndarray, int, int]:
    lo, hi = span(thermal16)
    scaled = (thermal16.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8), lo, hi


def from_8bit(thermal8: np.ndarray, lo: int, hi: int) -> np.ndarray:
    restored = lo + thermal8.astype(np.float32) * ((hi - lo) / 255.0)
    return np.clip(np.rint(restored), 0, 65535).astype(np.uint16)
