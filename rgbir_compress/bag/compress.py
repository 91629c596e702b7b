"""`bag compress`: pair two image topics by stamp and replace them by CompressedRGBIR messages.

One pass over the input in log-time order; frames wait only in the pairer's small window and
at most `2 * jobs` pairs are being coded at a time, so memory does not grow with the bag.
Every other topic is copied byte for byte with its timestamps, definition and QoS.

mono16 thermal is logged data: unless `thermal_max_error` is given, a bag whose thermal topic is
mono16 (its first message says) is compressed with exact counts (0, a radiometric stream), never
silently through the 8-bit window (-1 asks for that). With `target_kbps`, such thermal is not
rate-controlled (the quality steers the colour; the report says so).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag2.metadata import dump_qos_v9

from .. import encodings as enc
from ..codecs import CompressedPair, PairCodec, thermal_precision
from ..codecs.factory import default_codec_name, open_codec
from ..codecs.rate_control import RateControlledQuality
from ..container.message import to_message
from ..errors import CorruptImage, EncodeError
from ..frame import ImagePair, Stamp
from ..imagemsg import image_to_array, stamp_of
from ..metrics import pair_psnr
from . import bagio
from .pairing import Paired, StampPairer, Unpaired
from .reorder import OrderedOutput
from .reporting import Problems, progress_bar
from .safety import staged_output, tree_size
from .types import COMPRESSED_TYPE, HEADER_TYPE, IMAGE_TYPE, TIME_TYPE, classes
from .workers import OrderedPool

ALLOWED = {"rgb": enc.COLOUR_ENCODINGS, "ir": enc.THERMAL_ENCODINGS}


@dataclass
class CompressOptions:
    rgb_topic: str
    ir_topic: str
    out_topic: str = "/rgbir/compressed"
    codec: str | None = None  # None: the default, auto (codecs/defaults.py)
    quality: float = 0.5
    target_kbps: float | None = None
    slop_s: float = 0.05
    max_lag_s: float = 1.0
    storage: str = "sqlite3"
    force: bool = False
    progress: bool = True
    jobs: int = 1
    batch: int = 0  # pairs per network pass (same size, same quality); 0: 4 on a GPU, else 1
    psnr_every: int = 10  # decode every Nth pair to report PSNR (0: never)
    device: str = "auto"
    key_interval_s: float = 2.0  # stream codecs: key frames (random access points) at this interval of stamps
    rate_hz: float = 10.0  # stream codecs: frames per second the key interval is counted in
    thermal_max_error: int | None = None  # mono16: None = 0 (lossless) for a mono16 thermal topic; -1 = 8-bit window


GPU_BATCH = 4  # pairs per pass when the codec runs on CUDA and --batch is not given


@dataclass
class CompressReport:
    input_bytes: int = 0
    output_bytes: int = 0
    pairs: int = 0
    unpaired: dict[str, int] = field(default_factory=lambda: {"rgb": 0, "ir": 0})
    copied: int = 0
    compressed_bytes: int = 0
    codec: str = ""
    model_id: str = ""
    qualities: list[float] = field(default_factory=list)
    psnr_rgb: list[float] = field(default_factory=list)
    psnr_ir: list[float] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    seconds: float = 0.0
    thermal: str = ""  # how thermal was coded (thermal_precision.describe), from the streams written
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        ratio = self.input_bytes / self.output_bytes if self.output_bytes else float("nan")
        q = f"{np.mean(self.qualities):.3f}" if self.qualities else "-"
        ps = (f"{np.mean(self.psnr_rgb):.2f} dB colour, {np.mean(self.psnr_ir):.2f} dB thermal "
              f"({len(self.psnr_rgb)} sampled pairs)") if self.psnr_rgb else "not sampled"
        return "\n".join([
            f"size: {self.input_bytes / 1e6:.2f} MB -> {self.output_bytes / 1e6:.2f} MB ({ratio:.1f}x)",
            f"pairs written: {self.pairs} ({self.codec}, {self.model_id}, mean quality {q}); "
            f"unpaired frames: {self.unpaired['rgb']} colour, {self.unpaired['ir']} thermal",
            f"other messages copied: {self.copied}; skipped messages: {self.problems.summary()}",
            f"thermal: {self.thermal or '-'}",
            f"mean PSNR: {ps}",
            f"time: {self.seconds:.1f} s",
            *(f"note: {n}" for n in self.notes),
        ])


@dataclass
class _Frame:
    log_time: int
    topic: str
    stamp: Stamp
    frame_id: str
    encoding: str
    image: np.ndarray


@dataclass
class _Job:
    log_time: int
    stamp_s: float
    topic: str
    sample: bool


def _encode(codec: PairCodec, pairs: list[ImagePair], quality: float, samples: list[bool]) -> list[tuple]:
    """-> per pair ((cp, psnrs or None), None) or (None, error). One encode_batch call; when the
    batch fails, each pair is retried alone so a bad pair costs only itself."""
    try:
        cps = codec.encode_batch(pairs, quality)
    except Exception:  # noqa: BLE001 - retried pair by pair below, which reports the cause
        cps = None
    out = []
    for i, (pair, sample) in enumerate(zip(pairs, samples)):
        try:
            cp = cps[i] if cps is not None else codec.encode(pair, quality)
            psnrs = None
            if sample or codec.stateful:  # a stream decoder follows every message, or it sees gaps
                decoded = codec.decode(cp)
                psnrs = pair_psnr(pair, decoded) if sample else None
            out.append(((cp, psnrs), None))
        except Exception as exc:  # noqa: BLE001 - reported per pair by the caller
            out.append((None, exc))
    return out


class _Compressor(bagio.PassThrough):
    def __init__(self, opts: CompressOptions, codec: PairCodec, reader: Any, writer: Any,
                 report: CompressReport) -> None:
        self.opts = opts
        self.codec = codec
        self.reader = reader
        self.report = report
        self.roles = {opts.rgb_topic: "rgb", opts.ir_topic: "ir"}
        self.store = bagio.output_store(reader)
        self.msg_classes = classes(self.store, COMPRESSED_TYPE, HEADER_TYPE, TIME_TYPE)
        self.copier = bagio.TopicCopier(reader, writer, self.store)
        self.convert = self.copier.converter()
        rgb_conn = bagio.find_connections(reader, opts.rgb_topic, IMAGE_TYPE)[0]
        bagio.find_connections(reader, opts.ir_topic, IMAGE_TYPE)
        if any(c.topic == opts.out_topic for c in reader.connections):
            raise ValueError(f"output topic {opts.out_topic!r} already exists in the input bag")
        self.out_conn = writer.add_connection(opts.out_topic, COMPRESSED_TYPE, typestore=self.store,
                                              offered_qos_profiles=bagio.qos_of(rgb_conn))
        self.output = OrderedOutput(writer.write)
        self.pairer: StampPairer[_Frame] = StampPairer(
            int(opts.slop_s * 1e9), max_lag_ns=int(opts.max_lag_s * 1e9))
        # a stream codec predicts each pair from the previous one: in order, one at a time
        self.pool: OrderedPool[list[_Job]] = OrderedPool(1 if codec.stateful else opts.jobs)
        self.held: list[tuple[_Job, ImagePair, float]] = []  # the batch being gathered
        self.batch = opts.batch or 1  # set per image size: a codec says whether it batches
        self.sizes: set[tuple[int, int]] = set()
        # target_kbps: a stream codec's own bitrate control where it has one, else the quality controller
        own = bool(opts.target_kbps) and codec.set_target_kbps(opts.target_kbps)
        self.rate = RateControlledQuality(opts.quality, 0.0 if own else opts.target_kbps or 0.0)
        self.submitted = 0

    def run(self) -> None:
        bar = progress_bar(self.reader.message_count, enabled=self.opts.progress, desc="compress")
        try:
            for conn, log_time, raw in self.reader.messages():
                role = self.roles.get(conn.topic)
                if role is None:
                    self._copy(conn, log_time, raw)
                elif (frame := self._read(conn, log_time, raw, role)) is not None:
                    for event in self.pairer.push(role, frame.stamp.ns, frame):
                        self._handle(event)
                self.output.release(self._bound(log_time))
                bar.update()
            for event in self.pairer.flush():
                self._handle(event)
            self._submit()
            self._store_all(self.pool.finish())
            self.output.release(None)
        finally:
            self.pool.close()
            bar.close()

    def _bound(self, log_time: int) -> int:
        """No message stamped before this can still be produced."""
        held = ([f.log_time for f in self.pairer.pending()] + [j.log_time for b in self.pool.pending() for j in b]
                + [j.log_time for j, _, _ in self.held])
        return min([log_time, *held])

    def _read(self, conn: Any, log_time: int, raw: bytes, role: str) -> _Frame | None:
        try:
            msg = self.reader.deserialize(raw, conn.msgtype)
            image = image_to_array(msg, ALLOWED[role], copy=True)
            return _Frame(log_time, conn.topic, stamp_of(msg), str(msg.header.frame_id), str(msg.encoding), image)
        except CorruptImage as exc:  # fields that do not describe the data
            self.report.problems.add("corrupt image", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
        except EncodeError as exc:
            self.report.problems.add("unsupported image", conn.topic, log_time, str(exc))
        except Exception as exc:  # rosbags raises several types for undecodable bytes
            self.report.problems.add("corrupt image", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
        return None

    def _handle(self, event: Paired[_Frame] | Unpaired[_Frame]) -> None:
        if isinstance(event, Unpaired):
            self.report.unpaired[event.role] += 1
            return
        rgb, ir = event.rgb.item, event.ir.item
        pair = ImagePair(rgb=rgb.image, thermal=ir.image, rgb_encoding=rgb.encoding,
                         thermal_encoding=ir.encoding, stamp=rgb.stamp, frame_id=rgb.frame_id,
                         thermal_stamp=ir.stamp, thermal_frame_id=ir.frame_id)
        every = self.opts.psnr_every
        sample = every > 0 and self.submitted % every == 0
        self.submitted += 1
        quality = self.rate.quality
        if self.held and (self.held[0][2] != quality or self.held[0][1].rgb.shape != pair.rgb.shape):
            self._submit()
        size = (pair.rgb.shape[1], pair.rgb.shape[0])
        if size not in self.sizes:  # auto chooses for this size here, before the batch size is set
            self.sizes.add(size)
            self.codec.prepare(size)
            self.batch = 1 if self.codec.stateful else self.opts.batch or (GPU_BATCH if self.codec.batches else 1)
            if self.codec.stateful and self.pool.jobs > 1:  # auto chose a stream codec: in order from here
                self._store_all(self.pool.finish())
                self.pool = OrderedPool(1)
        self.held.append((_Job(rgb.log_time, rgb.stamp.ns / 1e9, rgb.topic, sample), pair, quality))
        if len(self.held) >= self.batch:
            self._submit()

    def _submit(self) -> None:
        if not self.held:
            return
        jobs, pairs, qualities = zip(*self.held)
        self.held = []
        self._store_all(self.pool.submit(list(jobs), _encode, self.codec, list(pairs), qualities[0],
                                         [j.sample for j in jobs]))

    def _store_all(self, outcomes: list) -> None:
        for outcome in outcomes:
            results = outcome.result if outcome.error is None else [(None, outcome.error)] * len(outcome.meta)
            for job, (result, error) in zip(outcome.meta, results):
                self._store(job, result, error)

    def _store(self, job: _Job, result: Any, error: Exception | None) -> None:
        if error is not None:
            self.report.problems.add("encode failed", job.topic, job.log_time, f"{type(error).__name__}: {error}")
            return
        cp, psnrs = result
        data = self.store.serialize_cdr(to_message(cp, *self.msg_classes, data_as_arrays=True), COMPRESSED_TYPE)
        self.output.put(job.log_time, self.out_conn, data)
        rep = self.report
        rep.pairs += 1
        rep.compressed_bytes += len(data)
        rep.codec, rep.model_id = cp.codec, cp.model_id
        rep.thermal = thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error)
        rep.qualities.append(cp.quality)
        if psnrs is not None:
            rep.psnr_rgb.append(psnrs[0])
            rep.psnr_ir.append(psnrs[1])
        # payload bytes, as the encoder node counts them (ByteCount); the interval from message stamps
        self.rate.sent(cp.byte_count().total, job.stamp_s)


def _first_encoding(reader: Any, topic: str) -> str | None:
    """The encoding of the first message on `topic` (None when it has none or does not parse)."""
    for conn, _, raw in reader.messages(connections=bagio.find_connections(reader, topic, IMAGE_TYPE)):
        try:
            return str(reader.deserialize(raw, conn.msgtype).encoding)
        except Exception:  # noqa: BLE001 - a corrupt first frame: the caller's default stands
            return None
    return None


def compress_bag(src: str | Path, dst: str | Path, opts: CompressOptions,
                 codec: PairCodec | None = None) -> CompressReport:
    """Compress bag `src` into a new rosbag2 bag `dst` (see module doc); returns the report. A given
    `codec` gets `opts.thermal_max_error` (or the mono16 default) like an opened one."""
    src, dst = Path(src), Path(dst)
    started = time.monotonic()
    report = CompressReport(input_bytes=tree_size(src))
    with bagio.open_reader(src) as reader, staged_output(dst, force=opts.force, src=src) as target:
        mono16 = _first_encoding(reader, opts.ir_topic) == "mono16"
        max_error = opts.thermal_max_error
        if max_error is None and mono16:
            max_error = 0  # logged radiometry is kept unless the caller asks otherwise
        if codec is None:
            codec = open_codec(opts.codec or default_codec_name(), device=opts.device, thermal_max_error=max_error,
                               key_interval_s=opts.key_interval_s, rate_hz=opts.rate_hz)
        elif max_error is not None:
            codec.set_thermal_max_error(max_error)
        if mono16 and codec.thermal_max_error >= 0 and not codec.codes_colour_alone:
            raise ValueError(f"{thermal_precision.refuse(codec.name)}: pass --thermal-max-error -1 to compress "
                             f"this mono16 bag with {codec.name!r}")
        if mono16 and opts.target_kbps and codec.thermal_max_error >= 0:
            report.notes.append(f"--target-kbps steers the colour quality only: mono16 thermal "
                                f"(thermal_max_error {codec.thermal_max_error}) is not rate-controlled")
        with bagio.open_writer(target, opts.storage) as writer:
            for key, value in bagio.custom_data(reader).items():
                writer.set_custom_data(key, value)
            worker = _Compressor(opts, codec, reader, writer, report)
            worker.run()
            # what ran, from the streams written (auto chooses at the first pair of each size)
            record = bagio.tool_record(reader)
            record.setdefault("compressed_topics", {})[opts.out_topic] = {
                "rgb_topic": opts.rgb_topic, "ir_topic": opts.ir_topic,
                "codec": report.codec, "model_id": report.model_id,
                "qos": {role: dump_qos_v9(bagio.qos_of(bagio.find_connections(reader, topic, IMAGE_TYPE)[0]))
                        for role, topic in (("rgb", opts.rgb_topic), ("ir", opts.ir_topic))},
            }
            writer.set_custom_data(bagio.CUSTOM_KEY, json.dumps(record, sort_keys=True))
    report.output_bytes = tree_size(dst)
    report.seconds = time.monotonic() - started
    return report
