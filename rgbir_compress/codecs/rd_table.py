"""The measured rate-distortion table `codec: auto` ranks codecs by.

`rd_table.json` ships beside this module. It is written by `rgbir-compress rd-table` from the
records of `rgbir-compress eval` results files (eval/rd_table.py), never by hand, and it names the
command, the results files and the pairs it came from. Each entry is a codec's BD-rate (%) against
the table's reference on PSNR, per modality (stream codecs, which need sequences, are measured on
real sequences against a still anchor that is also in the table, and chained through it: `basis`); a learned codec's entry also pins the model_id
(weights digest) it was measured with, because other weights are another codec as far as rate
goes. Speed is not in the table: it depends on the machine, so `auto` measures it where it runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("rd_table.json")


@dataclass(frozen=True)
class RDEntry:
    codec: str
    bd_rgb: float
    bd_thermal: float
    model_id: str | None = None  # set for codecs whose rate depends on their weights
    basis: str = ""  # how it was measured when not on the table's own pairs (stream codecs: sequences)

    @property
    def score(self) -> float:
        """Mean BD-rate of the two modalities: the ranking auto uses (lower is better)."""
        return (self.bd_rgb + self.bd_thermal) / 2

    def describe(self, reference: str) -> str:
        return f"BD-rate vs {reference} colour {self.bd_rgb:+.1f} %, thermal {self.bd_thermal:+.1f} %"


@dataclass(frozen=True)
class RDTable:
    entries: dict[str, RDEntry]
    reference: str = "jpeg"
    source: str = ""    # the pairs the rates were measured on
    command: str = ""   # the command that wrote the table
    extra: dict = field(default_factory=dict)

    def ranked(self) -> list[RDEntry]:
        """Best rate-distortion first."""
        return sorted(self.entries.values(), key=lambda e: (e.score, e.codec))

    def to_json(self) -> dict:
        return {"reference": self.reference, "source": self.source, "command": self.command, **self.extra,
                "codecs": {n: {"bd_rgb": e.bd_rgb, "bd_thermal": e.bd_thermal,
                               **({"model_id": e.model_id} if e.model_id else {}),
                               **({"basis": e.basis} if e.basis else {})}
                           for n, e in sorted(self.entries.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "RDTable":
        entries = {name: RDEntry(name, float(v["bd_rgb"]), float(v["bd_thermal"]), v.get("model_id"), v.get("basis", ""))
                   for name, v in data.get("codecs", {}).items()}
        extra = {k: v for k, v in data.items() if k not in ("codecs", "reference", "source", "command")}
        return cls(entries, data.get("reference", "jpeg"), data.get("source", ""), data.get("command", ""), extra)


def load_table(path: str | Path = TABLE_PATH) -> RDTable:
    """The shipped table (or another); an install without one gives an empty table, and auto then
    runs its fallback codec and says why."""
    path = Path(path)
    if not path.is_file():
        return RDTable({})
    return RDTable.from_json(json.loads(path.read_text()))


__all__ = ["RDEntry", "RDTable", "TABLE_PATH", "load_table"]
