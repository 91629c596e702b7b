"""Progress bars and problem reports shared by the bag tools.

A bad input message never stops a run: it is reported with its topic and log timestamp and
counted by kind. The first few are printed (above the progress bar), the rest only counted.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from tqdm import tqdm


def progress_bar(total: int | None, *, enabled: bool, desc: str, unit: str = "msg") -> tqdm:
    """tqdm with ETA on stderr (disabled: a no-op bar)."""
    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit, dynamic_ncols=True,
                smoothing=0.05, file=sys.stderr)


def _echo(text: str) -> None:
    tqdm.write(text, file=sys.stderr)


def format_ns(timestamp_ns: int) -> str:
    return f"{timestamp_ns // 1_000_000_000}.{timestamp_ns % 1_000_000_000:09d}"


@dataclass
class Problems:
    """Counts of skipped messages by kind, and the first `show` of them in words."""

    show: int = 20
    echo: Callable[[str], None] = _echo
    counts: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def add(self, kind: str, topic: str, timestamp_ns: int, reason: str) -> None:
        self.counts[kind] += 1
        text = f"{kind}: {topic} at {format_ns(timestamp_ns)}: {reason}"
        if len(self.messages) < self.show:
            self.messages.append(text)
            self.echo(f"warning: {text} (skipped)")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return "none"
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
