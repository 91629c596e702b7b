"""`bag info`: what is in a bag, and for CompressedRGBIR topics how it was coded.

Reads every message once (sizes are measured, not estimated). Compressed messages are parsed and
checked (crc32) but not decoded, so this is fast even for learned codecs.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..codecs import thermal_precision
from ..codecs.base import ByteCount
from ..container.message import from_message
from . import bagio
from .reporting import Problems, format_ns, progress_bar
from .safety import tree_size
from .types import COMPRESSED_TYPE


@dataclass
class TopicStats:
    topic: str
    msgtype: str
    count: int = 0
    bytes: int = 0
    first_ns: int | None = None
    last_ns: int | None = None

    @property
    def kbps(self) -> float | None:
        """Average bitrate between the first and the last message."""
        if self.first_ns is None or self.last_ns is None or self.count < 2 or self.last_ns <= self.first_ns:
            return None
        # n messages span n-1 intervals: count the bytes of n-1 of them
        return self.bytes * (self.count - 1) / self.count * 8 / ((self.last_ns - self.first_ns) / 1e9) / 1000


@dataclass
class CodingStats:
    codecs: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    quality_min: float = 1.0
    quality_max: float = 0.0
    quality_sum: float = 0.0
    pairs: int = 0
    rgb_bytes: int = 0
    ir_bytes: int = 0
    rgb_pixels: int = 0
    ir_pixels: int = 0
    encodings: Counter = field(default_factory=Counter)
    thermal: Counter = field(default_factory=Counter)  # thermal_precision.describe -> pairs
    key_frames: int = 0
    key_bytes: int = 0
    streams: set = field(default_factory=set)
    seq_gaps: int = 0
    _next: dict = field(default_factory=dict)  # stream_id -> the seq that should come next

    def add(self, cp: Any) -> None:
        self.pairs += 1
        self.streams.add(cp.stream_id)
        if self._next.get(cp.stream_id, cp.seq) != cp.seq:
            self.seq_gaps += 1
        self._next[cp.stream_id] = (cp.seq + 1) & 0xFFFFFFFF
        if cp.key_frame:
            self.key_frames += 1
            self.key_bytes += ByteCount.of(cp).total
        self.codecs[cp.codec] += 1
        self.models[cp.model_id] += 1
        self.quality_min = min(self.quality_min, cp.quality)
        self.quality_max = max(self.quality_max, cp.quality)
        self.quality_sum += cp.quality
        counted = ByteCount.of(cp)
        self.rgb_bytes += counted.rgb
        self.ir_bytes += counted.thermal
        self.rgb_pixels += cp.rgb_height * cp.rgb_width
        self.ir_pixels += cp.thermal_height * cp.thermal_width
        self.thermal[thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error)] += 1
        self.encodings[f"{cp.rgb_encoding}+{cp.thermal_encoding} {cp.rgb_width}x{cp.rgb_height}"
                       f"/{cp.thermal_width}x{cp.thermal_height}"] += 1

    @property
    def bpp(self) -> tuple[float, float]:
        """Bits per pixel of the colour and thermal payloads (ByteCount: affine coefficients count as thermal)."""
        return (8 * self.rgb_bytes / max(1, self.rgb_pixels), 8 * self.ir_bytes / max(1, self.ir_pixels))


@dataclass
class BagInfo:
    path: str
    size_bytes: int
    message_count: int
    start_ns: int
    duration_ns: int
    topics: list[TopicStats]
    coding: dict[str, CodingStats]
    recorded: dict[str, Any]
    problems: Problems

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("problems", "topics", "coding")}
        d["topics"] = [dict(asdict(t), kbps=t.kbps) for t in self.topics]
        d["coding"] = {k: dict({n: v for n, v in vars(c).items() if not n.startswith("_")}, codecs=dict(c.codecs),
                               models=dict(c.models), encodings=dict(c.encodings), thermal=dict(c.thermal), streams=len(c.streams),
                               bpp_rgb=c.bpp[0], bpp_ir=c.bpp[1]) for k, c in self.coding.items()}
        d["skipped"] = dict(self.problems.counts)
        return d


def bag_info(path: str | Path, *, progress: bool = False) -> BagInfo:
    path = Path(path)
    problems = Problems()
    with bagio.open_reader(path) as reader:
        stats = {(c.topic, c.msgtype): TopicStats(c.topic, c.msgtype) for c in reader.connections}
        coding: dict[str, CodingStats] = {}
        bar = progress_bar(reader.message_count, enabled=progress, desc="info")
        for conn, log_time, raw in reader.messages():
            st = stats[(conn.topic, conn.msgtype)]
            st.count += 1
            st.bytes += len(raw)
            st.first_ns = log_time if st.first_ns is None else min(st.first_ns, log_time)
            st.last_ns = log_time if st.last_ns is None else max(st.last_ns, log_time)
            if conn.msgtype == COMPRESSED_TYPE:
                try:
                    cp = from_message(reader.deserialize(raw, conn.msgtype))
                except Exception as exc:  # counted and reported, never fatal
                    problems.add("corrupt message", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
                else:
                    coding.setdefault(conn.topic, CodingStats()).add(cp)
            bar.update()
        bar.close()
        return BagInfo(
            path=str(path), size_bytes=tree_size(path), message_count=reader.message_count,
            start_ns=reader.start_time if reader.message_count else 0,
            duration_ns=reader.duration if reader.message_count else 0,
            topics=sorted(stats.values(), key=lambda t: t.topic), coding=coding,
            recorded=bagio.tool_record(reader), problems=problems,
        )


def format_info(info: BagInfo) -> str:
    lines = [
        f"bag:       {info.path}",
        f"size:      {info.size_bytes / 1e6:.2f} MB, {info.message_count} messages",
        f"start:     {format_ns(info.start_ns)}  duration: {info.duration_ns / 1e9:.3f} s",
        "",
        f"{'topic':<32} {'type':<40} {'count':>7} {'MB':>9} {'kbit/s':>10}",
    ]
    for t in info.topics:
        kbps = f"{t.kbps:.1f}" if t.kbps is not None else "-"
        lines.append(f"{t.topic:<32} {t.msgtype:<40} {t.count:>7} {t.bytes / 1e6:>9.3f} {kbps:>10}")
    for topic, c in info.coding.items():
        names = info.recorded.get("compressed_topics", {}).get(topic, {})
        lines += [
            "",
            f"{topic}: {c.pairs} pairs"
            + (f" from {names['rgb_topic']} + {names['ir_topic']}" if names else ""),
            "  codecs:    " + ", ".join(f"{k} x{v}" for k, v in c.codecs.items()),
            "  models:    " + ", ".join(f"{k} x{v}" for k, v in c.models.items()),
            f"  quality:   {c.quality_min:.3f} .. {c.quality_max:.3f} (mean {c.quality_sum / c.pairs:.3f})",
            f"  payload:   colour {c.bpp[0]:.3f} bpp, thermal {c.bpp[1]:.3f} bpp; "
            f"{(c.rgb_bytes + c.ir_bytes) / c.pairs / 1e3:.1f} kB per pair",
            "  images:    " + ", ".join(f"{k} x{v}" for k, v in c.encodings.items()),
            "  thermal:   " + ", ".join(f"{k} x{v}" for k, v in c.thermal.items()),
            f"  key frames: {c.key_frames} of {c.pairs} (every {c.pairs / max(c.key_frames, 1):.1f} pairs on "
            f"average, {c.key_bytes / max(c.key_frames, 1) / 1e3:.1f} kB each); {len(c.streams)} stream(s); "
            f"{c.seq_gaps} gap(s) in seq",
        ]
    if info.problems.counts:
        lines += ["", f"skipped: {info.problems.summary()}"]
    return "\n".join(lines)
