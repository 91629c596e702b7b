"""`bag decompress`: turn CompressedRGBIR topics back into two sensor_msgs/Image topics.

Images get their original stamps, frame_ids and encodings (carried in the message) and the log
time of the compressed message; the topic names are the ones `bag compress` recorded in the bag's
custom_data. Rows are written packed and little-endian. Every other topic is copied untouched.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..codecs.base import PairCodec
from ..codecs.stream_decoder import StreamDecoder
from ..container.message import from_message
from ..errors import DecodeError
from ..frame import ImagePair
from ..imagemsg import array_to_image
from . import bagio
from .reorder import OrderedOutput
from .reporting import Problems, progress_bar
from .safety import staged_output, tree_size
from .types import COMPRESSED_TYPE, IMAGE_TYPE, image_classes
from .workers import OrderedPool


@dataclass
class DecompressOptions:
    topics: list[str] | None = None  # compressed topics to restore; None: all of them
    rgb_topic: str | None = None  # override the recorded names (one compressed topic only)
    ir_topic: str | None = None
    storage: str = "sqlite3"
    force: bool = False
    progress: bool = True
    jobs: int = 1
    device: str = "auto"


@dataclass
class DecompressReport:
    input_bytes: int = 0
    output_bytes: int = 0
    pairs: int = 0
    copied: int = 0
    codecs: Counter = field(default_factory=Counter)
    topics: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    seconds: float = 0.0

    def summary(self) -> str:
        names = "; ".join(f"{c} -> {r}, {i}" for c, (r, i) in self.topics.items())
        return "\n".join([
            f"size: {self.input_bytes / 1e6:.2f} MB -> {self.output_bytes / 1e6:.2f} MB",
            f"pairs restored: {self.pairs} ({names}); codecs: "
            + (", ".join(f"{k} x{v}" for k, v in self.codecs.items()) or "-"),
            f"other messages copied: {self.copied}; skipped messages: {self.problems.summary()}",
            f"time: {self.seconds:.1f} s",
        ])


@dataclass
class _Job:
    log_time: int
    topic: str
    codec: str


def _decode(codec: PairCodec, cp: Any) -> ImagePair:
    return codec.decode(cp)


class _Decompressor(bagio.PassThrough):
    def __init__(self, opts: DecompressOptions, reader: Any, writer: Any, report: DecompressReport) -> None:
        self.opts = opts
        self.reader = reader
        self.writer = writer
        self.report = report
        self.store = bagio.output_store(reader)
        self.copier = bagio.TopicCopier(reader, writer, self.store)
        self.convert = self.copier.converter()
        compressed = sorted({c.topic for c in reader.connections if c.msgtype == COMPRESSED_TYPE})
        wanted = opts.topics if opts.topics is not None else compressed
        if missing := [t for t in wanted if t not in compressed]:
            raise ValueError(f"no CompressedRGBIR topic {missing}; the bag has: {compressed or 'none'}")
        if not wanted:
            raise ValueError("the bag has no CompressedRGBIR topic")
        if (opts.rgb_topic or opts.ir_topic) and len(wanted) != 1:
            raise ValueError("--rgb-topic/--ir-topic need exactly one compressed topic (use --topic)")
        record = bagio.tool_record(reader).get("compressed_topics", {})
        self.outputs: dict[str, tuple[Any, Any]] = {}
        for topic in wanted:
            names = record.get(topic, {})
            rgb = opts.rgb_topic or names.get("rgb_topic") or f"{topic}/rgb"
            ir = opts.ir_topic or names.get("ir_topic") or f"{topic}/ir"
            # each image topic gets the QoS it had before `bag compress` (recorded there); bags
            # from before that record get the compressed topic's
            fallback = bagio.qos_of(next(c for c in reader.connections if c.topic == topic))
            recorded = names.get("qos", {}) if isinstance(names.get("qos"), dict) else {}
            self.outputs[topic] = tuple(
                writer.add_connection(name, IMAGE_TYPE, typestore=self.store,
                                      offered_qos_profiles=bagio.qos_from_record(recorded.get(role)) or fallback)
                for name, role in ((rgb, "rgb"), (ir, "ir")))
            report.topics[topic] = (rgb, ir)
        self.streams = StreamDecoder(device=opts.device)
        self.output = OrderedOutput(writer.write)
        self.pool: OrderedPool[_Job] = OrderedPool(opts.jobs)
        self.serial: OrderedPool[_Job] = OrderedPool(1)  # stream codecs: each message after the previous

    def run(self) -> None:
        bar = progress_bar(self.reader.message_count, enabled=self.opts.progress, desc="decompress")
        try:
            for conn, log_time, raw in self.reader.messages():
                if conn.topic in self.outputs and conn.msgtype == COMPRESSED_TYPE:
                    self._submit(conn, log_time, raw)
                else:
                    self._copy(conn, log_time, raw)
                held = [j.log_time for j in self.pool.pending()]
                self.output.release(min([log_time, *held]))
                bar.update()
            for outcome in self.pool.finish():
                self._store(outcome)
            self.output.release(None)
        finally:
            self.pool.close()
            bar.close()

    def _submit(self, conn: Any, log_time: int, raw: bytes) -> None:
        try:
            cp = from_message(self.reader.deserialize(raw, conn.msgtype))
        except Exception as exc:  # undecodable bytes or failed crc: reported, run goes on
            self.report.problems.add("corrupt message", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
            return
        try:
            codec = self.streams.codec_for(cp.codec)
        except DecodeError as exc:  # unknown codec, missing weights: every such message is skipped
            self.report.problems.add("no decoder", conn.topic, log_time, str(exc))
            return
        pool = self.serial if codec.stateful else self.pool
        for outcome in pool.submit(_Job(log_time, conn.topic, cp.codec), _decode, codec, cp):
            self._store(outcome)

    def _store(self, outcome: Any) -> None:
        job: _Job = outcome.meta
        if outcome.error is not None:
            self.report.problems.add("decode failed", job.topic, job.log_time,
                                     f"{type(outcome.error).__name__}: {outcome.error}")
            return
        pair: ImagePair = outcome.result
        rgb_conn, ir_conn = self.outputs[job.topic]
        cls = image_classes(self.store)
        rgb = array_to_image(pair.rgb, pair.rgb_encoding, pair.stamp, pair.frame_id, *cls, data_as_array=True)
        ir = array_to_image(pair.thermal, pair.thermal_encoding, pair.thermal_stamp, pair.thermal_frame_id, *cls,
                            data_as_array=True)
        self.output.put(job.log_time, rgb_conn, self.store.serialize_cdr(rgb, IMAGE_TYPE))
        self.output.put(job.log_time, ir_conn, self.store.serialize_cdr(ir, IMAGE_TYPE))
        self.report.pairs += 1
        self.report.codecs[job.codec] += 1


def decompress_bag(src: str | Path, dst: str | Path, opts: DecompressOptions) -> DecompressReport:
    """Restore the image topics of bag `src` into a new rosbag2 bag `dst`; returns the report."""
    src, dst = Path(src), Path(dst)
    started = time.monotonic()
    report = DecompressReport(input_bytes=tree_size(src))
    with bagio.open_reader(src) as reader, staged_output(dst, force=opts.force, src=src) as target:
        with bagio.open_writer(target, opts.storage) as writer:
            for key, value in bagio.custom_data(reader).items():
                writer.set_custom_data(key, value)
            _Decompressor(opts, reader, writer, report).run()
    report.output_bytes = tree_size(dst)
    report.seconds = time.monotonic() - started
    return report
