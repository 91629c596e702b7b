"""Steer the project-wide quality in [0, 1] towards a target bitrate from measured sizes.

Every codec maps quality to rate roughly log-linearly (quality 0..1 spans a fixed factor of
bytes), so the controller works on log2 of the rate: the error is how many "doublings" the smoothed
measured bitrate is away from the target, and quality moves by `gain` per doubling. That is an
integral controller in log-rate space; it converges for any codec whose size grows with quality,
without knowing the codec. ROS-free: the bag tools and the ROS encoder node both use it, feeding
the interval between pairs from message stamps (bags) or arrival times (live topics).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class RateController:
    """Quality steering for a target bitrate.

    Args:
        target_kbps: wanted average bitrate of the compressed pairs, kbit/s (1 kbit = 1000 bit).
        quality: starting quality.
        gain: quality change per factor-2 rate error (per update, before clamping).
        smoothing: weight of the newest measurement in the moving averages (0..1].
        max_step: largest quality change in one update, so one odd frame cannot swing it.
        default_interval_s: interval assumed when the caller has none yet (first pair).
    """

    target_kbps: float
    quality: float = 0.5
    gain: float = 0.12
    smoothing: float = 0.25
    max_step: float = 0.1
    min_quality: float = 0.0
    max_quality: float = 1.0
    default_interval_s: float = 0.1
    _bits: float | None = field(default=None, repr=False)
    _interval: float | None = field(default=None, repr=False)
    _last_stamp: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.target_kbps > 0:
            raise ValueError(f"target_kbps must be > 0, got {self.target_kbps}")
        if not 0 < self.smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], got {self.smoothing}")
        self.quality = self._clamp(self.quality)

    def _clamp(self, q: float) -> float:
        return min(self.max_quality, max(self.min_quality, float(q)))

    @property
    def measured_kbps(self) -> float | None:
        """Smoothed measured bitrate, or None before the first update."""
        if self._bits is None or not self._interval:
            return None
        return self._bits / self._interval / 1000.0

    def update(self, num_bytes: int, interval_s: float | None = None) -> float:
        """Feed the size of one coded pair and the time since the previous pair; returns the
        quality to use next. A missing or non-positive interval keeps the previous average."""
        a = self.smoothing
        bits = 8.0 * num_bytes
        self._bits = bits if self._bits is None else (1 - a) * self._bits + a * bits
        if interval_s is not None and interval_s > 0:
            self._interval = interval_s if self._interval is None else (1 - a) * self._interval + a * interval_s
        elif self._interval is None:
            self._interval = self.default_interval_s
        measured = self.measured_kbps
        if measured and measured > 0:
            error = math.log2(self.target_kbps / measured)
            step = max(-self.max_step, min(self.max_step, self.gain * error))
            self.quality = self._clamp(self.quality + step)
        return self.quality

    def update_at(self, num_bytes: int, stamp_s: float) -> float:
        """Like update(), with the interval taken from consecutive stamps (seconds)."""
        interval = None if self._last_stamp is None else stamp_s - self._last_stamp
        self._last_stamp = stamp_s
        return self.update(num_bytes, interval)


class RateControlledQuality:
    """The rate-control step the encoder node and `bag compress` share: read `quality`, encode at it,
    then report what was sent with `sent(num_bytes, time_s)`.

    Fixed quality when `target_kbps` is 0; otherwise a RateController steers it, with the interval
    between pairs taken from consecutive `time_s` (arrival times on a live topic, message stamps in a
    bag, so dropped pairs raise the per-pair budget). Both settings change at run time: a new
    target starts its controller from the quality in use, and a target of 0 returns to the fixed
    quality.
    """

    def __init__(self, quality: float, target_kbps: float = 0.0) -> None:
        self.fixed = float(quality)
        self.controller: RateController | None = None
        self._last_time: float | None = None
        self.set_target(target_kbps)

    @property
    def quality(self) -> float:
        """The quality the next pair is coded at."""
        controller = self.controller
        return controller.quality if controller is not None else self.fixed

    def set_quality(self, quality: float) -> None:
        """New fixed quality; a running controller continues from it."""
        self.fixed = float(quality)
        if self.controller is not None:
            self.controller.quality = self.fixed

    def set_target(self, target_kbps: float) -> None:
        """Steer toward `target_kbps` (> 0), or code at the fixed quality (0)."""
        self.controller = RateController(float(target_kbps), self.quality) if target_kbps > 0 else None

    def sent(self, num_bytes: int, time_s: float) -> None:
        """One coded pair of `num_bytes` went out at `time_s` (seconds, any monotonic clock)."""
        controller = self.controller
        if controller is not None:
            controller.update(num_bytes, None if self._last_time is None else time_s - self._last_time)
        self._last_time = time_s
