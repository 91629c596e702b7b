"""`rgbir-compress codecs | encode | decode`: list codecs, and code one pair to and from a `.rgbir` file.

Failures a user can cause (a bad file, an unknown codec, missing weights) end with one line on
stderr and exit code 1, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import container
from .. import encodings as enc
from ..codecs import get_class, names, thermal_precision
from ..codecs.factory import open_codec
from ..codecs.stream_decoder import StreamDecoder
from ..errors import CodecUnavailable, DecodeError, EncodeError
from ..frame import ImagePair


def _fail(cmd: str, message: str) -> int:
    print(f"rgbir-compress {cmd}: error: {message}", file=sys.stderr)
    return 1


def availability(name: str) -> tuple[str, str]:
    """(quality help, 'available' | 'unavailable: why') for one registered codec."""

    try:
        help_text = get_class(name).quality_help
    except Exception as exc:  # the codec's module does not import here (missing library)
        return "?", f"unavailable: {type(exc).__name__}: {exc}"
    try:
        open_codec(name, device="cpu")
    except CodecUnavailable as exc:
        reason = str(exc).split("unavailable: ", 1)[-1]
        return help_text, "unavailable: " + ("no weights" if reason.startswith("no weights") else reason)
    return help_text, "available"


def cmd_codecs(args: argparse.Namespace) -> int:
    for name in names():
        help_text, status = availability(name)
        print(f"{name}: quality -> {help_text} [{status}]")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    from ..imageio import load_rgb, load_thermal

    try:
        rgb, thermal = load_rgb(args.rgb), load_thermal(args.ir)
    except (OSError, ValueError) as exc:
        return _fail("encode", f"cannot read input image: {exc}")
    try:
        codec = open_codec(args.codec, device=args.device, thermal_max_error=args.thermal_max_error)
    except CodecUnavailable as exc:
        return _fail("encode", str(exc))
    try:
        cp = codec.encode(ImagePair(rgb=rgb, thermal=thermal, frame_id=args.frame_id,
                                    thermal_frame_id=args.thermal_frame_id), args.quality)
    except (EncodeError, ValueError) as exc:
        return _fail("encode", str(exc))
    try:
        size = container.save(cp, args.output)
    except OSError as exc:
        return _fail("encode", f"cannot write {args.output}: {exc}")
    rgb_px, th_px = rgb.shape[0] * rgb.shape[1], thermal.shape[0] * thermal.shape[1]
    n = cp.byte_count()
    print(f"wrote {args.output}: {size} bytes ({cp.codec} q={args.quality:g}, {cp.model_id}); "
          f"RGB {rgb.shape[1]}x{rgb.shape[0]} {n.rgb} B = {8 * n.rgb / rgb_px:.3f} bpp, "
          f"thermal {thermal.shape[1]}x{thermal.shape[0]} {cp.thermal_encoding} {n.thermal} B "
          f"= {8 * n.thermal / th_px:.3f} bpp ({thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error)})")
    if cp.thermal_encoding == "mono16" and cp.thermal_max_error < 0:
        print("note: mono16 thermal went through an 8-bit window (counts approximated); "
              "--thermal-max-error 0 keeps the exact counts", file=sys.stderr)
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from ..imageio import save_rgb, save_thermal

    try:
        cp = container.load(args.input)
    except OSError as exc:
        return _fail("decode", f"cannot read {args.input}: {exc.strerror or exc}")
    except DecodeError as exc:
        return _fail("decode", f"{args.input}: {exc}")
    if cp.codec not in names():
        return _fail("decode", f"{args.input}: written by codec {cp.codec!r}, which this build does not have "
                               f"(available: {', '.join(names())})")
    try:
        pair = StreamDecoder(device=args.device).decode(cp)
    except DecodeError as exc:
        return _fail("decode", f"{args.input}: {exc}")
    try:
        save_rgb(args.rgb, enc.colour_to_rgb(pair.rgb, pair.rgb_encoding))
        save_thermal(args.ir, pair.thermal)
    except (OSError, ValueError) as exc:
        return _fail("decode", f"cannot write output image: {exc}")
    print(f"decoded {args.input} ({cp.codec}, {cp.model_id}) -> {args.rgb}, {args.ir} "
          f"({thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error)}"
          f"{', 16-bit PNG' if pair.thermal_encoding == 'mono16' else ''})")
    return 0


def _quality(text: str) -> float:
    q = float(text)
    if not 0.0 <= q <= 1.0:
        raise argparse.ArgumentTypeError(f"quality must be in [0, 1] (0 = lowest rate), got {text}")
    return q


def thermal_max_error(text: str) -> int:
    """argparse type of --thermal-max-error (shared with `bag compress`)."""
    try:
        return thermal_precision.check(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codecs", help="list codecs: name, what quality maps to, availability")
    p.set_defaults(func=cmd_codecs)

    p = sub.add_parser("encode", help="encode an RGB + thermal image pair into a .rgbir file",
                       description="Thermal is read as one channel; a 16-bit PNG is coded as mono16.")
    p.add_argument("--rgb", required=True, type=Path, help="colour image (PNG, JPEG, ...)")
    p.add_argument("--ir", required=True, type=Path, help="thermal image (8-bit or 16-bit PNG)")
    p.add_argument("--codec", required=True, help="codec name (see `rgbir-compress codecs`)")
    p.add_argument("--quality", required=True, type=_quality, help="0 = lowest rate .. 1 = highest")
    p.add_argument("-o", "--output", required=True, type=Path, help="output .rgbir file")
    p.add_argument("--frame-id", default="", help="frame_id stored for the colour image")
    p.add_argument("--thermal-frame-id", default="", help="frame_id stored for the thermal image")
    p.add_argument("--device", default="auto", help="device for learned codecs: auto, cpu, cuda[:N]")
    p.add_argument("--thermal-max-error", type=thermal_max_error, default=-1, metavar="N",
                   help="mono16 thermal: -1 = 8-bit window (default), 0 = lossless (exact counts), N = every "
                        "count within N (sent as a radiometric stream; learned codecs refuse it)")
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("decode", help="decode a .rgbir file into two images")
    p.add_argument("input", type=Path, help=".rgbir file")
    p.add_argument("--rgb", required=True, type=Path, help="output colour image (PNG)")
    p.add_argument("--ir", required=True, type=Path, help="output thermal image (PNG; 16-bit for mono16)")
    p.add_argument("--device", default="auto", help="device for learned codecs: auto, cpu, cuda[:N]")
    p.set_defaults(func=cmd_decode)
