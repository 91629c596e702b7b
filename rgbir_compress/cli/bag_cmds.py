"""`rgbir-compress bag compress|decompress|info|extract` (rosbags only; no ROS install needed)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from ..bag.bagio import STORAGES
from ..bag.safety import leftover_partials
from ..errors import CodecUnavailable, OutputExistsError
from .codec_cmds import thermal_max_error

EPILOG = ("The input is only read. Output is written under a hidden .NAME.partial-* folder and renamed "
          "when complete; an existing output is replaced only with --force.")


def _common_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--storage", choices=sorted(STORAGES), default="sqlite3", help="output storage (default sqlite3)")
    p.add_argument("--force", action="store_true", help="replace an existing output")


def _runtime(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=1, help="pairs coded in parallel (threads; default 1)")
    p.add_argument("--device", default="auto", help="device for learned codecs: auto, cpu, cuda (default auto)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def _pairing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--slop", type=float, default=0.05,
                   help="largest colour/thermal stamp difference of a pair, seconds (default 0.05)")
    p.add_argument("--max-lag", type=float, default=1.0,
                   help="how long one stream may lag the other before frames are given up, seconds (default 1)")


def register(subparsers: argparse._SubParsersAction) -> None:
    bag = subparsers.add_parser("bag", help="compress, decompress, inspect rosbags; extract training pairs",
                                description=__doc__)
    sub = bag.add_subparsers(dest="bag_command", metavar="BAG_COMMAND", required=True)

    p = sub.add_parser("compress", help="replace two image topics by CompressedRGBIR messages", epilog=EPILOG)
    p.add_argument("input", type=Path, help="rosbag2 folder (sqlite3/mcap) or ROS 1 .bag")
    p.add_argument("output", type=Path, help="new rosbag2 folder")
    p.add_argument("--rgb-topic", required=True)
    p.add_argument("--ir-topic", required=True)
    p.add_argument("--out-topic", default="/rgbir/compressed", help="topic of the compressed pairs")
    p.add_argument("--codec", default=None,
                   help="codec name (see `rgbir-compress codecs`); default auto: the best measured rate-distortion "
                        "that keeps 10 Hz at the bag's image size on this machine (codecs/auto.py)")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--quality", type=float, default=0.5, help="quality in [0, 1] (default 0.5)")
    rate.add_argument("--target-kbps", type=float, default=None,
                      help="steer quality towards this payload bitrate (kbit/s of both bitstreams + affine "
                           "coefficients over message stamps; the encoder node's target_kbps)")
    p.add_argument("--psnr-every", type=int, default=10, help="decode every Nth pair for the PSNR report (0: off)")
    p.add_argument("--key-interval", type=float, default=2.0,
                   help="stream codecs (h264-stream, hevc-stream, av1-stream): seconds between key frames, the "
                        "points `bag extract` and a late reader start from (0: every pair; default 2)")
    p.add_argument("--rate", type=float, default=10.0,
                   help="stream codecs: the bag's pair rate in Hz, to count --key-interval in frames (default 10)")
    p.add_argument("--thermal-max-error", type=thermal_max_error, default=None, metavar="N",
                   help="mono16 thermal: 0 = lossless, the default for a mono16 thermal topic (exact counts, a "
                        "radiometric stream beside the codec's colour); N = every count within N; -1 = the 8-bit "
                        "window (smaller, counts approximated). Not rate-controlled by --target-kbps")
    p.add_argument("--batch", type=int, default=0,
                   help="pairs encoded per network pass (default 0: 4 when the codec runs on a GPU, else 1)")
    _pairing(p)
    _common_output(p)
    _runtime(p)
    p.set_defaults(func=_compress)

    p = sub.add_parser("decompress", help="restore sensor_msgs/Image topics", epilog=EPILOG)
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--topic", action="append", dest="topics", default=None,
                   help="compressed topic to restore (repeatable; default all)")
    p.add_argument("--rgb-topic", default=None, help="name of the restored colour topic (default: as recorded)")
    p.add_argument("--ir-topic", default=None, help="name of the restored thermal topic (default: as recorded)")
    _common_output(p)
    _runtime(p)
    p.set_defaults(func=_decompress)

    p = sub.add_parser("info", help="topics, counts, sizes, codecs, models, bitrates")
    p.add_argument("input", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=_info)

    p = sub.add_parser("extract", help="write synchronised pairs (PNG) and a manifest CSV", epilog=EPILOG)
    p.add_argument("input", type=Path)
    p.add_argument("outdir", type=Path)
    p.add_argument("--rgb-topic", default=None)
    p.add_argument("--ir-topic", default=None)
    p.add_argument("--compressed-topic", default=None,
                   help="decode this CompressedRGBIR topic (default: the only one, when no image topics are given)")
    p.add_argument("--split", default="train", help="manifest split column (default train)")
    p.add_argument("--source", default=None, help="manifest source column (default: the bag's name)")
    p.add_argument("--every", type=int, default=1,
                   help="keep every Nth pair (default 1); a stream codec's topic is decoded from the nearest key "
                        "frame before each kept pair, the pairs in between decoded but not written")
    p.add_argument("--start", type=float, default=0.0, metavar="SECONDS",
                   help="skip the pairs logged in the bag's first SECONDS (default 0)")
    p.add_argument("--thermal-16bit", action="store_true",
                   help="keep mono16 thermal as 16-bit PNG (default: 8-bit, stretched per frame like the codecs)")
    _pairing(p)
    p.add_argument("--force", action="store_true", help="replace an existing OUTDIR")
    _runtime(p)
    p.set_defaults(func=_extract)


def _guarded(run: Callable[[], str], output: Path | None) -> int:
    if output is not None and (left := leftover_partials(output)):
        print(f"note: partial output of an interrupted earlier run: {', '.join(map(str, left))} "
              "(safe to delete)", file=sys.stderr)
    try:
        print(run())
        return 0
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'}); no output written", file=sys.stderr)
        return 130
    except (OutputExistsError, FileNotFoundError, ValueError, KeyError, CodecUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _compress(args: argparse.Namespace) -> int:
    from ..bag.compress import CompressOptions, compress_bag

    opts = CompressOptions(
        rgb_topic=args.rgb_topic, ir_topic=args.ir_topic, out_topic=args.out_topic, codec=args.codec,
        quality=args.quality, target_kbps=args.target_kbps, slop_s=args.slop, max_lag_s=args.max_lag,
        storage=args.storage, force=args.force, progress=args.progress, jobs=args.jobs,
        batch=args.batch, psnr_every=args.psnr_every, device=args.device,
        key_interval_s=args.key_interval, rate_hz=args.rate, thermal_max_error=args.thermal_max_error)
    return _guarded(lambda: compress_bag(args.input, args.output, opts).summary(), args.output)


def _decompress(args: argparse.Namespace) -> int:
    from ..bag.decompress import DecompressOptions, decompress_bag

    opts = DecompressOptions(topics=args.topics, rgb_topic=args.rgb_topic, ir_topic=args.ir_topic,
                             storage=args.storage, force=args.force, progress=args.progress,
                             jobs=args.jobs, device=args.device)
    return _guarded(lambda: decompress_bag(args.input, args.output, opts).summary(), args.output)


def _info(args: argparse.Namespace) -> int:
    from ..bag.info import bag_info, format_info

    def run() -> str:
        info = bag_info(args.input, progress=args.progress)
        return json.dumps(info.to_dict(), indent=2) if args.json else format_info(info)

    return _guarded(run, None)


def _extract(args: argparse.Namespace) -> int:
    from ..bag.extract import ExtractOptions, extract_bag

    opts = ExtractOptions(
        rgb_topic=args.rgb_topic, ir_topic=args.ir_topic, compressed_topic=args.compressed_topic,
        split=args.split, source=args.source, every=args.every, start_s=args.start, thermal_16bit=args.thermal_16bit,
        slop_s=args.slop, max_lag_s=args.max_lag, force=args.force, progress=args.progress,
        jobs=args.jobs, device=args.device)
    return _guarded(lambda: extract_bag(args.input, args.outdir, opts).summary(), args.outdir)
