"""`codec: auto`: the best codec that keeps up on the machine it runs on (issue 18).

Where CUDA runs a shipped learned codec, that codec (best rate-distortion, real time on a GPU).
Elsewhere the learned codecs manage 1-2 pairs per second, so auto takes the classical codec with
the best measured rate-distortion (speed_table.py) whose encode + decode time, scaled to the
image size, fits in HEADROOM of the frame period, and confirms it with a short calibration on a
synthetic pair of that size on this machine (a table measured elsewhere must not decide alone).
When nothing fits, it runs the fastest codec and says loudly that it cannot keep up: a robot
never silently runs a codec that drops most pairs. `choose()` is pure (tests feed it a fake
table, CUDA flag and timer); `AutoCodec` is the registered codec that applies it.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import DecodeError
from . import speed_table
from .base import CompressedPair, PairCodec, Streams
from .registry import create, get_class

#: Share of the frame period one pair's encode + decode may take: the encoder and the decoder
#: may share the cores (the demo and this project's 2-core machine do), and ROS conversion,
#: DDS and other jobs need the rest.
HEADROOM = 0.5
DEFAULT_RATE_HZ = 10.0
CALIBRATION_RUNS = 3


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
    predicted_ms: float | None = None  # table ms scaled to the size (None for a learned choice)
    measured_ms: float | None = None   # calibration on this machine
    options: dict[str, Any] = field(default_factory=dict)


def _fmt_bd(e: speed_table.Entry) -> str:
    return f"BD-rate vs JPEG colour {e.bd_rgb:+.1f} %, thermal {e.bd_thermal:+.1f} % on val/m3fd"


def choose(*, cuda: bool, rate_hz: float, size: tuple[int, int],
           table: Sequence[speed_table.Entry] = speed_table.CPU,
           learned: Sequence[str] = speed_table.LEARNED,
           learned_available: Callable[[str], bool] = lambda name: True,
           measure: Callable[[str, tuple[int, int]], float] | None = None,
           headroom: float = HEADROOM,
           reference_size: tuple[int, int] = speed_table.REFERENCE_SIZE) -> Choice:
    """The codec auto runs: (name, reason, whether it keeps up). Pure apart from `measure`
    (encode + decode ms of one pair of `size` with that codec on this machine), which is only
    called for candidates the table already says fit."""
    w, h = size
    if cuda:
        for name in learned:
            if learned_available(name):
                return Choice(name, f"CUDA device present: {name}, the best shipped learned codec "
                                    f"(real time on a GPU; docs/realtime.md)", True)
    budget = headroom * 1000.0 / rate_hz
    scale = (w * h) / (reference_size[0] * reference_size[1])
    why_not_cuda = "no CUDA device" if not cuda else "CUDA present but no learned codec loads"
    rejected: list[str] = []
    for entry in sorted(table, key=lambda e: (e.rd_score, e.pair_ms)):
        predicted = entry.pair_ms * scale
        if predicted > budget:
            rejected.append(f"{entry.codec} {predicted:.0f} ms (table)")
            continue
        measured = measure(entry.codec, size) if measure is not None else None
        if measured is not None and measured > budget:
            rejected.append(f"{entry.codec} {measured:.0f} ms (measured here)")
            continue
        took = f"{measured:.0f} ms measured here, {predicted:.0f} ms in the table" if measured is not None \
            else f"{predicted:.0f} ms in the table"
        skipped = f"; better but too slow: {', '.join(rejected)}" if rejected else ""
        return Choice(entry.codec,
                      f"{why_not_cuda}: {entry.codec} is the best rate-distortion ({_fmt_bd(entry)}) that keeps "
                      f"{rate_hz:g} Hz at {w}x{h}: encode + decode {took} per pair, budget {budget:.0f} ms "
                      f"({headroom:.0%} of the frame period){skipped}",
                      True, predicted, measured)
    fastest = min(table, key=lambda e: e.pair_ms)
    predicted = fastest.pair_ms * scale
    return Choice(fastest.codec,
                  f"{why_not_cuda} and NO codec keeps {rate_hz:g} Hz at {w}x{h} on this machine (budget "
                  f"{budget:.0f} ms per pair; {', '.join(rejected)}): running the fastest, {fastest.codec} "
                  f"({predicted:.0f} ms in the table); expect dropped pairs, lower the frame rate or the image size",
                  False, predicted, None)


def cuda_available(device: str) -> bool:
    """Whether a learned codec would run on CUDA with this `device` setting (imports torch only
    when it is installed and the device is not pinned to the CPU)."""
    if device == "cpu" or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def learned_available(name: str) -> bool:
    """The learned codec's code and shipped weights are installed (no model is loaded)."""
    try:
        from .learned.weights import weights_path

        get_class(name)
        weights_path(name)
        return True
    except Exception:  # noqa: BLE001 - missing torch, compressai or weights all mean "not here"
        return False


def calibrate(name: str, size: tuple[int, int], runs: int = CALIBRATION_RUNS) -> float:
    """Encode + decode ms of one frame of the synthetic scene at `size` with codec `name` here: the minimum of
    `runs` after a warm-up (what the machine can do; contention is what HEADROOM is for)."""
    from ..frame import ImagePair

    from ..scene import SyntheticScene

    codec = create(name)
    w, h = size
    rgb, thermal = SyntheticScene(max(h, 64), max(w, 64)).frame(0)  # the scene needs some room
    rgb, thermal = np.ascontiguousarray(rgb[:h, :w]), np.ascontiguousarray(thermal[:h, :w])
    pair = ImagePair(rgb=rgb, thermal=thermal, rgb_encoding="rgb8", thermal_encoding="mono8")
    codec.decode(codec.encode(pair, 0.5))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        codec.decode(codec.encode(pair, 0.5))
        times.append(1e3 * (time.perf_counter() - t0))
    return min(times)


class AutoCodec(PairCodec):
    """Registered lazily as "auto" (codecs/__init__.py; the registry decorator would overwrite
    the `name` property). Chooses a codec per image size (at the first pair of that size, or by `select()`), then
    encodes with it: streams carry the chosen codec's name, so any decoder reads them.

    `log(level, text)` receives the choice and its reason ("warning" when it cannot keep up)."""

    quality_help = ("chooses a codec: CUDA -> the best shipped learned codec, else the best measured "
                    "rate-distortion that keeps the frame rate (codecs/auto.py); quality is that codec's")

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0,
                 rate_hz: float = DEFAULT_RATE_HZ, calibrate_at_start: bool = True,
                 log: Callable[[str, str], None] | None = None) -> None:
        self.device_setting, self.weights, self.threads = device, weights, threads
        self.rate_hz = float(rate_hz)
        self.calibrate_at_start = calibrate_at_start
        self.log = log or _warn_only
        self._lock = threading.Lock()
        self._by_size: dict[tuple[int, int], tuple[Choice, PairCodec]] = {}
        self._decoders: dict[str, PairCodec] = {}
        self.choice: Choice | None = None
        self.codec: PairCodec | None = None

    # -- choosing ---------------------------------------------------------------------------------
    def select(self, size: tuple[int, int] = speed_table.REFERENCE_SIZE, rate_hz: float | None = None) -> Choice:
        """Choose (or re-use the choice) for `size` = (width, height) and make it current."""
        with self._lock:
            if rate_hz is not None and float(rate_hz) != self.rate_hz:
                self.rate_hz = float(rate_hz)
                self._by_size.clear()
            if size not in self._by_size:
                choice = choose(cuda=cuda_available(self.device_setting), rate_hz=self.rate_hz, size=size,
                                learned_available=learned_available,
                                measure=calibrate if self.calibrate_at_start else None)
                self._by_size[size] = (choice, self._create(choice.codec))
                self.log("info" if choice.keeps_up else "warning", f"codec auto -> {choice.codec}: {choice.reason}")
            self.choice, self.codec = self._by_size[size]
            return self.choice

    def _create(self, name: str) -> PairCodec:
        from .factory import open_codec

        return open_codec(name, device=self.device_setting, weights=self.weights, threads=self.threads)

    def _current(self) -> PairCodec:
        if self.codec is None:
            self.select()
        assert self.codec is not None
        return self.codec

    # -- what callers see -------------------------------------------------------------------------
    @property
    def name(self) -> str:  # type: ignore[override]
        """The chosen codec's name once chosen ('auto' before)."""
        return self.codec.name if self.codec is not None else "auto"

    @property
    def model_id(self) -> str:
        return self._current().model_id

    @property
    def device(self):
        """The chosen codec's torch device (learned codecs), None for classical ones: callers that
        batch on a GPU or warn about a CPU ask this."""
        return getattr(self._current(), "device", None)

    def status_values(self) -> dict[str, Any]:
        """For /diagnostics: what auto chose and why."""
        c = self.choice
        if c is None:
            return {"auto_codec": "", "auto_reason": "not chosen yet"}
        return {"auto_codec": c.codec, "auto_keeps_up": c.keeps_up, "auto_reason": c.reason}

    def encode_batch(self, pairs: list, quality: float) -> list[CompressedPair]:
        """Pairs of one size share a codec; a new size is chosen for (and logged) when it first comes."""
        sizes = [(p.rgb.shape[1], p.rgb.shape[0]) for p in pairs]
        for size in dict.fromkeys(sizes):
            if size not in self._by_size:
                self.select(size)
        if len(set(sizes)) == 1:  # one network pass where the chosen codec batches
            return self._by_size[sizes[0]][1].encode_batch(pairs, quality)
        return [self._by_size[s][1].encode_batch([p], quality)[0] for s, p in zip(sizes, pairs)]

    def decode(self, cp: CompressedPair):
        """Whatever codec wrote the stream (auto never appears in a stream)."""
        codec = self._decoders.get(cp.codec)
        if codec is None:
            from .factory import CodecUnavailable

            try:
                codec = self._decoders[cp.codec] = self._create(cp.codec)
            except CodecUnavailable as exc:
                raise DecodeError(f"stream's codec {cp.codec!r} cannot be opened here: {exc}") from exc
        return codec.decode(cp)

    def encode_streams(self, rgb: np.ndarray, thermal: np.ndarray, quality: float) -> Streams:
        self.select((rgb.shape[1], rgb.shape[0]))
        return self._current().encode_streams(rgb, thermal, quality)

    def decode_streams(self, streams: Streams, rgb_hw, thermal_hw, quality):
        return self._current().decode_streams(streams, rgb_hw, thermal_hw, quality)

    def describe(self) -> str:
        return f"auto: {self.quality_help}"


__all__ = ["AutoCodec", "Choice", "HEADROOM", "calibrate", "choose", "cuda_available"]
