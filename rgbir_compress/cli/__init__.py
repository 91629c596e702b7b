"""The `rgbir-compress` command line: the entry point and one module of subcommands per area."""
from .main import build_parser, main

__all__ = ["build_parser", "main"]
