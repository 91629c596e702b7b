"""`rgbir-compress train` (one command from 2 CPU cores to torchrun on many GPUs) and
`rgbir-compress export-weights` (a checkpoint -> the compact weights file the codecs load).

Imports torch only when a command runs, so `rgbir-compress --help` stays fast."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train a learned pair codec (resumes from OUT_DIR/checkpoint.pth)",
        description="Train a learned pair codec from a YAML config plus key=value overrides "
                    "(model.N=128 sets one constructor argument). Under torchrun it trains with "
                    "DistributedDataParallel. An existing OUT_DIR/checkpoint.pth is resumed.",
    )
    p.add_argument("--config", metavar="FILE", help="YAML training config (config/train/*.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="settings replacing the config's")
    p.add_argument("--max-steps", type=int, metavar="N", help="stop after N more steps (checkpoint kept)")
    p.add_argument("--print-config", action="store_true", help="print the resolved settings and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    e = subparsers.add_parser(
        "export-weights", help="write the compact weights file of a training checkpoint",
        description="Build the entropy-coder tables and store float16 weights (what the codecs "
                    "load with weights=PATH, or by default from rgbir_compress/weights/NAME.pth).",
    )
    e.add_argument("checkpoint", type=Path, help="a training checkpoint (OUT_DIR/checkpoint.pth)")
    e.add_argument("-o", "--output", type=Path, help="weights file (default: weights.pth beside it)")
    e.set_defaults(func=_export)


def load_config(args: argparse.Namespace, command: str):
    """The run's TrainConfig from --config and key=value overrides, or None after printing why."""
    from ..train.config import TrainConfig

    try:
        cfg = TrainConfig.from_yaml(args.config, args.overrides)
        cfg.data_source()
    except (ValueError, TypeError, OSError) as exc:
        print(f"rgbir-compress {command}: error: {exc}", file=sys.stderr)
        return None
    return cfg


def _train(args: argparse.Namespace) -> int:
    cfg = load_config(args, "train")
    if cfg is None:
        return 2
    if args.print_config:
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    from ..train.loop import train

    result = train(cfg, max_steps=args.max_steps, quiet=args.quiet)
    if not args.quiet:
        done = "finished" if result.step >= cfg.steps else "stopped"
        print(f"{done} at step {result.step}/{cfg.steps}: {result.out_dir}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..train.checkpoint import export_checkpoint

    if not args.checkpoint.is_file():
        print(f"rgbir-compress export-weights: error: no checkpoint at {args.checkpoint}", file=sys.stderr)
        return 2
    out = export_checkpoint(args.checkpoint, args.output or args.checkpoint.with_name("weights.pth"))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0
