#!/usr/bin/env python3
"""Node benchmark: 640x512 RGB + 640x512 thermal at 10 Hz for 60 s through the encoder and decoder
nodes (separate processes, DDS on loopback), once per codec. Reports delivered pairs, encoder
drops, capture->decoded latency p50/p95, link kbit/s next to the raw image bitrate, and PSNR.

    nice -n 5 .venv/bin/python tools/bench_nodes.py --codecs jpeg webp --out docs/results_nodes.md  # updates its table

Not a test: it takes about a minute and a half per codec. Every kbit/s is from bytes on the wire.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADER = ("| codec | quality | pairs sent | paired by encoder | encoder drops | delivered | latency p50 / p95 (ms) | link kbit/s | kB per pair | "
          "raw kbit/s | ratio | PSNR colour / thermal (dB) | encode / decode p50 (ms) | load avg |")


def row(s: dict) -> str:
    enc, dec = s["encoder"], s["decoder"]
    ratio = s["raw_kbps"] / s["link_kbps"] if s["link_kbps"] else float("nan")
    return (f"| {s['codec']} | {s['quality']} | {s['pairs_sent']} | {enc['pairs_in']} | {s['encoder_drops']} | "
            f"{s['pairs_received']} | "
            f"{s['latency_ms_p50']:.0f} / {s['latency_ms_p95']:.0f} | {s['link_kbps']:.0f} | {s['link_kb_per_pair']:.1f} | "
            f"{s['raw_kbps']:.0f} | "
            f"{ratio:.0f}x | {s['psnr_rgb_db']:.2f} / {s['psnr_thermal_db']:.2f} | "
            f"{enc['encode_ms_p50']:.0f} / {dec['decode_ms_p50']:.0f} | {s['load_avg']:.1f} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codecs", nargs="+", default=["jpeg"], help="codecs to run (default: jpeg)")
    ap.add_argument("--quality", type=float, default=0.5, help="quality for every codec (default 0.5)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--size", default="640x512", help="WIDTHxHEIGHT of both cameras")
    ap.add_argument("--out", type=Path, help="write the markdown table here (and a .json beside it)")
    args = ap.parse_args(argv)

    from rgbir_compress.scene import SyntheticScene
    from rgbir_harness.session import run_loopback

    w, h = (int(v) for v in args.size.lower().split("x"))
    scene = SyntheticScene(h, w)
    results = []
    for codec in args.codecs:
        print(f"[bench] {codec}: {args.seconds:g} s at {args.rate:g} Hz", file=sys.stderr, flush=True)
        # run_loopback owns rclpy init/shutdown, so each codec gets a fresh run in this process
        summary = run_loopback(scene.frame, args.seconds, args.rate, f"/rgbir_bench_{os.getpid()}_{codec}",
                               {"codec": codec, "fallback_codec": "", "quality": args.quality}, {},
                               say=lambda text: print(f"[bench]   {text}", file=sys.stderr, flush=True))
        summary["load_avg"] = os.getloadavg()[0]  # 1-minute load at the end of the run: other work on the machine
        results.append(summary)
        print(row(summary), flush=True)

    raw = results[0]["raw_kbps"] if results else 0
    lines = [
        f"Input: synthetic scene, {w}x{h} rgb8 + {w}x{h} mono8 at {args.rate:g} Hz for {args.seconds:g} s per codec "
        f"(raw {raw / 1000:.1f} Mbit/s), quality {args.quality:g}, encoder input QoS sensor-data, output reliable, "
        f"Fast DDS with config/fastdds_loopback.xml. Machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        HEADER,
        "|" + "---|" * HEADER.count(" | ") + "---|",
        *(row(s) for s in results),
    ]
    table = "\n".join(lines)
    print(table)
    if args.out:
        write_table(args.out, table)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str))
    return 0


BEGIN, END = "<!-- bench_nodes:begin -->", "<!-- bench_nodes:end -->"


def write_table(path: Path, table: str) -> None:
    """Replace the text between the BEGIN/END markers of `path` (its prose stays), or write the file."""
    block = f"{BEGIN}\n{table}\n{END}"
    text = path.read_text() if path.is_file() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
