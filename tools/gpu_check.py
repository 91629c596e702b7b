#!/usr/bin/env python3
"""The GPU check (issue 18): what the learned codecs do on a CUDA device, in one command.

1. speed: encode and decode ms per pair of each learned codec at 640x512 and 1280x1024, batch 1
   and 4, on the device (CUDA synchronised, median of --repeat after a warm-up);
2. cross-device decoding: streams encoded on the device decoded on the CPU and streams encoded
   on the CPU decoded on the device, each decode classified
     exact     decodes, and the image is within TOLERANCE levels of the encoder side's own decode
               (the float synthesis transform rounds differently per device),
     detected  refused with DecodeError (table digest, container checks): nothing wrong shown,
     silent    decodes but differs beyond TOLERANCE: a wrong image. Must be 0.
   plus, for the per-modality hyperprior, the latent-level bench of `rgbir-compress consistency`
   (rgbir_compress/eval/consistency.py) with the device as one more encoder and decoder;
3. the encoder/decoder node pair at 10 Hz with the learned codec on the device (needs rclpy and the
   built message; skipped with the reason otherwise).

Writes gpu_check.json and gpu_check.md into --out (default: $OUT when set, else results/).
On the lent machine (tools/fetch_device_wheels.sh, issue 17, carries the wheels compressai needs):
    python tools/gpu_check.py --device cuda --out "$OUT"
Tested on a CPU here: `python tools/gpu_check.py --device cpu --quick --skip-nodes` (test/test_gpu_check.py).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

TOLERANCE = 2  # grey levels a cross-device decode may differ from the encoder side's decode
LEARNED = ("hyperprior", "conditional", "joint")


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _pairs(n: int, size: tuple[int, int]):
    from rgbir_compress.frame import ImagePair
    from rgbir_compress.scene import SyntheticScene

    scene = SyntheticScene(size[1], size[0])
    return [ImagePair(*scene.frame(7 * i)) for i in range(n)]


def speed(codec, device: str, size: tuple[int, int], batch: int, repeat: int) -> dict:
    """ms per pair: encode_batch of `batch` pairs / batch, then decode of each."""
    pairs = _pairs(batch, size)
    cps = codec.encode_batch(pairs, 0.5)
    [codec.decode(cp) for cp in cps]  # warm-up (cuDNN autotuning, allocator)
    enc, dec = [], []
    for _ in range(repeat):
        _sync(device)
        t0 = time.perf_counter()
        cps = codec.encode_batch(pairs, 0.5)
        _sync(device)
        t1 = time.perf_counter()
        for cp in cps:
            codec.decode(cp)
        _sync(device)
        t2 = time.perf_counter()
        enc.append(1e3 * (t1 - t0) / batch)
        dec.append(1e3 * (t2 - t1) / batch)
    e, d = statistics.median(enc), statistics.median(dec)
    return {"size": f"{size[0]}x{size[1]}", "batch": batch, "encode_ms_per_pair": e, "decode_ms_per_pair": d,
            "encode_pairs_s": 1e3 / e, "decode_pairs_s": 1e3 / d, "round_trip_pairs_s": 1e3 / (e + d),
            "bytes_per_pair": float(np.mean([cp.byte_count().total for cp in cps]))}


def cross_device(name: str, dev_a: str, dev_b: str, n: int, size: tuple[int, int]) -> dict:
    """Encode n pairs on dev_a, decode on dev_a (reference) and on dev_b; classify each modality."""
    from rgbir_compress.codecs import create
    from rgbir_compress.errors import DecodeError

    enc, dec = create(name, device=dev_a), create(name, device=dev_b)
    counts = {"exact": 0, "detected": 0, "silent": 0, "max_pixel_diff": 0}
    for i, pair in enumerate(_pairs(n, size)):
        cp = enc.encode(pair, (0.0, 0.5, 1.0)[i % 3])
        ref = enc.decode(cp)
        try:
            out = dec.decode(cp)
        except DecodeError:
            counts["detected"] += 2
            continue
        for a, b in ((ref.rgb, out.rgb), (ref.thermal, out.thermal)):
            diff = int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())
            counts["max_pixel_diff"] = max(counts["max_pixel_diff"], diff)
            counts["silent" if diff > TOLERANCE else "exact"] += 1
    return {"codec": name, "encoder": dev_a, "decoder": dev_b, "pairs": n, **counts}


def latent_bench(device: str, n: int, size: tuple[int, int]) -> dict:
    """eval/consistency.py's latent-level classification with `device` as a configuration."""
    from rgbir_compress.codecs.learned.weights import load_module, weights_path
    from rgbir_compress.eval import consistency

    consistency.CONFIGS["device"] = consistency.Config(device=device, threads=1 if device == "cpu" else 2)
    module, _ = load_module(weights_path("hyperprior"))
    pairs = [(p.rgb, p.thermal) for p in _pairs(n, size)]
    return consistency.run(pairs, module, ["reference", "device"], ["reference", "device"])


def nodes(device: str, codec: str, seconds: float, size: tuple[int, int]) -> dict:
    """The node pair on the device at 10 Hz (tools/demo.py's loopback), or why it was skipped."""
    try:
        import rclpy  # noqa: F401

        import rgbir_compress.msg  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - no ROS on this machine: say so in the results
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    from rgbir_compress.scene import SyntheticScene
    from rgbir_harness.session import run_loopback

    w, h = size
    s = run_loopback(SyntheticScene(h, w).frame, seconds, 10.0, f"/rgbir_gpu_check_{os.getpid()}",
                     {"codec": codec, "device": device, "fallback_codec": ""}, {"device": device})
    return {k: s.get(k) for k in ("codec", "model_id", "pairs_sent", "pairs_received", "encoder_drops",
                                  "decoder_drops", "link_kbps", "psnr_rgb_db", "psnr_thermal_db",
                                  "latency_ms_p50", "latency_ms_p95", "warnings")}


def environment(device: str) -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
           "cpus": os.cpu_count(), "cuda_available": torch.cuda.is_available(), "device": device,
           "date": time.strftime("%Y-%m-%d %H:%M:%S"), "load_avg": os.getloadavg()[0]}
    if device.startswith("cuda") and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
        env["cudnn"] = torch.backends.cudnn.version()
    return env


def markdown(res: dict) -> str:
    lines = [f"GPU check: {json.dumps(res['environment'])}", "",
             "| codec | size | batch | encode ms/pair | decode ms/pair | round trips/s | bytes/pair |",
             "|---|---|---|---|---|---|---|"]
    for r in res["speed"]:
        lines.append(f"| {r['codec']} | {r['size']} | {r['batch']} | {r['encode_ms_per_pair']:.1f} | "
                     f"{r['decode_ms_per_pair']:.1f} | {r['round_trip_pairs_s']:.1f} | {r['bytes_per_pair']:.0f} |")
    lines += ["", "| codec | encoded on | decoded on | streams exact | detected | silent | max pixel diff |",
              "|---|---|---|---|---|---|---|"]
    for r in res["cross_device"]:
        lines.append(f"| {r['codec']} | {r['encoder']} | {r['decoder']} | {r['exact']} | {r['detected']} | "
                     f"{r['silent']} | {r['max_pixel_diff']} |")
    if res.get("latent_bench"):
        lines += ["", "| hyperprior latents: entropy path / encoder / decoder | exact | detected | silent |",
                  "|---|---|---|---|"]
        for k, r in res["latent_bench"].items():
            lines.append(f"| {k} | {r['exact']} | {r['detected']} | {r['silent']} |")
    lines += ["", f"nodes at 10 Hz: {json.dumps(res.get('nodes'))}",
              f"silent mismatches in all: {res['silent_total']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", help="device under test (cuda, cuda:N; cpu to test the script)")
    ap.add_argument("--codecs", default=",".join(LEARNED))
    ap.add_argument("--sizes", default="640x512,1280x1024")
    ap.add_argument("--batches", default="1,4")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=6, help="pairs per cross-device direction")
    ap.add_argument("--node-seconds", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="small sizes and counts (a CPU test of the script)")
    ap.add_argument("--skip-nodes", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "results"))
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.batches, args.repeat, args.pairs, args.node_seconds = "128x96", "1,2", 1, 1, 3.0
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    codecs = [c for c in args.codecs.split(",") if c]

    import torch

    from rgbir_compress.codecs import create

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (use --device cpu --quick to test the script)", file=sys.stderr)
        return 2
    other = "cpu"
    res: dict = {"environment": environment(args.device), "tolerance_levels": TOLERANCE, "speed": [],
                 "cross_device": [], "latent_bench": {}}
    for name in codecs:
        codec = create(name, device=args.device)
        for size in sizes:
            for batch in batches:
                row = {"codec": name, **speed(codec, args.device, size, batch, args.repeat)}
                res["speed"].append(row)
                print(f"[gpu_check] {name} {row['size']} b{batch}: enc {row['encode_ms_per_pair']:.1f} "
                      f"dec {row['decode_ms_per_pair']:.1f} ms/pair", file=sys.stderr, flush=True)
        del codec
        for a, b in ((args.device, other), (other, args.device)):
            res["cross_device"].append(cross_device(name, a, b, args.pairs, sizes[0]))
    if "hyperprior" in codecs:
        res["latent_bench"] = latent_bench(args.device, args.pairs, sizes[0])
    res["silent_total"] = (sum(r["silent"] for r in res["cross_device"])
                           + sum(r["silent"] for k, r in res["latent_bench"].items() if k.startswith("exact")))
    res["nodes"] = {"skipped": "--skip-nodes"} if args.skip_nodes else nodes(
        args.device, codecs[0], args.node_seconds, (320, 256) if args.quick else (640, 512))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_check.json").write_text(json.dumps(res, indent=1, default=str))
    (args.out / "gpu_check.md").write_text(markdown(res) + "\n")
    print(markdown(res))
    return 1 if res["silent_total"] else 0


if __name__ == "__main__":
    sys.exit(main())
