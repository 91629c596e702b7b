#!/usr/bin/env python3
"""The hyperprior's CPU path before and after issue 18's changes, interleaved in one process.

Variants: `before` (CompressAI's looped table indices, contiguous synthesis), `after` (the shipped
code: vectorised indices, channels_last synthesis) and, with --ort, `after` with ONNX Runtime
analysis transforms (needs onnx + onnxruntime; measured and refused: see docs/realtime.md).
Times are the process's CPU time per pair with 1 torch thread (a shared machine's load does not
inflate them); bitstreams and decoded images are compared with `before`'s byte for byte.

    .venv/bin/python tools/bench_learned_cpu.py --pairs 3 [--ort]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def ort_analysis(codec) -> None:
    """Replace both analysis transforms by ONNX Runtime sessions (1 thread)."""
    import onnxruntime as ort

    class OrtNet(torch.nn.Module):
        def __init__(self, net: torch.nn.Module, ch: int) -> None:
            super().__init__()
            buf = io.BytesIO()
            torch.onnx.export(net, torch.rand(1, ch, 128, 128), buf, input_names=["x"], output_names=["y"],
                              opset_version=17, dynamic_axes={"x": {0: "b", 2: "h", 3: "w"}}, dynamo=False)
            so = ort.SessionOptions()
            so.intra_op_num_threads = so.inter_op_num_threads = 1
            self.sess = ort.InferenceSession(buf.getvalue(), so, providers=["CPUExecutionProvider"])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.from_numpy(self.sess.run(None, {"x": x.contiguous().numpy()})[0])

    codec.module.rgb.g_a = OrtNet(codec.module.rgb.g_a, 3)
    codec.module.ir.g_a = OrtNet(codec.module.ir.g_a, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, default=Path("/work/shared/data/rgbir/manifest.csv"))
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--size", default="640x512")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ort", action="store_true")
    args = ap.parse_args(argv)

    from rgbir_compress.codecs import create
    from rgbir_compress.codecs.learned import entropy
    from rgbir_compress.imageio import load_rgb, load_thermal, resize_pair
    from rgbir_compress.frame import ImagePair

    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    with args.manifest.open() as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "val" and r["source"] == "m3fd"][: args.pairs]
    root = args.manifest.parent
    pairs = [ImagePair(*resize_pair(load_rgb(root / r["rgb"]), load_thermal(root / r["ir"]), size)) for r in rows]
    shipped = entropy.fast_indexes
    before = create("hyperprior", device="cpu")
    for coder in (before.module.rgb, before.module.ir):
        coder.g_s.to(memory_format=torch.contiguous_format)
    variants = {"before": (before, lambda gc, s: gc.build_indexes(s)),
                "after": (create("hyperprior", device="cpu"), shipped)}
    if args.ort:
        variants["after+ort_analysis"] = (create("hyperprior", device="cpu"), shipped)
        ort_analysis(variants["after+ort_analysis"][0])
    times = {k: {"enc": [], "dec": []} for k in variants}
    outputs: dict = {}
    for rep in range(args.repeat + 1):
        for name, (codec, indexes) in variants.items():
            entropy.fast_indexes = indexes
            for i, pair in enumerate(pairs):
                t0 = time.process_time()
                cp = codec.encode(pair, (0.0, 0.5, 1.0)[i % 3])
                t1 = time.process_time()
                out = codec.decode(cp)
                t2 = time.process_time()
                if rep == 0:
                    outputs.setdefault(name, []).append((cp.rgb_data, cp.thermal_data, out.rgb, out.thermal))
                else:
                    times[name]["enc"].append(1e3 * (t1 - t0))
                    times[name]["dec"].append(1e3 * (t2 - t1))
    entropy.fast_indexes = shipped
    result = {"size": args.size, "pairs": len(pairs), "threads": 1, "load": os.getloadavg()[0]}
    for name in variants:
        ref = outputs["before"]
        streams = sum((a[0] == b[0]) + (a[1] == b[1]) for a, b in zip(ref, outputs[name]))
        diff = max(int(np.abs(a[k].astype(int) - b[k].astype(int)).max()) for a, b in zip(ref, outputs[name])
                   for k in (2, 3))
        result[name] = {"encode_cpu_ms": statistics.median(times[name]["enc"]),
                        "decode_cpu_ms": statistics.median(times[name]["dec"]),
                        "streams_identical": f"{streams}/{2 * len(pairs)}", "max_pixel_diff": diff}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
