#!/usr/bin/env python3
"""Where does a codec's colour error sit? PSNR of the decoded colour per 4:2:0 plane (Y, and U+V
together; BT.601 full range, rgbir_compress/yuv.py), next to RGB PSNR, and the PSNR of the plain
RGB -> 4:2:0 -> RGB round trip (the ceiling that chroma subsampling alone sets).

Used to locate the joint codec's flat colour PSNR at high rates (docs/model_joint.md):

    .venv/bin/python tools/plane_psnr.py --codec joint --limit 4 --qualities 0,1
"""
from __future__ import annotations

import argparse

import numpy as np

from rgbir_compress.codecs import create
from rgbir_compress.imageio import load_rgb, load_thermal
from rgbir_compress.metrics import psnr
from rgbir_compress.manifest import read_manifest
from rgbir_compress.yuv import rgb_to_yuv420, rgb_to_yuv420_float, yuv420_to_rgb


def plane_psnrs(ref: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """(Y PSNR, U+V PSNR) in dB, peak 1, of two uint8 RGB images."""
    a, b = rgb_to_yuv420_float(ref), rgb_to_yuv420_float(test)
    uv = np.concatenate([(a.u - b.u).ravel(), (a.v - b.v).ravel()])
    return (float(10 * np.log10(1 / np.mean((a.y - b.y) ** 2))), float(10 * np.log10(1 / np.mean(uv**2))))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--codec", default="joint", help="registered codec name")
    p.add_argument("--manifest", default="../shared/data/rgbir/manifest.csv")
    p.add_argument("--split", default="val")
    p.add_argument("--source", default="m3fd")
    p.add_argument("--limit", type=int, default=4, help="first N pairs")
    p.add_argument("--qualities", default="0,1")
    args = p.parse_args()

    pairs = read_manifest(args.manifest, split=args.split, source=args.source)[: args.limit]
    if not pairs:
        raise SystemExit(f"no pairs in {args.manifest} for split={args.split} source={args.source}")
    codec = create(args.codec)
    images = [(load_rgb(pp.rgb), load_thermal(pp.ir)) for pp in pairs]
    ceiling = [psnr(rgb, yuv420_to_rgb(rgb_to_yuv420(rgb))) for rgb, _ in images]  # uint8 planes
    print(f"{codec.model_id}, {len(pairs)} pairs of {args.manifest} {args.split}/{args.source}")
    print(f"4:2:0 round trip alone: RGB PSNR {np.mean(ceiling):.2f} dB")
    for q in (float(x) for x in args.qualities.split(",")):
        rows = []
        for rgb, thermal in images:
            streams = codec.encode_streams(rgb, thermal, q)
            rgb_hat, _ = codec.decode_streams(streams, rgb.shape[:2], thermal.shape[:2], q)
            rows.append((psnr(rgb, rgb_hat), *plane_psnrs(rgb, rgb_hat)))
        r, y, uv = np.mean(rows, axis=0)
        print(f"q={q:.2f}: RGB {r:.2f} dB, Y {y:.2f} dB, U+V {uv:.2f} dB")


if __name__ == "__main__":
    main()
