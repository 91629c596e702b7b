"""Counters, rates and latency percentiles the nodes report on /diagnostics (ROS-free)."""
from __future__ import annotations

import collections
import threading
import time

import numpy as np


class RateMeter:
    """Events per second and bits per second over a sliding window."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self._events: collections.deque[tuple[float, int]] = collections.deque()
        self.total = 0
        self.total_bytes = 0
        self._lock = threading.Lock()

    def tick(self, num_bytes: int = 0, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._events.append((now, num_bytes))
            self.total += 1
            self.total_bytes += num_bytes
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self.window_s:
            self._events.popleft()

    def rates(self, now: float | None = None) -> tuple[float, float]:
        """(events/s, kbit/s) over the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            if len(self._events) < 2:
                return 0.0, 0.0
            span = max(now - self._events[0][0], 1e-3)
            n = len(self._events)
            nbytes = sum(b for _, b in self._events)
        return n / span, 8.0 * nbytes / span / 1000.0


class Percentiles:
    """p50/p95 of the last `size` samples (milliseconds in the nodes)."""

    def __init__(self, size: int = 300) -> None:
        self._values: collections.deque[float] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        with self._lock:
            self._values.append(value)

    def p(self, *qs: float) -> list[float]:
        with self._lock:
            if not self._values:
                return [float("nan")] * len(qs)
            arr = np.fromiter(self._values, float)
        return [float(np.percentile(arr, q)) for q in qs]


class Counters:
    """Named monotonic counters, thread-safe."""

    def __init__(self, *names: str) -> None:
        self._c = dict.fromkeys(names, 0)
        self._lock = threading.Lock()

    def inc(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._c[name] = self._c.get(name, 0) + n

    def __getitem__(self, name: str) -> int:
        return self._c.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._c)
