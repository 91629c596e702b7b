"""`codec: auto`: the best-compressing codec that keeps the frame rate on the machine it runs on.

Every codec that can run here, classical and learned alike, is ranked by its measured
rate-distortion (rd_table.json, written by `rgbir-compress rd-table` from eval results); in that
order auto times each on a frame of the synthetic scene at the image size, on this machine and
device, and takes the first whose encode + decode fits HEADROOM of the frame period. So a learned
codec runs only where its measured RD beats the best classical codec that keeps the rate, GPU or
not. When nothing fits, it runs the fastest and says loudly that it cannot keep up: a robot never
silently runs a codec that drops most pairs. `choose()` is pure apart from the `measure` it is
given (tests feed it fake tables and timers); `AutoCodec` is the registered codec that applies it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .base import CompressedPair, PairCodec, Streams
from .defaults import FALLBACK_CODEC
from .rd_table import RDTable, load_table
from .registry import get_class, names
from .stream_decoder import StreamDecoder

#: Share of the frame period one pair's encode + decode may take: the encoder and the decoder
#: may share the cores, and ROS conversion, DDS and other jobs need the rest.
HEADROOM = 0.5
DEFAULT_RATE_HZ = 10.0
DEFAULT_SIZE = (640, 512)  # (width, height) chosen for at start, before the first pair arrives
CALIBRATION_RUNS = 3
#: A first run (or a small-frame estimate) this many times over budget rejects a codec outright.
HOPELESS = 3.0
#: Side ratio of the small frame a codec is first tried on.
PROBE_SHRINK = 4


def _warn_only(level: str, text: str) -> None:
    """Default log outside the node (bag compress, CLI): a choice that cannot keep up is a warning."""
    if level == "warning":
        import warnings

        warnings.warn(text, stacklevel=3)


@dataclass(frozen=True)
class Choice:
    codec: str
    reason: str
    keeps_up: bool
    measured_ms: float | None = None  # encode + decode of one pair here


def choose(*, rate_hz: float, size: tuple[int, int], table: RDTable, runnable: Sequence[str],
           measure: Callable[[str, tuple[int, int], float], float | None],
           headroom: float = HEADROOM, fallback: str = FALLBACK_CODEC) -> Choice:
    """The codec auto runs for pairs of `size` = (width, height) at `rate_hz`.

    `runnable`: codec names that can run here; `measure(name, size, budget_ms)` gives encode +
    decode ms of one pair here, or None when that codec cannot be used after all (its weights are
    not the measured ones). Candidates are timed best RD first, and timing stops at the first fit.
    """
    w, h = size
    budget = headroom * 1000.0 / rate_hz
    ref = table.reference
    rejected: list[str] = []
    timed: dict[str, float] = {}
    for entry in table.ranked():
        if entry.codec not in runnable:
            continue
        ms = measure(entry.codec, size, budget)
        if ms is None:
            rejected.append(f"{entry.codec} (not the measured weights)")
            continue
        timed[entry.codec] = ms
        if ms > budget:
            rejected.append(f"{entry.codec} {ms:.0f} ms")
            continue
        skipped = f"; better but too slow here: {', '.join(rejected)}" if rejected else ""
        return Choice(entry.codec,
                      f"{entry.codec} is the best measured rate-distortion ({entry.describe(ref)}; "
                      f"{entry.basis or table.source or 'rd_table.json'}) that keeps {rate_hz:g} Hz at {w}x{h} here: "
                      f"encode + decode {ms:.0f} ms per pair, budget {budget:.0f} ms "
                      f"({headroom:.0%} of the frame period){skipped}", True, ms)
    if not timed:
        return Choice(fallback, f"no codec of the RD table runs here ({', '.join(rejected) or 'empty table'}): "
                                f"running {fallback}", False)
    fastest = min(timed, key=timed.__getitem__)
    return Choice(fastest,
                  f"NO codec keeps {rate_hz:g} Hz at {w}x{h} on this machine (budget {budget:.0f} ms per pair; "
                  f"{', '.join(rejected)}): running the fastest, {fastest} ({timed[fastest]:.0f} ms); "
                  f"expect dropped pairs, lower the frame rate or the image size", False, timed[fastest])


def _codes_colour_alone(name: str) -> bool:
    try:
        return bool(get_class(name).codes_colour_alone)
    except Exception:  # noqa: BLE001 - its module does not import here: not runnable either
        return False


def _stateful(name: str) -> bool:
    from .catalog import stream_codecs

    return name in stream_codecs()


def _scene_pairs(size: tuple[int, int], count: int) -> list:
    """`count` consecutive frames of the synthetic (panning) scene: a video codec must be timed on
    motion, not on one frame repeated (which it codes almost for free)."""
    from ..frame import ImagePair
    from ..scene import SyntheticScene

    w, h = size
    scene = SyntheticScene(max(h, 64), max(w, 64))  # the scene needs some room
    return [ImagePair(rgb=np.ascontiguousarray(rgb[:h, :w]), thermal=np.ascontiguousarray(thermal[:h, :w]))
            for rgb, thermal in (scene.frame(i) for i in range(count))]


def _once(codec: PairCodec, pair) -> float:
    t0 = time.perf_counter()
    codec.decode(codec.encode(pair, 0.5))
    return 1e3 * (time.perf_counter() - t0)


def time_pair(codec: PairCodec, size: tuple[int, int], budget_ms: float, runs: int = CALIBRATION_RUNS) -> float:
    """Encode + decode ms of a pair of the synthetic scene at `size` with `codec` here: the minimum
    over `runs` consecutive frames after a warm-up (what the machine can do; contention is what
    HEADROOM is for).

    A codec is first tried on frames with 1/PROBE_SHRINK^2 of the pixels (plus a warm-up there): if
    that, scaled by pixel count, is HOPELESS times over budget, the estimate is the answer, so a codec
    that needs seconds per pair (a learned codec on a CPU) costs a fraction of a second to rule out."""
    w, h = size
    small = (max(16, w // PROBE_SHRINK), max(16, h // PROBE_SHRINK))
    if small != size:
        probe = _scene_pairs(small, 2)
        _once(codec, probe[0])
        estimate = _once(codec, probe[1]) * (w * h) / (small[0] * small[1])
        if estimate > HOPELESS * budget_ms:
            return estimate
    pairs = _scene_pairs(size, runs + 2)
    _once(codec, pairs[0])  # warm-up at this size (a video encoder re-opens for a new size)
    first = _once(codec, pairs[1])
    if first > HOPELESS * budget_ms:
        return first
    return min(first, *(_once(codec, p) for p in pairs[2:]))


class AutoCodec(PairCodec):
    """Chooses a codec per image size (at `prepare()` or the first pair of that size), then encodes
    with it: streams carry the chosen codec's name, so any decoder reads them. Options reach it
    through the factory like any codec's (`rate_hz`, `log(level, text)`, `table`)."""

    name = "auto"
    quality_help = ("chooses a codec: the best measured rate-distortion (rd_table.json) that keeps the frame "
                    "rate on this machine (codecs/auto.py); quality is that codec's")

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0,
                 rate_hz: float = DEFAULT_RATE_HZ, log: Callable[[str, str], None] | None = None,
                 table: RDTable | None = None, key_interval_s: float = 2.0) -> None:
        # what the chosen codec is opened with (each codec takes the options it names)
        self.options = {"device": device, "weights": weights, "threads": threads, "rate_hz": float(rate_hz),
                        "key_interval_s": float(key_interval_s)}
        self.rate_hz = float(rate_hz)
        self.key_interval_s = float(key_interval_s)
        self.log = log or _warn_only
        self.table = table if table is not None else load_table()
        self._lock = threading.Lock()
        self._by_size: dict[tuple[int, int], tuple[Choice, PairCodec]] = {}
        self._opened: dict[str, PairCodec | None] = {}
        self._decoder = StreamDecoder(opener=self._open)
        self.choice: Choice | None = None
        self.codec: PairCodec | None = None

    # -- choosing ---------------------------------------------------------------------------------
    def _open(self, name: str) -> PairCodec:
        from .factory import open_codec

        return open_codec(name, thermal_max_error=self.thermal_max_error, **self.options)

    def _runnable(self) -> list[str]:
        """Every codec but auto; with thermal_max_error >= 0 only those that can send a radiometric
        stream (code colour alone), so a mono16 frame never meets a codec that must refuse it."""
        out = [n for n in names() if n != self.name]
        if self.key_interval_s <= 0:  # every message must stand alone: a stream codec's RD does not apply
            out = [n for n in out if not _stateful(n)]
        return [n for n in out if _codes_colour_alone(n)] if self.thermal_max_error >= 0 else out

    def set_thermal_max_error(self, value: int) -> None:
        """Applies to the codecs opened so far and to later ones; a change of whether a radiometric
        stream is wanted drops the choices made (the candidates differ)."""
        wanted_before = self.thermal_max_error >= 0
        super().set_thermal_max_error(value)
        with self._lock:
            if wanted_before != (self.thermal_max_error >= 0):
                self._by_size, self._opened, self.choice, self.codec = {}, {}, None, None
            for codec in {id(c): c for c in [*self._opened.values(), *(c for _, c in self._by_size.values())]
                          if c is not None}.values():
                codec.set_thermal_max_error(self.thermal_max_error)

    @property
    def codes_colour_alone(self) -> bool:  # type: ignore[override]
        """With thermal_max_error >= 0 auto chooses only such codecs (no need to choose to know)."""
        return self.thermal_max_error >= 0 or self._current().codes_colour_alone

    def _measure(self, name: str, size: tuple[int, int], budget_ms: float) -> float | None:
        """Open (once) and time codec `name`; None when it cannot be opened here or its model is not
        the one the table measured."""
        if name not in self._opened:
            try:
                codec: PairCodec | None = self._open(name)
            except Exception:  # noqa: BLE001 - unavailable here, or weights meant for another codec
                codec = None
            entry = self.table.entries.get(name)
            if codec is not None and entry is not None and entry.model_id and entry.model_id != codec.model_id:
                codec = None
            self._opened[name] = codec
        codec = self._opened[name]
        return None if codec is None else time_pair(codec, size, budget_ms)

    def prepare(self, size: tuple[int, int] | None = None) -> None:
        self.select(size or DEFAULT_SIZE)

    def select(self, size: tuple[int, int]) -> Choice:
        """Choose (or re-use the choice) for `size` = (width, height) and make it current."""
        with self._lock:
            if size not in self._by_size:
                t0 = time.perf_counter()
                choice = choose(rate_hz=self.rate_hz, size=size, table=self.table, runnable=self._runnable(),
                                measure=self._measure)
                codec = self._opened.get(choice.codec) or self._open(choice.codec)
                codec.request_key_frame()  # timing coded scene frames: a stream starts afresh here
                self._by_size[size] = (choice, codec)
                self._opened = {c.name: c for _, c in self._by_size.values()}  # free the codecs not chosen
                self.log("info" if choice.keeps_up else "warning",
                         f"codec auto -> {choice.codec} (chosen in {time.perf_counter() - t0:.1f} s): {choice.reason}")
            self.choice, self.codec = self._by_size[size]
            return self.choice

    def _current(self) -> PairCodec:
        if self.codec is None:
            self.prepare()
        assert self.codec is not None
        return self.codec

    # -- what callers see -------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self._current().model_id

    @property
    def stateful(self) -> bool:  # type: ignore[override]
        """As the chosen codec (False before `prepare()` chose one): callers keep a stream codec's
        pairs in order, one at a time, from the choice on."""
        return self.codec is not None and self.codec.stateful

    @property
    def batches(self) -> bool:
        return self._current().batches

    def runs_on(self) -> str:
        return self._current().runs_on()

    def set_target_kbps(self, kbps: float) -> bool:
        return self._current().set_target_kbps(kbps)

    def request_key_frame(self) -> None:
        self._current().request_key_frame()

    def realtime_note(self) -> str | None:
        return None  # auto measured the choice here and logged it (a warning when nothing keeps up)

    def status(self) -> dict[str, Any]:
        """The chosen codec's status plus what auto chose and why."""
        c = self.choice
        if c is None:
            return {"codec": "auto", "auto_codec": "", "auto_reason": "not chosen yet"}
        return {**self._current().status(), "auto_codec": c.codec, "auto_keeps_up": c.keeps_up,
                "auto_reason": c.reason}

    def encode_batch(self, pairs: list, quality: float) -> list[CompressedPair]:
        """Pairs of one size share a codec; a new size is chosen for (and logged) when it first comes."""
        sizes = [(p.rgb.shape[1], p.rgb.shape[0]) for p in pairs]
        for size in dict.fromkeys(sizes):
            self.select(size)
        if len(set(sizes)) == 1:  # one network pass where the chosen codec batches
            return self._by_size[sizes[0]][1].encode_batch(pairs, quality)
        return [self._by_size[s][1].encode_batch([p], quality)[0] for s, p in zip(sizes, pairs)]

    def decode(self, cp: CompressedPair):
        """Whatever codec wrote the stream (auto never appears in a stream)."""
        return self._decoder.decode(cp)

    def encode_streams(self, rgb: np.ndarray, thermal: np.ndarray, quality: float) -> Streams:
        raise NotImplementedError("auto encodes through encode_batch, with the codec it chose")

    def decode_streams(self, streams: Streams, rgb_hw, thermal_hw, quality):
        raise NotImplementedError("auto decodes through the codec the stream names")

    def describe(self) -> str:
        return f"auto: {self.quality_help}"


__all__ = ["AutoCodec", "Choice", "HEADROOM", "choose", "time_pair"]
