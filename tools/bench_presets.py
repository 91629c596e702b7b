#!/usr/bin/env python3
"""Speed presets of the classical codecs: rate-distortion against JPEG and time per pair.

For each candidate (a registered codec name, e.g. `webp-m0`, or `name:option=value,...`) this
codes N real pairs (val/m3fd by default, resized to 640x512) at several qualities and reports
bpp and PSNR per modality from the bytes written, BD-rate against JPEG per modality, and the
median encode and decode ms of one 640x512 pair (colour + thermal) at quality 0.5. It also codes
frames of the synthetic scene the demo plays, so the demo's link rate and PSNR can be predicted.
Run it once pinned to one core (`taskset -c 0`) and once on all cores to see what threads buy.

    taskset -c 0 .venv/bin/python tools/bench_presets.py --out results/presets_1core.json
    .venv/bin/python tools/bench_presets.py --out results/presets_2core.json --no-rd  # timing only

Not a test: a few minutes. The table `codec: auto` ranks by is not this one: it comes from
`rgbir-compress eval` results through `rgbir-compress rd-table` (docs/realtime.md).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

DEFAULT_CANDIDATES = ["jpeg", "webp", "webp-m0", "webp-m2", "avif-s10", "avif-s9", "avif-s8",
                      "jpegxl-e1", "jpegxl-e3", "hevc-ultrafast", "hevc-superfast", "fast"]
QUALITIES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def build(spec: str):
    """'avif-s10' or 'avif:speed=10' -> a codec instance."""
    from rgbir_compress.codecs import create

    name, _, opts = spec.partition(":")
    options = {}
    for item in filter(None, opts.split(",")):
        key, _, value = item.partition("=")
        options[key] = int(value) if value.lstrip("-").isdigit() else value
    return create(name, **options)


def load_pairs(manifest: Path, split: str, source: str, limit: int, size: tuple[int, int]):
    from rgbir_compress.imageio import load_rgb, load_thermal, resize_pair

    root = manifest.parent
    with manifest.open() as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split and r["source"] == source][:limit]
    return [resize_pair(load_rgb(root / r["rgb"]), load_thermal(root / r["ir"]), size) for r in rows]


def rd_points(codec, pairs, qualities):
    """Mean bpp and PSNR per modality at each quality, from the container-free bitstreams."""
    from rgbir_compress.metrics import psnr
    from rgbir_compress.frame import ImagePair

    out = []
    for q in qualities:
        bpp_c, bpp_t, ps_c, ps_t = [], [], [], []
        for rgb, th in pairs:
            pair = ImagePair(rgb=rgb, thermal=th, rgb_encoding="rgb8", thermal_encoding="mono8")
            cp = codec.encode(pair, q)
            dec = codec.decode(cp)
            npx = rgb.shape[0] * rgb.shape[1]
            n = cp.byte_count()
            bpp_c.append(8 * n.rgb / npx)
            bpp_t.append(8 * n.thermal / npx)
            ps_c.append(psnr(rgb, dec.rgb))
            ps_t.append(psnr(th, dec.thermal))
        out.append({"quality": q, "bpp_rgb": float(np.mean(bpp_c)), "bpp_thermal": float(np.mean(bpp_t)),
                    "psnr_rgb": float(np.mean(ps_c)), "psnr_thermal": float(np.mean(ps_t))})
    return out


def time_pair(codec, rgb, th, repeat: int) -> tuple[float, float]:
    from rgbir_compress.frame import ImagePair

    pair = ImagePair(rgb=rgb, thermal=th, rgb_encoding="rgb8", thermal_encoding="mono8")
    cp = codec.encode(pair, 0.5)
    codec.decode(cp)  # warm-up
    enc, dec = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        cp = codec.encode(pair, 0.5)
        t1 = time.perf_counter()
        codec.decode(cp)
        t2 = time.perf_counter()
        enc.append(1e3 * (t1 - t0))
        dec.append(1e3 * (t2 - t1))
    return statistics.median(enc), statistics.median(dec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codecs", nargs="+", default=DEFAULT_CANDIDATES)
    ap.add_argument("--manifest", type=Path, default=Path("/work/shared/data/rgbir/manifest.csv"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--source", default="m3fd")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-rd", action="store_true", help="timing only")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    from rgbir_compress.eval.bdrate import bd_rate
    from rgbir_compress.scene import SyntheticScene

    size = (640, 512)
    pairs = [] if args.no_rd else load_pairs(args.manifest, args.split, args.source, args.limit, size)
    scene = SyntheticScene(512, 640)
    synth = [scene.frame(i) for i in range(0, 50, 10)]
    timing_pair = pairs[0] if pairs else synth[0]
    results = {"machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
                           "load_start": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d %H:%M")},
               "pairs": len(pairs), "size": "640x512", "codecs": {}}
    for spec in args.codecs:
        codec = build(spec)
        enc_ms, dec_ms = time_pair(codec, *timing_pair, args.repeat)
        row = {"model_id": codec.model_id, "encode_ms": enc_ms, "decode_ms": dec_ms,
               "load": os.getloadavg()[0]}
        if not args.no_rd:
            row["rd_m3fd"] = rd_points(codec, pairs, QUALITIES)
            row["rd_synthetic"] = rd_points(codec, synth, QUALITIES)
        results["codecs"][spec] = row
        print(f"{spec:16s} enc {enc_ms:7.1f} ms  dec {dec_ms:6.1f} ms", file=sys.stderr, flush=True)
    if not args.no_rd and "jpeg" in results["codecs"]:
        for data in ("rd_m3fd", "rd_synthetic"):
            ref = results["codecs"]["jpeg"][data]
            for spec, row in results["codecs"].items():
                test = row[data]
                bd = {}
                for mod in ("rgb", "thermal"):
                    r = bd_rate([p[f"bpp_{mod}"] for p in ref], [p[f"psnr_{mod}"] for p in ref],
                                [p[f"bpp_{mod}"] for p in test], [p[f"psnr_{mod}"] for p in test])
                    bd[mod] = r.percent
                    bd[f"{mod}_overlap"] = r.overlap
                row[f"bd_{data[3:]}"] = bd
    for spec, row in results["codecs"].items():
        bd = row.get("bd_m3fd", {})
        bs = row.get("bd_synthetic", {})
        fmt = lambda v: "-" if v is None else f"{v:+.1f} %"  # noqa: E731
        print(f"| {spec} | {fmt(bd.get('rgb'))} | {fmt(bd.get('thermal'))} | {fmt(bs.get('rgb'))} | "
              f"{fmt(bs.get('thermal'))} | {row['encode_ms']:.1f} | {row['decode_ms']:.1f} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
