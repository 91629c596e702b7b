#!/usr/bin/env python3
"""The issue-23 sequence benchmark as it is published (docs/results_sequences.md): a thin wrapper
over `rgbir-compress eval-seq` (eval/sequences.py), kept so the documented run is one short line.

    nice .venv/bin/python tools/bench_sequences.py            # the published run -> results/seq_rd.json
    nice .venv/bin/python tools/bench_sequences.py --step 1 --frames 60 --sequences 0111_1716 --synthetic 0 \
        --out results/local/seq_rd_30hz.json                  # later options override the defaults

Data: ../shared/data/rgbt_seq beside the repository (see its README); every eval-seq option passes through.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rgbir_compress.cli.main import main  # noqa: E402

DEFAULTS = ["--data", str(REPO.parent / "shared" / "data" / "rgbt_seq"), "--synthetic", "50", "--step", "3",
            "--key-interval", "2", "--frames", "150", "--out", str(REPO / "results" / "seq_rd.json")]

if __name__ == "__main__":
    raise SystemExit(main(["eval-seq", *DEFAULTS, *sys.argv[1:]]))
