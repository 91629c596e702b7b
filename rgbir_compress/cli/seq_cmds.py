"""`rgbir-compress eval-seq`: rate-distortion of codecs on time-ordered sequences (eval/sequences.py),
registered by eval_cmds beside `eval`. Writes the results file `rd-table` and the docs read
(sequences.<name>.curves.<codec>.{colour,thermal}: [{quality, bytes, psnr, ...}])."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import CodecUnavailable
from ..eval import provenance
from ..eval.results_file import write_results
from .eval_cmds import _qualities, _split_list

DEFAULT_CODECS = "h264-stream,hevc-stream,av1-stream,avif-s9,jpeg,hevc-ultrafast"
DEFAULT_QUALITIES = "0.2,0.35,0.5,0.65,0.8"
DEFINITIONS = {
    "bytes": "sum of ByteCount (payload: both bitstreams + affine) of every message of the run, key frames included",
    "psnr": "mean over frames of per-frame PSNR in dB against the source frames (colour RGB, thermal grey, peak 255)",
    "key_frames/messages": "messages flagged key_frame / messages in the run (a fresh encoder per codec and quality)",
    "bd": "BD-rate (%) vs the reference per modality on (bytes, psnr), Akima (eval/bdrate.py); overlap = shared "
          "fraction of the PSNR ranges",
    "encode_ms/decode_ms": "median ms per pair at 640x512 (frames edge-padded), encode + container write / "
                           "container read + decode, first message left out",
}


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _sources(args: argparse.Namespace) -> list:
    """Loaders (name, callable) in order: the named (or all found) sequences, then the synthetic scene."""
    from ..eval.sequences import find_sequences, load_sequence, synthetic_sequence

    out = []
    if args.data:
        names = _split_list(args.sequences) if args.sequences else find_sequences(Path(args.data))
        out += [(n, lambda n=n: load_sequence(Path(args.data), n, args.frames, args.step, args.fps)) for n in names]
    if args.synthetic:
        out.append(("synthetic", lambda: synthetic_sequence(args.synthetic, args.fps / args.step)))
    return out


def cmd_eval_seq(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..codecs import names as registered
    from ..codecs.factory import open_codec
    from ..eval import sequences as sq
    from ..eval.sequences_report import bd_table, markdown, plot_sequences

    header = provenance.header("eval-seq", vars(args))
    started = time.perf_counter()
    qualities = args.qualities
    requested = _split_list(args.codec)
    unknown = [c for c in requested if c not in registered()]
    if unknown or args.step < 1:
        _log(f"rgbir-compress eval-seq: error: {'unknown codec(s) ' + ', '.join(unknown) if unknown else '--step >= 1'}")
        return 1
    codecs, skipped = {}, {}
    for name in requested:
        try:
            codecs[name] = open_codec(name, device=args.device).model_id
        except CodecUnavailable as exc:
            skipped[name] = str(exc)
            _log(f"rgbir-compress eval-seq: skipping {exc}")
    sources = _sources(args)
    if not codecs or not sources:
        _log("rgbir-compress eval-seq: error: " + ("no requested codec is available" if not codecs
                                                   else "no sequences (give --data and/or --synthetic N)"))
        return 1
    result = {**header, "kind": "rgbir-compress eval-seq", "rate_hz": args.fps / args.step, "step": args.step,
              "key_interval_s": args.key_interval, "keyint_frames": round(args.key_interval * args.fps / args.step),
              "qualities": qualities, "source_frames": args.frames, "reference": args.reference,
              "codecs": {n: {"model_id": m} for n, m in codecs.items()}, "unavailable": skipped,
              "definitions": DEFINITIONS, "sequences": {}}
    first = None
    for seq_name, load in sources:
        try:
            seq = load()
        except (OSError, ValueError) as exc:
            _log(f"rgbir-compress eval-seq: error: {seq_name}: {exc}")
            return 1
        first = first or seq
        t0 = time.perf_counter()
        with tqdm(total=len(codecs) * len(qualities) * len(seq), unit="msg", desc=seq_name,
                  disable=args.no_progress, dynamic_ncols=True) as bar:
            found = {c: sq.curves(c, seq, qualities, args.key_interval, args.device, lambda: bar.update())
                     for c in codecs}
        result["sequences"][seq_name] = {"frames": len(seq), "rate_hz": seq.rate_hz, "source": seq.source,
                                         "curves": found, "bd": bd_table(found, args.reference)}
        _log(f"{seq_name}: {len(seq)} frames at {seq.rate_hz:g} Hz in {time.perf_counter() - t0:.0f} s")
    timing = {c: sq.time_codec(c, first, qualities[len(qualities) // 2], args.key_interval, args.time_frames,
                               args.device) for c in codecs} if args.time_frames else {}
    result["timing"] = {"sequence": first.name, "size": "640x512", "quality": qualities[len(qualities) // 2],
                        "per_codec": timing}
    result["encode_ms"] = {c: t["encode"] for c, t in timing.items()}
    result["decode_ms"] = {c: t["decode"] for c, t in timing.items()}
    result["duration_s"] = round(time.perf_counter() - started, 1)
    print(markdown(result))
    print(f"\nwrote {write_results(result, args.out)}")
    if args.plot:
        for path in plot_sequences(result, args.plot):
            print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-seq", help="rate-distortion of codecs on time-ordered sequences (stream codecs)",
                       description="Code each sequence in order through a fresh encoder per codec and quality "
                                   "(key frames every --key-interval s at the sequence rate), decode every message "
                                   "from container bytes with a separate decoder; bytes of every message, PSNR "
                                   "per frame, BD-rates vs --reference, ms per pair at 640x512.")
    p.add_argument("--data", help="folder of <name>_rgb.mp4/<name>_ir.mp4 pairs and/or <name>/{rgb,ir}/ image folders")
    p.add_argument("--sequences", help="sequence names, comma-separated (default: all in --data)")
    p.add_argument("--synthetic", type=int, default=0, help="also N frames of the panning synthetic scene")
    p.add_argument("--codec", default=DEFAULT_CODECS, help=f"registered codec names, comma-separated ({DEFAULT_CODECS})")
    p.add_argument("--step", type=int, default=3, help="keep every step-th source frame (3: 10 Hz of 30 fps)")
    p.add_argument("--fps", type=float, default=30.0, help="source rate of image folders and the synthetic scene "
                                                           "(MP4: read from the file)")
    p.add_argument("--key-interval", type=float, default=2.0, help="seconds between key frames of stream codecs")
    p.add_argument("--qualities", type=_qualities, default=DEFAULT_QUALITIES, help="comma-separated qualities in [0, 1]")
    p.add_argument("--frames", type=int, default=150, help="source frames per sequence before --step (0: all)")
    p.add_argument("--reference", default="avif-s9", help="BD-rate anchor (default avif-s9)")
    p.add_argument("--time-frames", type=int, default=20, help="messages timed per codec at 640x512 (0: no timing)")
    p.add_argument("--device", default="auto", help="device for codecs that take one (stream codecs: cpu = no NVENC)")
    p.add_argument("--out", required=True, help="results JSON")
    p.add_argument("--plot", help="RD figure stem: writes <stem>_<sequence>.png")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval_seq)
