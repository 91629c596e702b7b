"""Throughput and peak memory of each codec at fixed sizes (what a robot budgets for).

Input is one real pair resized to each size (when a manifest is given) or a synthetic pair; the
report says which. Each (codec, size) gets one warm-up round trip, then `repeat` timed encodes and
decodes through container bytes; throughput is 1000 / median ms. Peak memory is the process's
resident-set high-water mark over the warm-up and timed rounds, reset before each (codec, size)
(Linux /proc/self/clear_refs), shown with its rise over the RSS just before (the process itself,
with torch imported, is most of the absolute figure), plus CUDA's allocator peak on a GPU.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import container
from ..codecs.base import PairCodec
from ..frame import ImagePair

DEFAULT_SIZES = ((640, 512), (1280, 1024))


def parse_size(text: str) -> tuple[int, int]:
    """'640x512' -> (640, 512) as (width, height)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must be WIDTHxHEIGHT, e.g. 640x512, got {text!r}") from None
    if w < 1 or h < 1:
        raise ValueError(f"size must be positive, got {text!r}")
    return w, h


# -- peak memory --------------------------------------------------------------------------------
def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's VmHWM for this process; False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


def rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


# -- the benchmark ------------------------------------------------------------------------------
def bench_one(codec: PairCodec, rgb: np.ndarray, thermal: np.ndarray, quality: float, repeat: int) -> dict:
    pair = ImagePair(rgb=rgb, thermal=thermal)
    cuda = _cuda_device(codec)
    if cuda is not None:
        import torch

        torch.cuda.synchronize(cuda)
        torch.cuda.reset_peak_memory_stats(cuda)
    baseline = rss_mb()
    exact_peak = reset_peak_rss()  # the peak covers the warm-up too: lazy initialisation is real memory
    blob = container.dumps(codec.encode(pair, quality))  # warm-up, not timed
    codec.decode(container.loads(blob))
    enc, dec = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        blob = container.dumps(codec.encode(pair, quality))
        _sync(cuda)
        t1 = time.perf_counter()
        codec.decode(container.loads(blob))
        _sync(cuda)
        t2 = time.perf_counter()
        enc.append(1000 * (t1 - t0))
        dec.append(1000 * (t2 - t1))
    enc_ms, dec_ms = statistics.median(enc), statistics.median(dec)
    out = {
        "container_bytes": len(blob),
        "encode_ms_median": enc_ms,
        "decode_ms_median": dec_ms,
        "encode_ms_all": [round(v, 2) for v in enc],
        "decode_ms_all": [round(v, 2) for v in dec],
        "encode_pairs_per_s": 1000 / enc_ms,
        "decode_pairs_per_s": 1000 / dec_ms,
        "roundtrip_pairs_per_s": 1000 / (enc_ms + dec_ms),
        "rss_before_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_is_per_run": exact_peak,
    }
    if cuda is not None:
        import torch

        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated(cuda) / 2**20
    return out


def _cuda_device(codec: PairCodec):
    where = codec.runs_on()
    if not where.startswith("cuda"):
        return None
    import torch

    return torch.device(where)


def _sync(dev) -> None:
    if dev is not None:
        import torch

        torch.cuda.synchronize(dev)


def run_bench(codecs: dict[str, PairCodec], inputs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]],
              quality: float, repeat: int, *, progress: bool = True) -> list[dict]:
    rows = []
    jobs = [(name, size) for name in codecs for size in inputs]
    for name, size in tqdm(jobs, desc="bench", unit="run", disable=not progress, dynamic_ncols=True):
        rgb, thermal = inputs[size]
        rows.append({"codec": name, "size": f"{size[0]}x{size[1]}", "quality": quality, "repeat": repeat,
                     **bench_one(codecs[name], rgb, thermal, quality, repeat)})
    return rows


def bench_table(rows: list[dict]) -> str:
    head = ["codec", "size (RGB = thermal)", "encode ms", "decode ms", "encode pairs/s", "decode pairs/s",
            "round trip pairs/s", "container bytes", "peak RSS MB (+ over RSS before)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        peak = f"{r['peak_rss_mb']:.0f}"
        if r["peak_rss_is_per_run"] and r.get("rss_before_mb") is not None:
            peak += f" (+{max(r['peak_rss_mb'] - r['rss_before_mb'], 0):.0f})"
        elif not r["peak_rss_is_per_run"]:
            peak += " (process lifetime peak)"
        if "cuda_peak_mb" in r:
            peak += f" + CUDA {r['cuda_peak_mb']:.0f}"
        lines.append("| " + " | ".join([
            r["codec"], r["size"], f"{r['encode_ms_median']:.1f}", f"{r['decode_ms_median']:.1f}",
            f"{r['encode_pairs_per_s']:.1f}", f"{r['decode_pairs_per_s']:.1f}",
            f"{r['roundtrip_pairs_per_s']:.1f}", str(r["container_bytes"]), peak,
        ]) + " |")
    return "\n".join(lines)
