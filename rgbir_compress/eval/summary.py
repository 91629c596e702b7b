"""Per-pair records -> mean rate-distortion curves per codec, BD-rates against a reference, and the
tables `eval` prints (Markdown, so the same text goes into the docs)."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .bdrate import bd_rate, msssim_db

MODALITIES = ("rgb", "thermal")
#: Lossless decodes have infinite PSNR; they enter mean curves at this value (and are counted).
PSNR_CAP = 100.0
_MEAN_KEYS = ("bpp_rgb", "bpp_thermal", "bpp_container", "container_bytes", "rgb_bytes", "thermal_bytes",
              "thermal_rmse", "encode_ms", "decode_ms")


def _mean(values: list) -> float | None:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(vals)) if vals else None


def mean_curves(records: list[dict]) -> dict[str, list[dict]]:
    """codec -> points sorted by quality, each the mean over pairs (per-image bpp and PSNR averaged,
    the CompressAI convention). MS-SSIM is averaged over the images large enough for it."""
    groups: dict[str, dict[float, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        groups[r["codec"]][r["quality"]].append(r)
    curves: dict[str, list[dict]] = {}
    for codec, by_q in groups.items():
        points = []
        for q in sorted(by_q):
            rs = by_q[q]
            p: dict = {"quality": q, "pairs": len(rs)}
            for key in _MEAN_KEYS:
                p[key] = _mean([r[key] for r in rs])
            for m in MODALITIES:
                ps = [r[f"psnr_{m}"] for r in rs]
                p[f"psnr_{m}"] = _mean([min(v, PSNR_CAP) for v in ps])
                p[f"lossless_{m}"] = sum(1 for v in ps if math.isinf(v))
                ss = [r[f"msssim_{m}"] for r in rs]
                p[f"msssim_{m}"] = _mean(ss)
                p[f"msssim_{m}_pairs"] = sum(1 for v in ss if v is not None)
            # Colour PSNR in YUV 4:2:0 (the joint codec's domain); absent in older results files.
            yuv = [None if r.get("psnr_yuv420") is None else min(r["psnr_yuv420"], PSNR_CAP) for r in rs]
            p["psnr_yuv420"] = _mean(yuv)
            # The joint design's pair measure: both streams' bpp summed, the two PSNRs (colour in
            # YUV 4:2:0) averaged per pair.
            p["bpp_pair"] = _mean([r["bpp_rgb"] + r["bpp_thermal"] for r in rs])
            p["psnr_pair"] = _mean([None if y is None else (y + min(r["psnr_thermal"], PSNR_CAP)) / 2
                                    for y, r in zip(yuv, rs)])
            points.append(p)
        curves[codec] = points
    return curves


#: metric -> (curve key of a modality m, conversion to the BD distortion axis); yuv420 is colour only.
_METRICS = {"psnr": ("psnr_{m}", float), "msssim": ("msssim_{m}", msssim_db), "yuv420": ("psnr_yuv420", float)}


def bd_rates(curves: dict[str, list[dict]], reference: str) -> dict[str, dict]:
    """codec -> modality -> metric ('psnr', 'msssim'; colour also 'yuv420') -> {percent, overlap,
    points} vs reference; modality 'pair' (metric 'psnr') is the joint design's measure: summed bpp
    against the mean of colour YUV 4:2:0 PSNR and thermal PSNR."""
    if reference not in curves:
        return {}
    ref = curves[reference]
    out: dict[str, dict] = {}
    for codec, pts in curves.items():
        entry: dict = {}
        for m in MODALITIES:
            entry[m] = {}
            for metric, (key, conv) in _METRICS.items():
                if metric == "yuv420" and m != "rgb":
                    continue

                def dist(points: list[dict]) -> list[float]:
                    vals = [p.get(key.format(m=m)) for p in points]
                    return [float("nan") if v is None else conv(v) for v in vals]

                entry[m][metric] = _bd_cell(ref, pts, f"bpp_{m}", dist)
        entry["pair"] = {"psnr": _bd_cell(ref, pts, "bpp_pair",
                                          lambda points: [float("nan") if p["psnr_pair"] is None else p["psnr_pair"]
                                                          for p in points])}
        out[codec] = entry
    return out


def _bd_cell(ref: list[dict], pts: list[dict], rate_key: str, dist) -> dict:
    res = bd_rate([p[rate_key] for p in ref], dist(ref), [p[rate_key] for p in pts], dist(pts))
    return {"percent": res.percent, "overlap": round(res.overlap, 3), "points": list(res.points)}


def summarize(records: list[dict], reference: str) -> dict:
    curves = mean_curves(records)
    return {"reference": reference, "curves": curves, "bd_rate": bd_rates(curves, reference)}


# -- tables -----------------------------------------------------------------------------------
def _f(v: float | None, fmt: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _bd(cell: dict | None) -> str:
    if not cell or cell["percent"] is None:
        return "n/a"
    flag = "" if cell["overlap"] >= 0.5 else f" (overlap {cell['overlap']:.0%})"
    return f"{cell['percent']:+.1f}%{flag}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def bd_table(summary: dict) -> str:
    ref = summary["reference"]
    head = ["codec", "bpp RGB", "BD-rate RGB PSNR", "BD-rate RGB MS-SSIM", "BD-rate YUV420 PSNR", "bpp thermal",
            "BD-rate thermal PSNR", "BD-rate thermal MS-SSIM", "BD-rate pair (YUV420 + thermal)", "enc ms", "dec ms"]
    lines = [f"BD-rate against {ref} (negative = fewer bits at equal quality; mean curves over pairs)", "",
             _row(head), _row(["---"] * len(head))]
    for codec, pts in summary["curves"].items():
        bd = summary["bd_rate"].get(codec, {})

        def span(key: str) -> str:
            vals = [p[key] for p in pts if p[key] is not None]
            return f"{min(vals):.3f}-{max(vals):.3f}" if vals else "-"

        lines.append(_row([
            codec, span("bpp_rgb"), _bd(bd.get("rgb", {}).get("psnr")), _bd(bd.get("rgb", {}).get("msssim")),
            _bd(bd.get("rgb", {}).get("yuv420")),
            span("bpp_thermal"), _bd(bd.get("thermal", {}).get("psnr")), _bd(bd.get("thermal", {}).get("msssim")),
            _bd(bd.get("pair", {}).get("psnr")),
            _f(_mean([p["encode_ms"] for p in pts]), ".1f"), _f(_mean([p["decode_ms"] for p in pts]), ".1f"),
        ]))
    return "\n".join(lines)


def curve_table(summary: dict) -> str:
    head = ["codec", "quality", "bpp RGB", "PSNR RGB", "PSNR YUV420", "MS-SSIM RGB", "bpp thermal",
            "PSNR thermal", "MS-SSIM thermal", "container bytes", "enc ms", "dec ms"]
    lines = ["Mean rate-distortion points (per-image values averaged over pairs)", "",
             _row(head), _row(["---"] * len(head))]
    for codec, pts in summary["curves"].items():
        for p in pts:
            lines.append(_row([
                codec, f"{p['quality']:.2f}", _f(p["bpp_rgb"], ".3f"), _f(p["psnr_rgb"], ".2f"),
                _f(p.get("psnr_yuv420"), ".2f"), _f(p["msssim_rgb"], ".4f"), _f(p["bpp_thermal"], ".3f"),
                _f(p["psnr_thermal"], ".2f"),
                _f(p["msssim_thermal"], ".4f"), _f(p["container_bytes"], ".0f"),
                _f(p["encode_ms"], ".1f"), _f(p["decode_ms"], ".1f"),
            ]))
    return "\n".join(lines)


def format_tables(summary: dict) -> str:
    return bd_table(summary) + "\n\n" + curve_table(summary)
