"""`rgbir-compress consistency`: does a stream encoded under one configuration decode exactly under
another (issue 9's bench)?

Each pair's two modalities are encoded under every encoder configuration and decoded under every
decoder configuration, for the shipped exact entropy path and for the float hyper-synthesis that
CompressAI uses. A decode is
  exact     the decoder's latents equal the encoder's (the image may still differ by rounding in
            the synthesis transform: reported as the largest pixel difference to the reference decode),
  detected  the table digest disagreed and DecodeError was raised (nothing wrong was shown),
  silent    no error but other latents: a wrong image. The target is zero.
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENCODERS = ("reference", "batch4")
DECODERS = ("reference", "threads1", "float64", "channels_last")
QUALITIES = (0.0, 0.5, 1.0)   # pair i is coded at QUALITIES[i % 3]


@dataclass(frozen=True)
class Config:
    threads: int = 2
    float64: bool = False
    channels_last: bool = False
    batch: int = 1
    device: str = "cpu"


CONFIGS = {
    "reference": Config(),
    "batch4": Config(batch=4),
    "threads1": Config(threads=1),
    "float64": Config(float64=True),
    "channels_last": Config(channels_last=True),
    "cuda": Config(device="cuda"),
}


def variant(module, cfg: Config, exact: bool):
    """A copy of the pair module set up for one configuration and entropy path."""
    import torch

    from ..codecs.learned.entropy import ExactGainHyperLatentCodec

    m = copy.deepcopy(module).to(cfg.device)
    if cfg.float64:
        m = m.double()
    if cfg.channels_last:
        m = m.to(memory_format=torch.channels_last)
    for sub in m.modules():
        if isinstance(sub, ExactGainHyperLatentCodec):
            sub.exact = exact
    return m.eval()


def _tensor(img: np.ndarray, cfg: Config):
    import torch

    from ..codecs.learned.codec import to_tensor
    from ..codecs.learned.layers import pad_to_multiple
    from ..codecs.learned.models.contract import STRIDE

    x = pad_to_multiple(to_tensor(img, torch.device(cfg.device)), STRIDE)
    x = x.double() if cfg.float64 else x
    return x.contiguous(memory_format=torch.channels_last) if cfg.channels_last else x


def encode_all(module, imgs: list[np.ndarray], qualities: list[float], cfg: Config) -> list[tuple]:
    """-> per image (strings, latent shape dict, encoder y_hat on the CPU in float64)."""
    import torch

    from ..codecs.learned.models.contract import latent_grids

    torch.set_num_threads(cfg.threads)
    out = []
    i = 0
    while i < len(imgs):
        # a batch holds consecutive images of one size and quality
        j = i + 1
        while (j < len(imgs) and j - i < cfg.batch and imgs[j].shape == imgs[i].shape
               and qualities[j] == qualities[i]):
            j += 1
        x = torch.cat([_tensor(im, cfg) for im in imgs[i:j]])
        with torch.inference_mode():
            res = module.compress(x, qualities[i])
        y, z = res["strings"]
        for k in range(j - i):
            out.append(([[y[k]], [z[k]]], latent_grids(imgs[i].shape[:2]),
                        res["y_hat"][k : k + 1].detach().to("cpu", torch.float64)))
        i = j
    return out


def decode_one(module, strings, shape, quality: float, cfg: Config):
    """-> (y_hat float64 CPU, image uint8) or raises DecodeError."""
    import torch

    torch.set_num_threads(cfg.threads)
    with torch.inference_mode():
        res = module.decompress(strings, shape, quality)
    img = res["x_hat"].mul(255).round().clamp(0, 255).to("cpu", torch.uint8).numpy()
    return res["y_hat"].detach().to("cpu", torch.float64), img


def run(pairs: list[tuple[np.ndarray, np.ndarray]], module, encoders, decoders, progress=None) -> dict:
    """Counts per (path, encoder config, decoder config) over pairs x modalities."""
    from ..errors import DecodeError

    qualities = [QUALITIES[i % len(QUALITIES)] for i in range(len(pairs))]
    table: dict = {}
    for path in ("exact", "float"):
        for mod, idx in (("rgb", 0), ("ir", 1)):
            coder_of = {name: getattr(variant(module, CONFIGS[name], path == "exact"), mod)
                        for name in {*encoders, *decoders}}
            imgs = [p[idx] for p in pairs]
            for enc_name in encoders:
                t0 = time.perf_counter()
                streams = encode_all(coder_of[enc_name], imgs, qualities, CONFIGS[enc_name])
                enc_s = time.perf_counter() - t0
                ref_imgs = {}
                for dec_name in decoders:
                    row = table.setdefault((path, enc_name, dec_name), {
                        "exact": 0, "detected": 0, "silent": 0, "max_pixel_diff": 0, "bytes": 0,
                        "encode_s": 0.0})
                    row["encode_s"] += enc_s if dec_name == decoders[0] else 0.0
                    for i, (strings, shape, y_enc) in enumerate(streams):
                        if dec_name == decoders[0]:  # each stream's size once
                            row["bytes"] += sum(len(s[0]) for s in strings)
                        try:
                            y_dec, img = decode_one(coder_of[dec_name], strings, shape, qualities[i],
                                                    CONFIGS[dec_name])
                        except DecodeError:
                            row["detected"] += 1
                            continue
                        if y_dec.shape != y_enc.shape or float((y_dec - y_enc).abs().max()) > 1e-3:
                            row["silent"] += 1
                            continue
                        row["exact"] += 1
                        ref = ref_imgs.setdefault(i, img)
                        diff = int(np.abs(img.astype(np.int16) - ref.astype(np.int16)).max())
                        row["max_pixel_diff"] = max(row["max_pixel_diff"], diff)
                    if progress:
                        progress(path, mod, enc_name, dec_name)
    return {" / ".join(k): v for k, v in table.items()}


def markdown(rows: dict) -> str:
    lines = ["| entropy path / encoder / decoder | exact | detected | silent | max pixel diff vs reference decode |",
             "|---|---|---|---|---|"]
    for key, r in rows.items():
        lines.append(f"| {key} | {r['exact']} | {r['detected']} | {r['silent']} | {r['max_pixel_diff']} |")
    return "\n".join(lines)


def cmd_consistency(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from ..codecs.learned.weights import load_module, weights_path
    from ..manifest import read_manifest
    from . import provenance
    from ..imageio import load_rgb, load_thermal
    from .results_file import write_results

    manifest = Path(args.manifest)
    found = read_manifest(manifest, split=args.split, source=args.source)
    if args.limit:
        found = found[: args.limit]
    if not found:
        print(f"consistency: no pairs in {manifest} for split={args.split} source={args.source}", file=sys.stderr)
        return 2
    pairs = [(load_rgb(manifest.parent / r.rgb), load_thermal(manifest.parent / r.ir)) for r in found]
    path = weights_path(args.codec, args.weights)
    module, _ = load_module(path)
    if not (hasattr(module, "rgb") and hasattr(module, "ir")):
        print(f"consistency: {args.codec} is not a per-modality hyperprior pair; the bench covers those",
              file=sys.stderr)
        return 2
    decoders = list(DECODERS) + (["cuda"] if torch.cuda.is_available() else [])
    encoders = list(ENCODERS) + (["cuda"] if torch.cuda.is_available() else [])
    steps = 2 * 2 * len(encoders) * len(decoders)
    with tqdm(total=steps, desc="consistency", disable=args.quiet) as bar:
        rows = run(pairs, module, encoders, decoders, progress=lambda *a: bar.update(1))
    result = provenance.header("consistency", vars(args))
    result.update({"kind": "rgbir-compress consistency", "codec": args.codec, "weights": str(path),
                   "pairs": len(pairs), "modalities": 2, "qualities": list(QUALITIES),
                   "configs": {k: vars(CONFIGS[k]) for k in {*encoders, *decoders}},
                   "definitions": {k: v.strip() for k, v in
                                   (("exact|detected|silent", __doc__.split("A decode is", 1)[1]),)},
                   "rows": rows})
    print(markdown(rows))
    if args.out:
        write_results(result, args.out)
        print(f"wrote {args.out}")
    silent = sum(r["silent"] for k, r in rows.items() if k.startswith("exact"))
    return 1 if silent else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("consistency", help="decode-anywhere bench: encode under one configuration, decode under others",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--manifest", required=True, help="CSV with columns rgb, ir (paths relative to it)")
    p.add_argument("--split", help="keep manifest rows with this split (e.g. val)")
    p.add_argument("--source", help="keep manifest rows with this source (e.g. m3fd)")
    p.add_argument("--limit", type=int, default=0, help="first N pairs only (0: all)")
    p.add_argument("--codec", default="hyperprior", help="learned codec whose weights are tested")
    p.add_argument("--weights", help="weights file (default: the shipped one)")
    p.add_argument("--out", help="results JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_consistency)
