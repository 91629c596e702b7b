#!/usr/bin/env python3
"""The training run on a lent device machine (what tools/device_train.sh starts there).

Trains within a wall-clock budget counted from DEVICE_T0 (set by the script) and gathers what must
come back into one folder ($OUT on the device machine): the exported weights, log.csv, the
real-bitstream validation table (val.json, val.md) and run.json with throughput and the machine.
Files above the device tool's 16 MiB limit come back in parts. Development tooling: not installed
with the package.

    python tools/device_train.py --config config/train/gpu_joint.yaml --minutes 5 [key=value ...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PART_BYTES = (16 << 20) - (64 << 10)  # the device tool returns files of at most 16 MiB


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="device_train.py",
        description="`rgbir-compress train` with a wall-clock budget (checkpoint, final validation and "
                    "weights export before it ends), then the files that come back copied into --out.")
    p.add_argument("--config", required=True, metavar="FILE")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    p.add_argument("--minutes", type=float, default=5.0,
                   help="wall-clock budget from DEVICE_T0 (set by tools/device_train.sh) or from now")
    p.add_argument("--out", default=os.environ.get("OUT", "runs/device-out"), help="folder for what comes back")
    return p.parse_args(argv)


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


def main(argv: list[str] | None = None) -> int:
    from rgbir_compress.cli.train_cmds import load_config

    args = parse_args(argv)

    t0 = float(os.environ.get("DEVICE_T0") or time.time())
    cfg = load_config(args, "device-train")
    if cfg is None:
        return 2
    cfg.time_budget_min = max(1e-3, args.minutes - (time.time() - t0) / 60)  # <= 0 would mean no budget
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from rgbir_compress.train.loop import train

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
        from rgbir_compress.train.checkpoint import export_checkpoint

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


if __name__ == "__main__":
    sys.exit(main())
