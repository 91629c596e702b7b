"""The evaluation loop: every pair x codec x quality through encode -> container bytes -> decode.

Rates are counted from the container bytes actually produced (`container.dumps`), and the decoder
sees only those bytes, so a codec cannot report a rate it did not write or an image it did not
decode. Timings include the container step on each side.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from tqdm import tqdm

from .. import container
from ..codecs.base import PairCodec
from ..frame import ImagePair
from ..imageio import load_rgb, load_thermal
from ..metrics import ms_ssim, psnr, psnr_yuv420, thermal_peak

#: Six qualities per codec, picked from a sweep on real pairs so that the classical codecs' curves
#: span the same rate and PSNR range: the same quality number means very different rates across
#: codecs, and BD-rates need curves that overlap. Codecs not listed (the learned ones) get FALLBACK_QUALITIES.
DEFAULT_QUALITIES: dict[str, tuple[float, ...]] = {
    "jpeg": (0.05, 0.15, 0.3, 0.5, 0.7, 0.9),
    "webp": (0.05, 0.2, 0.4, 0.6, 0.8, 0.9),
    "avif": (0.2, 0.35, 0.5, 0.6, 0.7, 0.85),
    "jpegxl": (0.0, 0.1, 0.2, 0.3, 0.4, 0.55),
    "hevc": (0.1, 0.2, 0.3, 0.4, 0.5, 0.55),
}
FALLBACK_QUALITIES: tuple[float, ...] = (0.1, 0.26, 0.42, 0.58, 0.74, 0.9)


@dataclass(frozen=True)
class PairSource:
    name: str
    rgb: Path
    ir: Path


def default_qualities(name: str) -> list[float]:
    return list(DEFAULT_QUALITIES.get(name, FALLBACK_QUALITIES))


@dataclass(frozen=True)
class CodecSpec:
    """One entry of `--codec`: `NAME`, or `LABEL=NAME@WEIGHTS` to measure other weights of a
    learned codec (a training run, an ablation) under their own label in the results."""

    label: str
    name: str
    weights: str | None = None

    @classmethod
    def parse(cls, text: str) -> "CodecSpec":
        head, sep, tail = text.partition("=")
        label, rest = (head, tail) if sep and "@" not in head else ("", text)
        name, _, weights = rest.partition("@")
        name, label = name.strip(), label.strip() or name.strip()
        if not name or ("@" in rest and not weights.strip()):
            raise ValueError(f"bad codec entry {text!r}: use NAME or LABEL=NAME@WEIGHTS")
        return cls(label, name, weights.strip() or None)


def measure(codec: PairCodec, rgb: np.ndarray, thermal: np.ndarray, quality: float) -> dict:
    """One encode/decode through real container bytes, with rates, distortions and timings."""
    t0 = time.perf_counter()
    cp = codec.encode(ImagePair(rgb=rgb, thermal=thermal), quality)
    blob = container.dumps(cp)
    t1 = time.perf_counter()
    out = codec.decode(container.loads(blob))
    t2 = time.perf_counter()
    if out.rgb.shape != rgb.shape or out.thermal.shape != thermal.shape or out.thermal.dtype != thermal.dtype:
        raise RuntimeError(f"{codec.name}: decoded {out.rgb.shape}/{out.thermal.shape} from {rgb.shape}/{thermal.shape}")
    counted = cp.byte_count()
    rgb_px = rgb.shape[0] * rgb.shape[1]
    th_px = thermal.shape[0] * thermal.shape[1]
    peak = thermal_peak(thermal)
    err = thermal.astype(np.float64) - out.thermal.astype(np.float64)
    return {
        "quality": float(quality),
        "rgb_hw": list(rgb.shape[:2]),
        "thermal_hw": list(thermal.shape),
        "thermal_encoding": cp.thermal_encoding,
        "container_bytes": len(blob),
        "rgb_bytes": counted.rgb_stream,
        "thermal_bytes": counted.thermal_stream,
        "affine_bytes": counted.affine,
        "bpp_rgb": 8 * counted.rgb / rgb_px,
        "bpp_thermal": 8 * counted.thermal / th_px,
        "bpp_container": 8 * len(blob) / rgb_px,
        "psnr_rgb": psnr(rgb, out.rgb),
        "psnr_yuv420": psnr_yuv420(rgb, out.rgb),
        "psnr_thermal": psnr(thermal, out.thermal, peak=peak),
        "thermal_peak": peak,
        "thermal_rmse": float(np.sqrt(np.mean(err**2))),
        "msssim_rgb": ms_ssim(rgb, out.rgb),
        "msssim_thermal": ms_ssim(thermal, out.thermal, peak=peak),
        "encode_ms": 1000 * (t1 - t0),
        "decode_ms": 1000 * (t2 - t1),
    }


def evaluate(pairs: Iterable[PairSource], codecs: dict[str, PairCodec],
             qualities: dict[str, list[float]], *, progress: bool = True) -> list[dict]:
    """Records for every pair x codec x quality. Each pair's files are read once."""
    pairs = list(pairs)
    total = len(pairs) * sum(len(qualities[name]) for name in codecs)
    records: list[dict] = []
    with tqdm(total=total, unit="code", desc="eval", disable=not progress, dynamic_ncols=True) as bar:
        for pair in pairs:
            rgb, thermal = load_rgb(pair.rgb), load_thermal(pair.ir)
            for name, codec in codecs.items():
                bar.set_postfix_str(f"{name} {pair.name}", refresh=False)
                for q in qualities[name]:
                    records.append({"pair": pair.name, "codec": name, **measure(codec, rgb, thermal, q)})
                    bar.update()
    return records
