"""`rgbir-compress eval` (rate-distortion over a manifest) and `rgbir-compress bench` (throughput);
`eval-seq` (sequences, cli/seq_cmds.py) registers from here."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..codecs import names
from ..codecs.base import PairCodec
from ..eval import provenance
from ..eval.results_file import load_results, write_results
from ..codecs.factory import open_codec, takes
from ..errors import CodecUnavailable
from ..eval.runner import CodecSpec, PairSource, default_qualities

DEFINITIONS = {
    "container_bytes": "size of the .rgbir container (header, both bitstreams, affine, crc32)",
    "rgb_bytes/thermal_bytes": "length of each modality's bitstream as written by the codec",
    "bpp_rgb": "8 * rgb_bytes / colour pixels",
    "bpp_thermal": "8 * (thermal_bytes + affine_bytes) / thermal pixels",
    "bpp_container": "8 * container_bytes / colour pixels",
    "psnr_rgb": "dB over the 3 RGB channels, peak 255; null = lossless",
    "psnr_yuv420": "colour in YUV 4:2:0 (BT.601 full range): 10 log10(1 / ((4 MSE_Y + MSE_U + MSE_V) / 6))",
    "psnr_thermal": "dB over the one thermal channel, peak 255 (mono8) or the frame's count range (mono16)",
    "thermal_rmse": "RMS error of thermal in the original units (8-bit levels or 16-bit counts)",
    "msssim_*": "MS-SSIM (pytorch-msssim, 5 scales); null when the smaller side is under 161 px",
    "encode_ms/decode_ms": "wall time of encode + container write / container read + decode",
    "summary.curves": "per codec and quality, means over pairs; infinite PSNR counted as 100 dB",
    "summary.bd_rate": "Bjontegaard delta rate (%) vs the reference per modality on PSNR and on "
                       "MS-SSIM in dB (-10 log10(1 - MS-SSIM)), Akima, bjontegaard package; "
                       "overlap = shared fraction of the quality range",
}


def _split_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _qualities(text: str) -> list[float]:
    try:
        vals = [float(v) for v in _split_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"qualities must be comma-separated numbers, got {text!r}") from None
    bad = [v for v in vals if not 0.0 <= v <= 1.0]
    if bad:
        raise argparse.ArgumentTypeError(f"qualities must be in [0, 1], got {bad}")
    if not vals:
        raise argparse.ArgumentTypeError("no qualities given")
    return sorted(set(vals))


def _err(cmd: str, message: str) -> None:
    print(f"rgbir-compress {cmd}: error: {message}", file=sys.stderr)


def _open_codecs(cmd: str, requested: list[str], device: str, threads: int
                 ) -> tuple[dict[str, PairCodec], dict[str, str], dict[str, str]]:
    """Create each requested codec (`NAME` or `LABEL=NAME@WEIGHTS`, runner.CodecSpec), keyed by
    label; unavailable ones are reported on stderr and skipped. Also returns label -> name."""
    specs = [CodecSpec.parse(text) for text in requested]
    known = names()
    unknown = [s.name for s in specs if s.name not in known]
    if unknown:
        raise KeyError(f"unknown codec(s) {', '.join(unknown)}; available: {', '.join(known)}")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"codec labels must differ: {', '.join(labels)}")
    opened: dict[str, PairCodec] = {}
    skipped: dict[str, str] = {}
    for spec in specs:
        if spec.weights and not takes(spec.name, "weights"):
            raise ValueError(f"{spec.name} takes no weights file (it is not a learned codec)")
        try:
            opened[spec.label] = open_codec(spec.name, device=device, threads=threads, weights=spec.weights)
        except CodecUnavailable as exc:
            skipped[spec.label] = str(exc)
            print(f"rgbir-compress {cmd}: skipping {exc}", file=sys.stderr)
    return opened, skipped, {s.label: s.name for s in specs}


def _setup_failed(cmd: str, exc: Exception | None) -> int:
    """Report why `cmd` cannot start (no codec opened when `exc` is None); the exit code."""
    if exc is None:
        _err(cmd, "no requested codec is available")
    else:
        _err(cmd, exc.args[0] if isinstance(exc, KeyError) else str(exc))
    return 1


def _pairs(args: argparse.Namespace) -> list[PairSource]:
    from ..manifest import read_manifest

    manifest = Path(args.manifest)
    found = read_manifest(manifest, split=args.split, source=args.source)
    if args.limit:
        found = found[: args.limit]
    root = manifest.parent
    return [PairSource(str(p.rgb.relative_to(root)) if p.rgb.is_relative_to(root) else str(p.rgb), p.rgb, p.ir)
            for p in found]


# -- eval ---------------------------------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    from ..eval.plot import plot_rd
    from ..eval.runner import evaluate
    from ..eval.summary import format_tables, summarize

    header = provenance.header("eval", vars(args))
    started = time.perf_counter()
    try:
        requested = _split_list(args.codec)
        codecs, skipped, names_of = _open_codecs("eval", requested, args.device, args.threads)
        pairs = _pairs(args)
    except (KeyError, ValueError, OSError) as exc:
        return _setup_failed("eval", exc)
    if not codecs:
        return _setup_failed("eval", None)
    if not pairs:
        _err("eval", f"no pairs in {args.manifest} for split={args.split} source={args.source}")
        return 1
    qualities = {n: args.qualities or default_qualities(names_of[n]) for n in codecs}
    records = evaluate(pairs, codecs, qualities, progress=not args.no_progress)
    merged = {}
    if args.merge:
        try:
            merged = _merge_earlier(args, records, codecs, qualities)
        except (OSError, ValueError) as exc:
            _err("eval", str(exc))
            return 1
    summary = summarize(records, args.reference)
    print(format_tables(summary))
    if args.reference not in summary.get("curves", {}):  # neither measured now nor merged
        print(f"\n(no BD-rates: reference codec {args.reference!r} was not evaluated)")
    result = {
        **header,
        "kind": "rgbir-compress eval",
        "duration_s": round(time.perf_counter() - started, 1),
        "manifest": str(args.manifest),
        "filters": {"split": args.split, "source": args.source, "limit": args.limit},
        "pairs": len(pairs),
        "codecs": {**merged, **{n: {"model_id": c.model_id, "quality_help": c.quality_help,
                                    "qualities": qualities[n], "codec": names_of[n]}
                                for n, c in codecs.items()}},
        "merged_from": args.merge,
        "unavailable": skipped,
        "reference": args.reference,
        "definitions": DEFINITIONS,
        "summary": summary,
        "records": records,
    }
    print(f"\nwrote {write_results(result, args.out)}")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_rd(summary, args.plot, title=f"{args.manifest} split={args.split} source={args.source}, "
                                          f"{len(pairs)} pairs")
        print(f"wrote {args.plot}")
    return 0


def _merge_earlier(args: argparse.Namespace, records: list[dict], codecs: dict, qualities: dict) -> dict:
    """Append the records of codecs measured in an earlier results file (same manifest, filters and
    limit) so a new codec joins an evaluation without re-running the others. Returns their
    codec entries; the summary and BD-rates are then computed over everything."""
    earlier = load_results(args.merge)
    _check_same_pairs(args.merge, earlier, args.manifest,
                      {"split": args.split, "source": args.source, "limit": args.limit}, "merge")
    kept = {n: e for n, e in earlier.get("codecs", {}).items() if n not in codecs}
    records.extend(r for r in earlier["records"] if r["codec"] in kept)
    return kept


def _check_same_pairs(path: str, result: dict, manifest: str, filters: dict, action: str) -> None:
    """Results measured on other pairs (manifest or filters) must not enter one summary."""
    if Path(result.get("manifest", "")).resolve() != Path(manifest).resolve() or result.get("filters") != filters:
        raise ValueError(f"{path}: measured on {result.get('manifest')} {result.get('filters')}, "
                         f"not on {manifest} {filters}; cannot {action}")


# -- bdrate -------------------------------------------------------------------------------------
def cmd_bdrate(args: argparse.Namespace) -> int:
    """BD-rate tables of earlier `eval` results files against other anchors (no re-encoding).
    Several files of the same manifest and filters combine; a label found in more than one file
    is taken from the first that has it (so later runs merged from the same file do not count twice)."""
    from ..eval.plot import plot_rd
    from ..eval.summary import bd_table, summarize

    try:
        records = _combined_records(args.results)
    except (OSError, ValueError) as exc:
        _err("bdrate", str(exc))
        return 1
    keep = _split_list(args.codec) if args.codec else None
    if keep:
        records = [r for r in records if r["codec"] in keep]
    measured = sorted({r["codec"] for r in records})
    missing = [ref for ref in _split_list(args.reference) if ref not in measured]
    if missing or not records:
        _err("bdrate", f"{', '.join(args.results)}: no records of {', '.join(missing) or 'the requested codecs'} "
                       f"(it has {', '.join(measured) or 'none'})")
        return 1
    references = _split_list(args.reference)
    for i, ref in enumerate(references):
        print(("\n" if i else "") + bd_table(summarize(records, ref)))
    if args.plot:
        summary = summarize(records, references[-1])
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_rd(summary, args.plot, title=f"{', '.join(Path(f).name for f in args.results)}")
        print(f"wrote {args.plot}")
    return 0


def _combined_records(paths: list[str]) -> list[dict]:
    results = [load_results(p) for p in paths]
    first = results[0]
    records, seen = [], set()
    for path, res in zip(paths, results):
        _check_same_pairs(path, res, first.get("manifest", ""), first.get("filters"), "combine")
        labels = {r["codec"] for r in res.get("records", [])} - seen
        records.extend(r for r in res.get("records", []) if r["codec"] in labels)
        seen |= labels
    return records


# -- rd-table -----------------------------------------------------------------------------------
def cmd_rd_table(args: argparse.Namespace) -> int:
    """The RD table `codec: auto` ranks by, from eval results files (eval/rd_table.py)."""
    import json

    from ..codecs.catalog import stream_codecs
    from ..codecs.rd_table import TABLE_PATH, RDTable
    from ..eval.rd_table import build_table, sequence_entries

    try:
        records = _combined_records(args.results)
        results = [load_results(p) for p in args.results]
    except (OSError, ValueError) as exc:
        _err("rd-table", str(exc))
        return 1
    entries: dict[str, dict] = {}
    for res in results:  # a label is taken from the first file that has it, as its records are
        for label, entry in res.get("codecs", {}).items():
            entries.setdefault(label, entry)
    installed, pinned = {}, set()
    streams = set(stream_codecs())
    for name in names():
        if name == "auto" or name in streams:  # stream codecs: from --sequences below
            continue
        try:
            installed[name] = open_codec(name, device=args.device).model_id
        except CodecUnavailable as exc:
            print(f"rgbir-compress rd-table: skipping {exc}", file=sys.stderr)
            continue
        if takes(name, "weights"):
            pinned.add(name)
    first = results[0]
    filters = first.get("filters", {})
    source = (f"{Path(first.get('manifest', '')).parent.name}/{filters.get('split')}/{filters.get('source')}, "
              f"{first.get('pairs')} pairs, PSNR")
    try:
        table, missing = build_table(records, entries, installed, pinned, reference=args.reference,
                                     source=source, command=_rd_table_command(args))
    except ValueError as exc:
        _err("rd-table", str(exc))
        return 1
    if args.sequences:
        anchor = table.entries.get(args.anchor)
        if anchor is None:
            _err("rd-table", f"the anchor {args.anchor!r} of --sequences is not in the table")
            return 1
        try:
            seq = load_results(args.sequences)
        except (OSError, ValueError) as exc:
            _err("rd-table", str(exc))
            return 1
        found, lost = sequence_entries(seq, sorted(streams), anchor)
        missing.update(lost)
        table = RDTable({**table.entries, **found}, table.reference, table.source, table.command,
                        {**table.extra, "sequences": args.sequences, "sequence_anchor": args.anchor})
    else:
        missing.update({n: "stream codec: give --sequences" for n in sorted(streams)})
    out = Path(args.out or TABLE_PATH)
    out.write_text(json.dumps(table.to_json(), indent=1) + "\n")
    for entry in table.ranked():
        where = entry.basis or f"label {table.extra['labels'][entry.codec]}"
        print(f"{entry.codec:16s} {entry.describe(table.reference)}  ({where})")
    for name, why in missing.items():
        print(f"{name:16s} not in the table: {why}")
    print(f"wrote {out}")
    return 0


def _rd_table_command(args: argparse.Namespace) -> str:
    import shlex

    words = ["rgbir-compress", "rd-table", *args.results, "--reference", args.reference]
    if args.sequences:
        words += ["--sequences", args.sequences, "--anchor", args.anchor]
    return shlex.join(words + (["--out", args.out] if args.out else []))


# -- bench --------------------------------------------------------------------------------------
def _bench_inputs(args: argparse.Namespace, sizes: list[tuple[int, int]]) -> tuple[dict, str]:
    from ..imageio import load_rgb, load_thermal, resize_pair
    from ..scene import SyntheticScene

    if args.manifest:
        pairs = _pairs(args)
        if not pairs:
            raise ValueError(f"no pairs in {args.manifest} for split={args.split} source={args.source}")
        rgb, thermal = load_rgb(pairs[0].rgb), load_thermal(pairs[0].ir)
        return ({s: resize_pair(rgb, thermal, s) for s in sizes},
                f"real pair {pairs[0].name} ({rgb.shape[1]}x{rgb.shape[0]}) resized bicubic to each size")
    return ({(w, h): SyntheticScene(h, w).frame(0) for w, h in sizes},
            "synthetic scene (rgbir_compress/scene.py, frame 0)")


def cmd_bench(args: argparse.Namespace) -> int:
    from ..eval.bench import bench_table, parse_size, run_bench

    header = provenance.header("bench", vars(args))
    try:
        sizes = [parse_size(s) for s in _split_list(args.sizes)]
        requested = _split_list(args.codec) if args.codec else names()
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        codecs, skipped, _ = _open_codecs("bench", requested, args.device, args.threads)
        inputs, source = _bench_inputs(args, sizes)
    except (KeyError, ValueError, OSError) as exc:
        return _setup_failed("bench", exc)
    if not codecs:
        return _setup_failed("bench", None)
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    print(f"torch threads: {torch.get_num_threads()}; device for learned codecs: {device}; "
          f"input: {source}; quality {args.quality}; median of {args.repeat}")
    rows = run_bench(codecs, inputs, args.quality, args.repeat, progress=not args.no_progress)
    print(bench_table(rows))
    if args.out:
        result = {
            **header,
            "kind": "rgbir-compress bench",
            "torch_threads": torch.get_num_threads(),
            "device": device,
            "input": source,
            "codecs": {n: {"model_id": c.model_id} for n, c in codecs.items()},
            "unavailable": skipped,
            "rows": rows,
        }
        print(f"wrote {write_results(result, args.out)}")
    return 0


# -- parsers ------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--split", help="keep manifest rows with this split (e.g. val)")
    p.add_argument("--source", help="keep manifest rows with this source (e.g. m3fd)")
    p.add_argument("--device", default="auto", help="device for learned codecs: auto, cpu, cuda[:N]")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="rate-distortion of codecs over a manifest of pairs",
                       description="Encode every pair at every quality through real container bytes; "
                                   "report bpp, PSNR, MS-SSIM, timings, mean curves and BD-rates.")
    p.add_argument("--manifest", required=True, help="CSV with columns rgb, ir (paths relative to it)")
    p.add_argument("--codec", required=True,
                   help="codec name(s), comma-separated; LABEL=NAME@WEIGHTS measures a learned codec's other "
                        "weights (a training run) under LABEL")
    p.add_argument("--qualities", type=_qualities, help="comma-separated qualities in [0, 1] for every codec "
                                       "(default: per-codec defaults with overlapping rates)")
    p.add_argument("--reference", default="jpeg", help="BD-rate anchor (default jpeg)")
    p.add_argument("--out", required=True, help="results JSON")
    p.add_argument("--plot", help="RD plot PNG (RGB and thermal panels)")
    p.add_argument("--limit", type=int, default=0, help="first N pairs only")
    p.add_argument("--merge", help="earlier results JSON (same manifest and filters): include its other codecs' "
                                   "records in the summary, BD-rates and plot without re-running them")
    _common(p)
    p.set_defaults(func=cmd_eval)

    d = sub.add_parser("bdrate", help="BD-rates of eval results files against other anchors",
                       description="Re-summarise `rgbir-compress eval` results against each reference codec "
                                   "(no encoding; the records in the files are used as measured).")
    d.add_argument("results", nargs="+", help="results JSON(s) written by `rgbir-compress eval` on the same "
                                              "manifest and filters; a label is taken from the first file with it")
    d.add_argument("--plot", help="RD plot PNG of the combined records (BD-rates against the last reference)")
    d.add_argument("--reference", required=True, help="anchor codec label(s), comma-separated")
    d.add_argument("--codec", help="only these codec labels, comma-separated (default: all in the files)")
    d.set_defaults(func=cmd_bdrate)

    t = sub.add_parser("rd-table", help="write the RD table codec auto ranks by, from eval results",
                       description="For every codec installed here, its BD-rate per modality (PSNR) against the "
                                   "reference from `rgbir-compress eval` records measured with the same codec "
                                   "(learned codecs: the same weights); written to the table auto reads.")
    t.add_argument("results", nargs="+", help="results JSON(s) of `rgbir-compress eval` on the same manifest and "
                                              "filters; a label is taken from the first file with it")
    t.add_argument("--reference", default="jpeg", help="BD-rate anchor (default jpeg)")
    t.add_argument("--out", help="output JSON (default: the table shipped in the package, codecs/rd_table.json)")
    t.add_argument("--sequences", help="sequence results (`rgbir-compress eval-seq` JSON) for the stream codecs: "
                                       "their BD-rate against --anchor on real sequences, chained through the "
                                       "anchor's entry")
    t.add_argument("--anchor", default="avif-s9", help="still codec measured in both (default avif-s9)")
    t.add_argument("--device", default="cpu", help="device to open learned codecs on (only their model_id is read)")
    t.set_defaults(func=cmd_rd_table)

    b = sub.add_parser("bench", help="encode/decode throughput and peak memory per codec",
                       description="Throughput (pairs/s) and peak memory at fixed sizes.")
    b.add_argument("--codec", help="codec name(s), comma-separated (default: all)")
    b.add_argument("--sizes", default="640x512,1280x1024", help="WIDTHxHEIGHT list (both modalities)")
    b.add_argument("--repeat", type=int, default=5, help="timed round trips per codec and size")
    b.add_argument("--quality", type=float, default=0.5, help="quality in [0, 1]")
    b.add_argument("--manifest", help="resize the first pair of this manifest (default: synthetic)")
    b.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    b.add_argument("--out", help="also write the rows as JSON")
    _common(b)
    b.set_defaults(func=cmd_bench)

    from .seq_cmds import register as register_seq

    register_seq(sub)
