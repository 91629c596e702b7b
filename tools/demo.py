#!/usr/bin/env python3
"""The main job: RGB + thermal pairs through the encoder and decoder nodes over DDS on loopback.

On built-in defaults it generates a time-synchronised 640x512 colour + thermal sequence (a
synthetic scene; `--source DIR` plays real pairs from a folder with rgb/ and ir/ images instead,
`--source ../shared/data/rgbt_seq/NAME` the MP4 sequence pair NAME_rgb.mp4 + NAME_ir.mp4 at --rate,
both at their own size unless --size is given),
starts the encoder and decoder nodes as separate processes with their default configuration
(config/encoder.yaml, config/decoder.yaml), publishes for a few seconds and prints pairs sent and
received, link kbit/s against the raw image bitrate, PSNR of the decoded images, and latency from
the capture stamp to the decoded image.

    .venv/bin/python tools/demo.py                         # defaults: node defaults, 10 Hz, 5 s
    .venv/bin/python tools/demo.py --codec jpeg --quality 0.7 --seconds 10
    .venv/bin/python tools/demo.py --source ../shared/data/rgbir/val/m3fd --json
    .venv/bin/python tools/demo.py --source ../shared/data/rgbt_seq/0113_1714 --codec hevc-stream --seconds 10

Nothing leaves this machine: discovery is limited to localhost, and the run uses its own namespace.
`--bag PATH --rgb-topic T --ir-topic T` replays the time-synchronised pairs of a rosbag instead.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0, help="how long to publish (default 5)")
    ap.add_argument("--rate", type=float, default=10.0, help="camera frame rate, Hz (default 10)")
    ap.add_argument("--size", help="WIDTHxHEIGHT of both cameras (default: a real source's own size; "
                                   "640x512 for the synthetic scene)")
    ap.add_argument("--mono16", action="store_true", help="16-bit thermal (mono16) instead of mono8")
    ap.add_argument("--thermal-max-error", type=int,
                    help="mono16 precision (the encoder's thermal_max_error): -1 8-bit window (the node's default), "
                         "0 lossless, N within N counts")
    ap.add_argument("--source", type=Path,
                    help="play real pairs instead of the synthetic scene: a folder with rgb/ and ir/ images, or a "
                         "sequence PREFIX with PREFIX_rgb.mp4 + PREFIX_ir.mp4 (every (fps / --rate)-th frame), looped")
    ap.add_argument("--bag", type=Path, help="rosbag to replay (pairs from --rgb-topic and --ir-topic)")
    ap.add_argument("--rgb-topic", default="/camera/rgb/image_raw", help="colour topic in --bag")
    ap.add_argument("--ir-topic", default="/camera/ir/image_raw", help="thermal topic in --bag")
    ap.add_argument("--codec", help="encoder codec (default: the node's default, auto: config/encoder.yaml)")
    ap.add_argument("--quality", type=float, help="quality in [0, 1] (default: the node's)")
    ap.add_argument("--target-kbps", type=float, help="link budget for rate control (default: off)")
    ap.add_argument("--device", help="auto, cpu, cuda (default: the node's)")
    ap.add_argument("--key-interval", type=float, help="stream codecs: seconds between key frames (default: the node's)")
    ap.add_argument("--drop-every", type=int, default=0,
                    help="lose every Nth message on the link on purpose (the decoder discards it): what a stream "
                         "codec shows after a loss (default 0: none)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="say what the demo is doing")
    ap.add_argument("--log-dir", type=Path, help="keep the nodes' logs here")
    return ap.parse_args(argv)


def _say(args: argparse.Namespace, text: str) -> None:
    if args.verbose:
        print(f"[demo {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    from rgbir_compress.scene import SyntheticScene
    from rgbir_harness.session import run_loopback
    from rgbir_harness.sources import Frames, bag_pairs, path_source

    size = tuple(int(v) for v in args.size.lower().split("x"))[::-1] if args.size else None  # (h, w)
    if args.source and args.bag:
        raise SystemExit("--source and --bag exclude each other")
    if (args.source or args.bag) and args.mono16:
        raise SystemExit("--mono16 needs the synthetic source")
    played = int(round(args.seconds * args.rate))
    first = 0  # a real source plays from its first frame (the warm-up repeats a few of them)
    if args.source:
        frame = path_source(args.source, args.rate, played, size)
    elif args.bag:
        frame = Frames(bag_pairs(args.bag, args.rgb_topic, args.ir_topic), played, size,
                       what=f"{args.bag} ({args.rgb_topic}, {args.ir_topic})")
    else:
        first = 100
        frame = SyntheticScene(*(size or (512, 640)), mono16=args.mono16).frame
    h, w = frame(0)[0].shape[:2]
    enc_params = {k: v for k, v in (("codec", args.codec), ("quality", args.quality),
                                    ("target_kbps", args.target_kbps), ("device", args.device),
                                    ("key_interval", args.key_interval),
                                    ("thermal_max_error", args.thermal_max_error)) if v is not None}
    dec_params = {k: v for k, v in (("device", args.device), ("drop_every", args.drop_every or None)) if v is not None}
    summary = run_loopback(frame, args.seconds, args.rate, f"/rgbir_demo_{os.getpid()}", enc_params, dec_params,
                           log_dir=args.log_dir, say=lambda text: _say(args, text), first_index=first)
    thermal = "mono8"
    if args.mono16:
        thermal = "mono16" + ("" if args.thermal_max_error is None or args.thermal_max_error < 0 else
                              f" (thermal_max_error {args.thermal_max_error})")
    summary.update(size=f"{w}x{h}", thermal=thermal,
                   source=str(args.source or args.bag or "synthetic"))
    return summary


def report(s: dict) -> str:
    ratio = s["raw_kbps"] / s["link_kbps"] if s["link_kbps"] > 0 else float("nan")
    return "\n".join([
        f"rgbir_compress demo: {s['size']} rgb8 + {s['size']} {s['thermal']} ({s['source']}) at {s['rate_hz']:g} Hz "
        f"for {s['seconds']:g} s",
        f"  codec                       {s['codec']}  ({s['model_id']}), quality {s['quality']}",
        *([f"  chosen by codec auto        {s['auto_reason']}"] if s.get("auto_reason") else []),
        f"  pairs sent / received       {s['pairs_sent']} / {s['pairs_received']}  "
        f"(dropped to keep up: {s['encoder_drops']} by the encoder, {s.get('decoder_drops', 0)} by the decoder)",
        f"  link                        {s['link_kbps']:.1f} kbit/s  (raw images {s['raw_kbps']:.1f} kbit/s, "
        f"{ratio:.0f}x smaller)",
        f"  PSNR of decoded images      colour {s['psnr_rgb_db']:.2f} dB, thermal {s['psnr_thermal_db']:.2f} dB",
        f"  latency capture -> decoded  p50 {s['latency_ms_p50']:.1f} ms, p95 {s['latency_ms_p95']:.1f} ms",
        *([f"  lossy link (on purpose)     {d['lost_on_purpose']} messages lost; {d['gaps']} not shown until a key "
           f"frame ({d['key_frame_requests']} key-frame requests); worst decoded PSNR {s['psnr_min_db']:.2f} dB"]
          if (d := s.get("decoder", {})).get("lost_on_purpose") else []),
        *(f"  note: {w}" for w in s.get("warnings", [])),
    ])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = run(args)
    except RuntimeError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2) if args.json else report(summary))
    return 0 if summary["pairs_received"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
