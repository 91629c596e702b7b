#!/usr/bin/env python3
"""Full-precision mono16 coding (codecs/radiometric) against today's 8-bit window, on real frames.

Why: radiometric cameras publish raw counts; the codecs today squeeze them through an 8-bit window
(codecs/thermal16.py), losing up to (max-min)/510 counts. This measures what full precision costs
in bytes per method and bound, on the 18 frames of ../shared/data/thermal16 (see its README).

Per method and bound: bits per pixel and ratio against the raw 16-bit size over all frames (total
raw bytes / total coded bytes; stream header included), the median and worst single frame's ratio, max and
mean |error| in counts over every pixel of every frame, how often the encode-time check fell back,
and encode / decode ms of one 640x512 frame (median over the 640x512 frames of the best of
--repeat runs; encode includes the check, i.e. one decode). References: zstd on the raw message
bytes (what rosbag2's zstd compression does; level 3 is the ratio baseline) and the 8-bit window
through still codecs (pair codec with a tiny dummy colour image; bytes are the thermal stream + 4
bytes for lo/hi).

    nice .venv/bin/python tools/bench_thermal16.py            # pins itself to CPU 0 (--cpu -1: no pin)

Writes results/thermal16.json (numbers only) and prints a Markdown table. Not a test: ~2 minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import zstandard  # noqa: E402

from rgbir_compress.codecs import thermal16  # noqa: E402
from rgbir_compress.codecs.radiometric import BACKENDS, decode_mono16, encode_mono16  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "thermal16"  # --data overrides
BOUNDS = (0, 1, 2, 4, 8)
WINDOW_CODECS = (("jpegxl-e3", 1.0), ("jpegxl-e3", 0.5), ("avif-s9", 1.0))


def load(data: Path) -> dict[str, np.ndarray]:
    from PIL import Image

    paths = sorted((data / "frames").glob("*.png"))
    if not paths:
        sys.exit(f"no frames in {data / 'frames'} (pass --data)")
    return {p.stem: np.asarray(Image.open(p)) for p in paths}


def best_ms(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def summarise(frames: dict[str, np.ndarray], coded: dict[str, tuple[int, np.ndarray]],
              enc_ms: list[float], dec_ms: list[float], fallbacks: int = 0) -> dict:
    raw = sum(a.nbytes for a in frames.values())
    total = sum(n for n, _ in coded.values())
    pixels = sum(a.size for a in frames.values())
    errs = [np.abs(out.astype(np.int64) - frames[k]) for k, (_, out) in coded.items()]
    return {
        "bpp": 8 * total / pixels,
        "ratio": raw / total,
        "worst_frame_ratio": min(frames[k].nbytes / n for k, (n, _) in coded.items()),
        "median_frame_ratio": statistics.median(frames[k].nbytes / n for k, (n, _) in coded.items()),
        "max_abs_err": int(max(e.max() for e in errs)),
        "mean_abs_err": float(sum(e.sum() for e in errs) / pixels),
        "fallbacks": fallbacks,
        "encode_ms_640x512": statistics.median(enc_ms),
        "decode_ms_640x512": statistics.median(dec_ms),
    }


def bench_radiometric(frames, timed, method: str, bound: int, repeat: int) -> dict:
    coded, fallbacks = {}, 0
    for k, img in frames.items():
        enc = encode_mono16(img, bound, method)
        fallbacks += enc.fell_back
        coded[k] = (len(enc.data), decode_mono16(enc.data, img.shape))
    enc_ms, dec_ms = [], []
    for k in timed:
        img = frames[k]
        data = encode_mono16(img, bound, method).data
        enc_ms.append(best_ms(lambda: encode_mono16(img, bound, method), repeat))
        dec_ms.append(best_ms(lambda: decode_mono16(data, img.shape), repeat))
    return summarise(frames, coded, enc_ms, dec_ms, fallbacks)


def bench_zstd_raw(frames, timed, level: int, repeat: int) -> dict:
    """rosbag2's zstd: the message bytes as they are (no offset, no narrowing)."""
    cz, dz = zstandard.ZstdCompressor(level=level), zstandard.ZstdDecompressor()
    coded = {k: (len(cz.compress(a.tobytes())), a) for k, a in frames.items()}
    enc_ms, dec_ms = [], []
    for k in timed:
        a = frames[k]
        blob = cz.compress(a.tobytes())
        enc_ms.append(best_ms(lambda: cz.compress(a.tobytes()), repeat))
        dec_ms.append(best_ms(lambda: np.frombuffer(dz.decompress(blob), np.uint16).reshape(a.shape), repeat))
    return summarise(frames, coded, enc_ms, dec_ms)


def bench_window(frames, timed, codec_name: str, quality: float, repeat: int) -> dict:
    """Today's path: thermal16.to_8bit inside the pair codec, then thermal16.from_8bit."""
    from rgbir_compress.codecs.factory import open_codec
    from rgbir_compress.frame import ImagePair

    codec = open_codec(codec_name)
    rgb = np.zeros((8, 8, 3), np.uint8)
    coded = {}
    for k, img in frames.items():
        cp = codec.encode(ImagePair(rgb, img), quality)
        coded[k] = (len(cp.thermal_data) + 4, codec.decode(cp).thermal)
    enc_ms, dec_ms = [], []
    for k in timed:
        pair = ImagePair(rgb, frames[k])
        cp = codec.encode(pair, quality)
        enc_ms.append(best_ms(lambda: codec.encode(pair, quality), repeat))
        dec_ms.append(best_ms(lambda: codec.decode(cp), repeat))
    return summarise(frames, coded, enc_ms, dec_ms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "thermal16.json")
    ap.add_argument("--repeat", type=int, default=5, help="timing runs per frame (best is kept)")
    ap.add_argument("--cpu", type=int, default=0, help="pin to this CPU (one core); -1: do not pin")
    args = ap.parse_args()
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    frames = load(args.data)
    timed = [k for k, a in frames.items() if a.shape == (512, 640)]
    rows: dict[str, dict] = {}
    for level in (3, 19):
        rows[f"zstd-{level} raw (rosbag2)"] = {"bound": 0, **bench_zstd_raw(frames, timed, level, args.repeat)}
        print(f"zstd-{level} raw done", file=sys.stderr)
    for method in (m for m, b in BACKENDS.items() if b.available):
        for bound in BOUNDS:
            rows[f"{method} N={bound}"] = {"method": method, "bound": bound,
                                          **bench_radiometric(frames, timed, method, bound, args.repeat)}
        print(f"{method} done", file=sys.stderr)
    for name, q in WINDOW_CODECS:
        rows[f"8-bit window + {name} q={q}"] = {"bound": None, **bench_window(frames, timed, name, q, args.repeat)}
    base = rows["zstd-3 raw (rosbag2)"]["ratio"]
    for row in rows.values():
        row["vs_zstd3"] = row["ratio"] / base
    result = {"frames": len(frames), "pixels": int(sum(a.size for a in frames.values())),
              "timed_640x512_frames": len(timed), "repeat": args.repeat, "cpu": args.cpu, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print("| method | bound N | bits/px | ratio vs raw | median frame | worst frame | vs zstd-3 | max err | mean err | "
          "fallbacks | enc ms | dec ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        label = name.split(" N=")[0]
        bound = "-" if r["bound"] is None else r["bound"]
        print(f"| {label} | {bound} | {r['bpp']:.2f} | {r['ratio']:.2f} | {r['median_frame_ratio']:.2f} | {r['worst_frame_ratio']:.2f} | "
              f"{r['vs_zstd3']:.2f} | {r['max_abs_err']} | {r['mean_abs_err']:.3f} | {r['fallbacks']} | "
              f"{r['encode_ms_640x512']:.1f} | {r['decode_ms_640x512']:.1f} |")


if __name__ == "__main__":
    main()
