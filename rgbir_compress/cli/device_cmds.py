"""`rgbir-compress train-pack` (the training set as one small file a lent GPU machine can carry) and
`rgbir-compress device-train` (the run that tools/device_train.sh starts there).

device-train trains within a wall-clock budget and gathers what must come back into one folder
($OUT on the device machine): the exported weights, log.csv, the real-bitstream validation table
(val.json, val.md) and run.json with throughput and the machine. Imports torch only when it runs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

DEFAULT_PACK = "pack/train.pack"
PART_BYTES = (16 << 20) - (64 << 10)  # the device tool returns files of at most 16 MiB


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train-pack", help="write a training set (+ validation pairs) as one compact file",
        description="Training pairs re-coded as high-quality WebP (JPEG sources kept byte for byte) and "
                    "validation pairs stored losslessly, in one zip that device machines carry. Prints "
                    "its size and the PSNR of the re-coded images against their sources.")
    p.add_argument("--manifest", required=True, help="manifest CSV (../shared/data/rgbir/manifest.csv)")
    p.add_argument("--split", default="train", help="training split(s), comma-separated (train,extra)")
    p.add_argument("--source", default="", help="training source filter, comma-separated")
    p.add_argument("--val", type=int, default=3, metavar="N", help="validation pairs to store (losslessly)")
    p.add_argument("--val-split", default="val")
    p.add_argument("--val-source", default="m3fd")
    p.add_argument("--quality", type=int, default=85, help="WebP quality of colour images (85: 20.6 MiB for split train)")
    p.add_argument("--ir-quality", type=int, default=85, help="WebP quality of thermal images")
    p.add_argument("--recode-jpeg", action="store_true", help="re-code JPEG sources too (default: keep them)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("-o", "--output", default=DEFAULT_PACK, help=f"pack file (default {DEFAULT_PACK})")
    p.set_defaults(func=_pack)

    d = subparsers.add_parser(
        "device-train", help="train within N minutes and gather weights, log and validation into --out",
        description="What tools/device_train.sh runs on a lent GPU machine: `train` with a wall-clock "
                    "budget (checkpoint, final validation and weights export before it ends), then the "
                    "files that come back copied into --out.")
    d.add_argument("--config", required=True, metavar="FILE")
    d.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    d.add_argument("--minutes", type=float, default=5.0,
                   help="wall-clock budget from DEVICE_T0 (set by tools/device_train.sh) or from now")
    d.add_argument("--out", default=os.environ.get("OUT", "runs/device-out"), help="folder for what comes back")
    d.set_defaults(func=_device_train)


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


def val_table(rows: list[dict]) -> str:
    """Markdown: one line per (step, quality) with real bitstream bpp and PSNR per modality."""
    lines = ["| step | q | bpp rgb | PSNR rgb (dB) | bpp ir | PSNR ir (dB) |", "|---|---|---|---|---|---|"]
    for row in rows:
        qs = sorted({k.split("_")[0] for k in row if k.startswith("q")}, key=lambda q: float(q[1:]))
        for q in qs:
            lines.append(f"| {row['step']} | {q[1:]} | {row[f'{q}_bpp_rgb']:.4f} | {row[f'{q}_psnr_rgb']:.2f} | "
                         f"{row[f'{q}_bpp_ir']:.4f} | {row[f'{q}_psnr_ir']:.2f} |")
    return "\n".join(lines) + "\n"


def _machine() -> dict:
    import torch

    info = {"torch": torch.__version__, "python": sys.version.split()[0], "cuda": torch.cuda.is_available()}
    try:
        import compressai

        info["compressai"] = compressai.__version__
    except ImportError:
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["peak_gpu_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return info


def _device_train(args: argparse.Namespace) -> int:
    from .train_cmds import load_config

    t0 = float(os.environ.get("DEVICE_T0") or time.time())
    cfg = load_config(args, "device-train")
    if cfg is None:
        return 2
    cfg.time_budget_min = max(1e-3, args.minutes - (time.time() - t0) / 60)  # <= 0 would mean no budget
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from ..train.loop import train

    print(json.dumps({"config": args.config, "overrides": args.overrides, "budget_min": round(cfg.time_budget_min, 2),
                      **_machine()}), flush=True)
    try:
        step, error = train(cfg).step, None
    except Exception as exc:  # one try on a lent machine: still bring back what was written
        import traceback

        traceback.print_exc()
        step, error = -1, f"{type(exc).__name__}: {exc}"
    run = Path(cfg.out_dir)
    if error and (run / "checkpoint.pth").is_file():  # the last checkpoint's weights, if any
        from ..train.checkpoint import export_checkpoint

        try:
            export_checkpoint(run / "checkpoint.pth", run / "weights.pth")
        except Exception as exc:
            print(f"export of {run / 'checkpoint.pth'} failed too: {exc}", file=sys.stderr)
    copied = []
    for name in ("weights.pth", "log.csv"):
        if (run / name).is_file():
            copied += copy_in_parts(run / name, out)
    rows = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()] \
        if (run / "val.jsonl").is_file() else []
    if rows:
        (out / "val.json").write_text(json.dumps(rows, indent=1))
        (out / "val.md").write_text(val_table(rows[-1:]))
        copied += ["val.json", "val.md"]
    summary = {"step": step, "steps": cfg.steps, "error": error, "wall_s": round(time.time() - t0, 1),
               "rates": _last_rates(run / "log.csv"), "files": copied, "config": cfg.to_dict(), **_machine()}
    (out / "run.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k] for k in ("step", "steps", "error", "wall_s", "rates", "files")}))
    if rows:
        print(val_table(rows[-1:]))
    return 0 if error is None and any(n.startswith("weights.pth") for n in copied) else 1


def copy_in_parts(src: Path, out: Path, limit: int = PART_BYTES) -> list[str]:
    """Copy `src` into `out`; a file above `limit` becomes NAME.part0, NAME.part1, ... (the device
    tool returns files of at most 16 MiB; `cat NAME.part* > NAME` joins them)."""
    if src.stat().st_size <= limit:
        shutil.copy2(src, out / src.name)
        return [src.name]
    names = []
    with src.open("rb") as f:
        while chunk := f.read(limit):
            names.append(f"{src.name}.part{len(names)}")
            (out / names[-1]).write_bytes(chunk)
    return names


def _last_rates(log_csv: Path) -> dict:
    """Median steps/s and images/s over the log rows of this run's second half (warm-up excluded)."""
    import csv
    import statistics

    if not log_csv.is_file():
        return {}
    with log_csv.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("steps_per_s")]
    rows = [r for r in rows[len(rows) // 2:] if float(r["steps_per_s"]) > 0]
    if not rows:
        return {}
    return {"steps_per_s": statistics.median(float(r["steps_per_s"]) for r in rows),
            "images_per_s": statistics.median(float(r["images_per_s"]) for r in rows)}
