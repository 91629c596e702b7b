"""`rgbir-compress` (also `python -m rgbir_compress`): one command, subcommands from the modules
that own them. Each module listed in SUBCOMMANDS defines `register(subparsers)`, which adds its
parser(s) with `set_defaults(func=...)`; func(args) returns the exit code. The argument parsing
lives here in cli/; the two benches that are their own programs (consistency, fuzz) register from
eval/."""
from __future__ import annotations

import argparse
import importlib
import sys

#: (module, what it needs beyond the core install).
SUBCOMMANDS = (
    ("rgbir_compress.cli.codec_cmds", "codecs"),      # codecs, encode, decode
    ("rgbir_compress.cli.eval_cmds", "eval"),         # eval, bdrate, bench
    ("rgbir_compress.eval.consistency", "consistency"),  # decode-anywhere bench
    ("rgbir_compress.eval.fuzz", "fuzz"),             # damaged streams at every decoder
    ("rgbir_compress.cli.train_cmds", "train"),       # train, export-weights
    ("rgbir_compress.cli.bag_cmds", "bag"),           # bag compress|decompress|info|extract
    ("rgbir_compress.cli.pack_cmds", "train"),       # train-pack
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rgbir-compress", description="Compress RGB + thermal image pairs with joint learned codecs."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    missing = []
    for name, label in SUBCOMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # An optional dependency (e.g. rosbags for `bag`) is not installed: the other
            # subcommands still work, and --help says what to install.
            missing.append(f"{label} (needs {exc.name})")
            continue
        module.register(sub)
    if missing:
        parser.epilog = "unavailable in this install: " + ", ".join(missing)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
