"""Bjontegaard-delta rate through PyPI `bjontegaard` (Akima interpolation of log-rate over quality).

Curves from real codecs are not always clean (a quality step that costs bits but no PSNR, lossless
ends at infinity), so the points are cleaned first: finite values only, sorted by rate, and only
points that raise quality kept. The overlap along the quality axis is returned with the number,
because a BD-rate over a small overlap says little.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

METHOD = "akima"


@dataclass(frozen=True)
class BDResult:
    percent: float | None  # rate change of test vs reference at equal quality; None: no overlap
    overlap: float         # overlapping fraction of the union of both quality ranges, 0..1
    points: tuple[int, int]  # points used (reference, test)


def clean_curve(rate: Sequence[float], dist: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Finite, positive-rate points sorted by rate, keeping only those that improve quality."""
    r = np.asarray(rate, np.float64)
    d = np.asarray(dist, np.float64)
    ok = np.isfinite(r) & np.isfinite(d) & (r > 0)
    r, d = r[ok], d[ok]
    order = np.argsort(r, kind="stable")
    keep_r, keep_d = [], []
    for ri, di in zip(r[order], d[order]):
        if not keep_d or di > keep_d[-1]:
            keep_r.append(ri)
            keep_d.append(di)
    return np.array(keep_r), np.array(keep_d)


def overlap_fraction(d_ref: np.ndarray, d_test: np.ndarray) -> float:
    lo, hi = max(d_ref.min(), d_test.min()), min(d_ref.max(), d_test.max())
    span = max(d_ref.max(), d_test.max()) - min(d_ref.min(), d_test.min())
    return float(max(hi - lo, 0.0) / span) if span > 0 else 0.0


def bd_rate(ref_rate: Sequence[float], ref_dist: Sequence[float],
            test_rate: Sequence[float], test_dist: Sequence[float]) -> BDResult:
    """BD-rate (%) of test against reference: negative = test needs fewer bits for equal quality."""
    from bjontegaard import bd_rate as _bd_rate

    r0, d0 = clean_curve(ref_rate, ref_dist)
    r1, d1 = clean_curve(test_rate, test_dist)
    points = (len(r0), len(r1))
    if min(points) < 2:
        return BDResult(None, 0.0, points)
    overlap = overlap_fraction(d0, d1)
    if overlap <= 0:
        return BDResult(None, 0.0, points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the overlap is reported alongside instead
        value = float(_bd_rate(r0, d0, r1, d1, method=METHOD, require_matching_points=False))
    return BDResult(value if math.isfinite(value) else None, overlap, points)


def msssim_db(value: float | None) -> float:
    """MS-SSIM on a dB scale, -10 log10(1 - MS-SSIM), so BD over MS-SSIM behaves like BD over PSNR."""
    if value is None or not math.isfinite(value):
        return float("nan")
    return float("inf") if value >= 1.0 else -10.0 * math.log10(1.0 - value)
