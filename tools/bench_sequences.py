#!/usr/bin/env python3
"""Rate-distortion of low-delay video coding vs still-image coding on real RGB + thermal sequences.

Why: the stream codecs (issue 23) must show what temporal prediction buys over coding every pair
alone, per modality, at the rate a robot streams (10 Hz = every third frame of the 30 fps
sources in ../shared/data/rgbt_seq, see its README for the caveats: static camera, sources
already MPEG-4 compressed). Every packet's bytes count, key frames included; PSNR is measured
against the decoded source frames (colour: RGB, peak 255; thermal: grey, peak 255), averaged in dB
over frames. BD-rate against avif-s9 per sequence and modality (eval/bdrate.py). Encode ms per
frame is timed at 640x512 (frames edge-padded) on this machine, one process, default threads.
The synthetic panning scene (scene.py) is coded as well: a moving camera has less redundancy.

    nice .venv/bin/python tools/bench_sequences.py                # 150 source frames -> 50 at 10 Hz
    nice .venv/bin/python tools/bench_sequences.py --frames 60 --qualities 0.4 0.6   # quick look

Writes results/seq_rd.json (numbers only) and prints a Markdown table. Not a test: a few minutes.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from rgbir_compress.eval.bdrate import bd_rate  # noqa: E402
from rgbir_compress.metrics import psnr  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rgbt_seq"  # --data overrides
SEQUENCES = ("0111_1716", "0113_1714", "0117_1605")
KEYINT = 20  # 2 s at 10 Hz

#: name -> PlaneEncoder keyword arguments (low delay throughout)
VIDEO = {
    "x265-ld": dict(codec="libx265", preset="ultrafast", keyint=KEYINT),
    "x264-ld": dict(codec="libx264", preset="veryfast", keyint=KEYINT),
    "svtav1-ld": dict(codec="libsvtav1", preset="10", keyint=KEYINT),
    "x265-ir": dict(codec="libx265", preset="ultrafast", keyint=KEYINT, intra_refresh=True),
}
#: Registered pair codecs, run as users run them (open_codec, container payload bytes): the stream
#: codecs (their defaults: key frame every 2 s at 10 Hz) and the still anchors.
PAIR_CODECS = ("h264-stream", "hevc-stream", "av1-stream", "avif-s9", "jpeg", "hevc-ultrafast")
REFERENCE = "avif-s9"
MODALITIES = {"colour": "yuv420p", "thermal": "gray"}


def load_sequence(data: Path, name: str, frames: int, step: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The first `frames` source frames of both files, every `step`-th (3: 10 Hz)."""
    import av

    def read(path: Path, fmt: str) -> list[np.ndarray]:
        out = []
        with av.open(str(path)) as container:
            for k, frame in enumerate(container.decode(video=0)):
                if k >= frames:
                    break
                if k % step == 0:
                    out.append(frame.to_ndarray(format=fmt))
        return out

    rgb, thermal = read(data / f"{name}_rgb.mp4", "rgb24"), read(data / f"{name}_ir.mp4", "gray")
    n = min(len(rgb), len(thermal))
    return rgb[:n], thermal[:n]


def synthetic(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from rgbir_compress.scene import SyntheticScene

    scene = SyntheticScene(480, 640)
    pairs = [scene.frame(i) for i in range(n)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def code_video(config: dict, planes: list[np.ndarray], pix_fmt: str, quality: float) -> dict:
    from rgbir_compress.codecs.video import PlaneDecoder, PlaneEncoder

    h, w = planes[0].shape[:2]
    enc = PlaneEncoder(pix_fmt=pix_fmt, width=w, height=h, quality=quality, **config)
    dec = PlaneDecoder(enc.name, pix_fmt, w, h)
    sizes, scores, keys = [], [], 0
    for plane in planes:
        packet = enc.encode(plane)
        sizes.append(len(packet.data))
        keys += packet.key
        scores.append(psnr(plane, dec.decode(packet)))
    enc.close()
    return {"quality": quality, "bytes": sum(sizes), "key_frames": keys, "psnr": statistics.fmean(scores)}


def code_pairs(name: str, rgbs: list[np.ndarray], thermals: list[np.ndarray], quality: float) -> dict:
    from rgbir_compress.codecs.factory import open_codec
    from rgbir_compress.frame import ImagePair

    codec = open_codec(name)
    out = {m: {"quality": quality, "bytes": 0, "psnr": []} for m in MODALITIES}
    for rgb, thermal in zip(rgbs, thermals):
        cp = codec.encode(ImagePair(rgb=rgb, thermal=thermal), quality)
        back = codec.decode(cp)
        counted = cp.byte_count()
        out["colour"]["bytes"] += counted.rgb
        out["thermal"]["bytes"] += counted.thermal
        out["colour"]["psnr"].append(psnr(rgb, back.rgb[..., :3]))
        out["thermal"]["psnr"].append(psnr(thermal, back.thermal))
    for m in out.values():
        m["psnr"] = statistics.fmean(m["psnr"])
    return out


def pad_512(plane: np.ndarray) -> np.ndarray:
    extra = 512 - plane.shape[0]
    widths = [(0, max(extra, 0)), (0, 0)] + [(0, 0)] * (plane.ndim - 2)
    return np.pad(plane, widths, mode="edge")[:512]


def time_encoders(rgbs: list[np.ndarray], thermals: list[np.ndarray], n: int, quality: float) -> dict:
    """Median encode ms per frame at 640x512 (video: steady state after the first key frame;
    pair codecs: one plane's share is not separable, so the pair time is given under both)."""
    from rgbir_compress.codecs.factory import open_codec
    from rgbir_compress.codecs.video import PlaneEncoder
    from rgbir_compress.frame import ImagePair

    rgbs, thermals = [pad_512(p) for p in rgbs[:n]], [pad_512(p) for p in thermals[:n]]
    out: dict = {}
    for name, config in VIDEO.items():
        out[name] = {}
        for modality, pix_fmt in MODALITIES.items():
            planes = rgbs if modality == "colour" else thermals
            enc = PlaneEncoder(pix_fmt=pix_fmt, width=640, height=512, quality=quality, **config)
            times = []
            for plane in planes:
                t0 = time.perf_counter()
                enc.encode(plane)
                times.append(1e3 * (time.perf_counter() - t0))
            enc.close()
            out[name][modality] = statistics.median(times[1:] or times)
    for name in PAIR_CODECS:
        codec = open_codec(name)
        times = []
        for rgb, thermal in zip(rgbs, thermals):
            t0 = time.perf_counter()
            codec.encode(ImagePair(rgb=rgb, thermal=thermal), quality)
            times.append(1e3 * (time.perf_counter() - t0))
        out[name] = {"pair": statistics.median(times)}
    return out


def bd_table(curves: dict) -> dict:
    """BD-rate (%) of every codec against REFERENCE, per modality, on (bytes, psnr) points."""
    out = {}
    for modality in MODALITIES:
        ref = curves[REFERENCE][modality]
        out[modality] = {}
        for name, per in curves.items():
            if name == REFERENCE:
                continue
            pts = per[modality]
            r = bd_rate([p["bytes"] for p in ref], [p["psnr"] for p in ref],
                        [p["bytes"] for p in pts], [p["psnr"] for p in pts])
            out[modality][name] = {"bd_rate": r.percent, "overlap": round(r.overlap, 3)}
    return out


def markdown(results: dict, mid: float) -> str:
    rate = results["rate_hz"]
    lines = [f"Rates at {rate:g} Hz; kbit/s and PSNR at q={mid:g}; BD-rate vs {REFERENCE} (negative = fewer bits).",
             "", "| sequence | modality | codec | BD-rate | overlap | kbit/s | PSNR dB | encode ms/frame 640x512 |",
             "|---|---|---|---|---|---|---|---|"]
    timing = results["encode_ms"]
    for seq, entry in results["sequences"].items():
        n = entry["frames"]
        for modality in MODALITIES:
            for name, per in entry["curves"].items():
                point = min(per[modality], key=lambda p: abs(p["quality"] - mid))
                kbps = point["bytes"] * 8 / n * rate / 1000
                bd = entry["bd"][modality].get(name)
                bd_s = "ref" if bd is None else ("n/a" if bd["bd_rate"] is None else f"{bd['bd_rate']:+.1f} %")
                ov = "" if bd is None else f"{bd['overlap']:.2f}"
                t = timing.get(name, {})
                ms = t.get(modality, t.get("pair"))
                ms_s = "" if ms is None else (f"{ms:.1f}" if modality in t else f"{ms:.1f} (pair)")
                lines.append(f"| {seq} | {modality} | {name} | {bd_s} | {ov} | {kbps:.0f} | {point['psnr']:.2f} | {ms_s} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=150, help="source frames (30 fps) per sequence")
    ap.add_argument("--step", type=int, default=3, help="take every step-th frame (3: 10 Hz)")
    ap.add_argument("--qualities", type=float, nargs="+", default=[0.2, 0.35, 0.5, 0.65, 0.8])
    ap.add_argument("--synthetic", type=int, default=50, help="synthetic-scene frames (0: none)")
    ap.add_argument("--time-frames", type=int, default=20, help="frames timed per encoder at 640x512")
    ap.add_argument("--sequences", nargs="+", default=list(SEQUENCES))
    ap.add_argument("--out", default="results/seq_rd.json")
    ap.add_argument("--data", type=Path, default=DATA, help="folder of <name>_rgb.mp4 / <name>_ir.mp4 pairs")
    args = ap.parse_args(argv)

    import av

    sources = {name: lambda name=name: load_sequence(args.data, name, args.frames, args.step)
               for name in args.sequences if (args.data / f"{name}_rgb.mp4").exists()}
    if args.synthetic:
        sources["synthetic"] = lambda: synthetic(args.synthetic)
    rate_hz = 30.0 / args.step
    results = {"rate_hz": rate_hz, "keyint_frames": KEYINT, "qualities": args.qualities,
               "source_frames": args.frames, "av_version": av.__version__, "video": VIDEO,
               "pair_codecs": list(PAIR_CODECS), "sequences": {}}
    timing_input = None
    for seq, load in sources.items():
        t0 = time.time()
        rgbs, thermals = load()
        timing_input = timing_input or (rgbs, thermals)
        curves: dict = {}
        for name, config in VIDEO.items():
            curves[name] = {m: [code_video(config, rgbs if m == "colour" else thermals, pix_fmt, q)
                                for q in args.qualities] for m, pix_fmt in MODALITIES.items()}
        for name in PAIR_CODECS:
            points = [code_pairs(name, rgbs, thermals, q) for q in args.qualities]
            curves[name] = {m: [p[m] for p in points] for m in MODALITIES}
        results["sequences"][seq] = {"frames": len(rgbs), "curves": curves, "bd": bd_table(curves)}
        print(f"{seq}: {len(rgbs)} frames in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    mid = args.qualities[len(args.qualities) // 2]
    results["encode_ms"] = time_encoders(*timing_input, args.time_frames, mid) if timing_input else {}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(markdown(results, mid))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
