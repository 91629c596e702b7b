"""`bag extract`: synchronised pairs as PNG files plus the manifest CSV that training and eval read.

Layout (the one of the shared data set): OUTDIR/manifest.csv with columns
split,source,stem,rgb,ir,width,height,rgb_mode,ir_mode and paths relative to OUTDIR
(`rgb/<stem>.png`, `ir/<stem>.png`). The stem is the colour stamp, `<sec>_<nanosec>`.

Pairs come either from two Image topics (paired by stamp, as `compress` does) or from a
CompressedRGBIR topic (decoded; with `every` or `start_s`, only what the wanted pairs need: a
stream codec's from the nearest key frame before each, see seek.py). mono16 thermal is written as
8-bit by default, stretched per frame exactly as the codecs see it (the loaders read thermal as
8-bit "L"); `thermal_16bit` keeps the raw counts in 16-bit PNGs instead.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image

from .. import encodings as enc
from ..codecs import thermal16
from ..codecs.stream_decoder import StreamDecoder
from ..container.message import from_message
from ..frame import ImagePair
from ..imagemsg import image_to_array, stamp_of
from . import bagio
from .pairing import Paired, StampPairer
from .reporting import Problems, progress_bar
from .safety import staged_output
from ..errors import UndecodablePair
from .seek import KeyFrameSeek
from .types import COMPRESSED_TYPE, IMAGE_TYPE
from .workers import OrderedPool

MANIFEST_COLUMNS = ("split", "source", "stem", "rgb", "ir", "width", "height", "rgb_mode", "ir_mode")
ALLOWED = {"rgb": enc.COLOUR_ENCODINGS, "ir": enc.THERMAL_ENCODINGS}


@dataclass
class ExtractOptions:
    rgb_topic: str | None = None
    ir_topic: str | None = None
    compressed_topic: str | None = None  # used when the image topics are not given
    split: str = "train"
    source: str | None = None  # default: the bag's name
    every: int = 1  # keep every Nth pair (consecutive frames are near-duplicates)
    start_s: float = 0.0  # skip pairs logged in the bag's first start_s seconds
    thermal_16bit: bool = False
    slop_s: float = 0.05
    max_lag_s: float = 1.0
    force: bool = False
    progress: bool = True
    jobs: int = 1
    device: str = "auto"


@dataclass
class ExtractReport:
    pairs: int = 0
    unpaired: int = 0
    decoded_between: int = 0  # stream messages decoded only to reach a wanted pair (not written)
    problems: Problems = field(default_factory=Problems)
    manifest: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        between = (f"; decoded to reach them from a key frame (not written): {self.decoded_between}"
                   if self.decoded_between else "")
        return (f"pairs written: {self.pairs}{between}; unpaired frames: {self.unpaired}; skipped messages: "
                f"{self.problems.summary()}\nmanifest: {self.manifest}\ntime: {self.seconds:.1f} s")


def _png_arrays(pair: ImagePair, thermal_16bit: bool) -> tuple[np.ndarray, np.ndarray, str]:
    rgb = np.ascontiguousarray(enc.colour_to_rgb(pair.rgb, pair.rgb_encoding))
    ir = pair.thermal
    if ir.dtype == np.uint16 and not thermal_16bit:
        ir = thermal16.to_8bit(ir)[0]
    return rgb, ir, ("I;16" if ir.dtype == np.uint16 else "L")


def _write_pair(root: Path, stem: str, pair: ImagePair, thermal_16bit: bool) -> dict[str, Any]:
    rgb, ir, ir_mode = _png_arrays(pair, thermal_16bit)
    rel_rgb, rel_ir = f"rgb/{stem}.png", f"ir/{stem}.png"
    Image.fromarray(rgb, "RGB").save(root / rel_rgb, compress_level=3)
    Image.fromarray(ir).save(root / rel_ir, compress_level=3)
    return {"stem": stem, "rgb": rel_rgb, "ir": rel_ir, "width": rgb.shape[1], "height": rgb.shape[0],
            "rgb_mode": "RGB", "ir_mode": ir_mode}


class _Extractor:
    def __init__(self, opts: ExtractOptions, reader: Any, root: Path, report: ExtractReport) -> None:
        self.opts = opts
        self.reader = reader
        self.root = root
        self.report = report
        self.start_ns = reader.start_time + int(opts.start_s * 1e9) if reader.message_count else 0
        self.seek = KeyFrameSeek(StreamDecoder(device=opts.device), opts.every, self.start_ns)
        if opts.rgb_topic or opts.ir_topic:
            if not (opts.rgb_topic and opts.ir_topic):
                raise ValueError("give both --rgb-topic and --ir-topic (or a compressed topic)")
            bagio.find_connections(reader, opts.rgb_topic, IMAGE_TYPE)
            bagio.find_connections(reader, opts.ir_topic, IMAGE_TYPE)
            self.roles = {opts.rgb_topic: "rgb", opts.ir_topic: "ir"}
            self.compressed = None
        else:
            topics = sorted({c.topic for c in reader.connections if c.msgtype == COMPRESSED_TYPE})
            topic = opts.compressed_topic or (topics[0] if len(topics) == 1 else None)
            if topic is None or topic not in topics:
                raise ValueError("give --rgb-topic and --ir-topic, or --compressed-topic; "
                                 f"CompressedRGBIR topics in the bag: {topics or 'none'}")
            self.roles = {}
            self.compressed = topic
        self.pairer: StampPairer[tuple[int, str, Any]] = StampPairer(
            int(opts.slop_s * 1e9), max_lag_ns=int(opts.max_lag_s * 1e9))
        self.pool: OrderedPool[tuple[int, str]] = OrderedPool(opts.jobs)
        self.rows: list[dict[str, Any]] = []
        self.stems: set[str] = set()
        self.seen = 0

    def run(self) -> None:
        (self.root / "rgb").mkdir(parents=True)
        (self.root / "ir").mkdir()
        bar = progress_bar(self.reader.message_count, enabled=self.opts.progress, desc="extract")
        wanted = [c for c in self.reader.connections if c.topic in self.roles or c.topic == self.compressed]
        try:
            for conn, log_time, raw in self.reader.messages(connections=wanted):
                for pair in self._pairs(conn, log_time, raw):
                    self._submit(pair, conn.topic, log_time)
                bar.update()
            for event in self.pairer.flush():
                self._submit_event(event)
            for outcome in self.pool.finish():
                self._collect(outcome)
            self.report.decoded_between = self.seek.decoded_between
        finally:
            self.pool.close()
            bar.close()
        source = self.opts.source or Path(self.reader.paths[0]).stem
        with open(self.root / "manifest.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({"split": self.opts.split, "source": source, **row})

    def _pairs(self, conn: Any, log_time: int, raw: bytes) -> Iterator[ImagePair]:
        try:
            msg = self.reader.deserialize(raw, conn.msgtype)
            if conn.topic == self.compressed:
                pair = self.seek.push(from_message(msg), log_time)
                if pair is not None:
                    self._write(pair, conn.topic, log_time)
                return
            role = self.roles[conn.topic]
            item = (log_time, str(msg.encoding), image_to_array(msg, ALLOWED[role], copy=True), stamp_of(msg),
                    str(msg.header.frame_id))
        except UndecodablePair as exc:  # a wanted pair the bag cannot give back: said, never written wrong
            self.report.problems.add("pair not decodable", conn.topic, log_time, str(exc))
            return
        except Exception as exc:  # corrupt or undecodable input: counted, run goes on
            self.report.problems.add("skipped message", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
            return
        for event in self.pairer.push(role, item[3].ns, item):
            pair = self._event_pair(event)
            if pair is not None:
                yield pair

    def _event_pair(self, event: Any) -> ImagePair | None:
        if not isinstance(event, Paired):
            self.report.unpaired += 1
            return None
        (_, renc, rgb, rstamp, rframe), (_, tenc, ir, tstamp, tframe) = event.rgb.item, event.ir.item
        return ImagePair(rgb=rgb, thermal=ir, rgb_encoding=renc, thermal_encoding=tenc, stamp=rstamp,
                         frame_id=rframe, thermal_stamp=tstamp, thermal_frame_id=tframe)

    def _submit_event(self, event: Any) -> None:
        pair = self._event_pair(event)
        if pair is not None:
            self._submit(pair, self.opts.rgb_topic or "", event.rgb.item[0])

    def _submit(self, pair: ImagePair, topic: str, log_time: int) -> None:
        """A pair from the image topics: written when it is one of the wanted ones."""
        if log_time < self.start_ns:
            return
        self.seen += 1
        if (self.seen - 1) % max(1, self.opts.every):
            return
        self._write(pair, topic, log_time)

    def _write(self, pair: ImagePair, topic: str, log_time: int) -> None:
        stem = f"{pair.stamp.sec}_{pair.stamp.nanosec:09d}"
        while stem in self.stems:  # two pairs with one stamp: keep both
            stem += "b"
        self.stems.add(stem)
        for outcome in self.pool.submit((log_time, topic), _write_pair, self.root, stem, pair,
                                        self.opts.thermal_16bit):
            self._collect(outcome)

    def _collect(self, outcome: Any) -> None:
        if outcome.error is not None:
            log_time, topic = outcome.meta
            self.report.problems.add("write failed", topic, log_time, str(outcome.error))
            return
        self.rows.append(outcome.result)
        self.report.pairs += 1


def extract_bag(src: str | Path, outdir: str | Path, opts: ExtractOptions) -> ExtractReport:
    """Write the pairs of bag `src` and a manifest into the new folder `outdir`."""
    src, outdir = Path(src), Path(outdir)
    started = time.monotonic()
    report = ExtractReport()
    with bagio.open_reader(src) as reader, staged_output(outdir, force=opts.force, src=src) as target:
        _Extractor(opts, reader, target, report).run()
    report.manifest = outdir.absolute() / "manifest.csv"
    report.seconds = time.monotonic() - started
    return report
