"""`rgbir-compress train-pack`: a training set (+ a few validation pairs) as one compact file, so a
training job on another machine (a cloud GPU, a cluster node) needs one small upload, and trains
from memory (`train_pack=` in the config)."""
from __future__ import annotations

import argparse
import os
import sys
import time

DEFAULT_PACK = "pack/train.pack"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train-pack", help="write a training set (+ validation pairs) as one compact file",
        description="Training pairs re-coded as high-quality WebP (JPEG sources kept byte for byte) and "
                    "validation pairs stored losslessly, in one zip to copy to a training machine. Prints "
                    "its size and the PSNR of the re-coded images against their sources.")
    p.add_argument("--manifest", required=True, help="manifest CSV of the pairs (docs/training.md)")
    p.add_argument("--split", default="train", help="training split(s), comma-separated (train,extra)")
    p.add_argument("--source", default="", help="training source filter, comma-separated")
    p.add_argument("--val", type=int, default=3, metavar="N", help="validation pairs to store (losslessly)")
    p.add_argument("--val-split", default="val")
    p.add_argument("--val-source", default="m3fd")
    p.add_argument("--quality", type=int, default=85, help="WebP quality of colour images")
    p.add_argument("--ir-quality", type=int, default=85, help="WebP quality of thermal images")
    p.add_argument("--recode-jpeg", action="store_true", help="re-code JPEG sources too (default: keep them)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("-o", "--output", default=DEFAULT_PACK, help=f"pack file (default {DEFAULT_PACK})")
    p.set_defaults(func=_pack)


def _pack(args: argparse.Namespace) -> int:
    from ..manifest import read_manifest
    from ..train.pack import write_pack

    train = read_manifest(args.manifest, split=args.split or None, source=args.source or None)
    val = read_manifest(args.manifest, split=args.val_split or None, source=args.val_source or None)[: args.val]
    if not train:
        print(f"rgbir-compress train-pack: error: no pairs with split={args.split!r}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    stats = write_pack(args.output, train, val, quality=args.quality, ir_quality=args.ir_quality,
                       keep_jpeg=not args.recode_jpeg, threads=args.threads)
    print(stats.summary())
    print(f"({time.monotonic() - t0:.0f} s)")
    return 0
