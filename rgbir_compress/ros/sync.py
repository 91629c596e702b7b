"""Pairing colour and thermal images by header stamp.

On a real ROS 2 install this is `message_filters.ApproximateTimeSynchronizer`. Where that package
is missing (the PyPI ROS wheels do not carry it) `ApproximateTimeSync` does the same job with the
same `queue_size` / `slop` semantics as message_filters' Python implementation:

- every input keeps at most `queue_size` messages, keyed by stamp (a repeated stamp replaces the
  older message; beyond `queue_size` the oldest stamp is dropped);
- when a message arrives, each other input offers its messages within `slop` seconds of it, nearest
  first; the first combination whose stamps span less than `slop` is emitted and removed from the
  queues. Messages that never pair age out of the queues.

The class itself is ROS-free (it only reads `msg.header.stamp`), so it is unit-tested without ROS.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Callable, Sequence


def stamp_ns(msg: Any) -> int:
    s = msg.header.stamp
    return int(s.sec) * 1_000_000_000 + int(s.nanosec)


class ApproximateTimeSync:
    """message_filters.ApproximateTimeSynchronizer semantics for `n_inputs` streams, thread-safe."""

    def __init__(self, n_inputs: int, queue_size: int, slop: float, callback: Callable[..., None]) -> None:
        if n_inputs < 2 or queue_size < 1 or slop < 0:
            raise ValueError("need n_inputs >= 2, queue_size >= 1, slop >= 0")
        self.queue_size = int(queue_size)
        self.slop_ns = int(round(slop * 1e9))
        self.callback = callback
        self.queues: list[dict[int, Any]] = [{} for _ in range(n_inputs)]
        self._lock = threading.Lock()

    def add(self, index: int, msg: Any) -> None:
        stamp = stamp_ns(msg)
        with self._lock:
            mine = self.queues[index]
            mine[stamp] = msg
            while len(mine) > self.queue_size:
                del mine[min(mine)]
            candidates: list[list[int]] = []
            for i, queue in enumerate(self.queues):
                if i == index:
                    continue
                near = sorted((abs(s - stamp), s) for s in queue if abs(s - stamp) <= self.slop_ns)
                if not near:
                    return
                candidates.append([s for _, s in near])
            match = None
            for combo in itertools.product(*candidates):
                stamps = list(combo)
                stamps.insert(index, stamp)
                if max(stamps) - min(stamps) < self.slop_ns:
                    match = [q.pop(s) for q, s in zip(self.queues, stamps)]
                    break
        if match is not None:
            self.callback(*match)


def message_filters_available() -> bool:
    try:
        import message_filters  # noqa: F401
    except ImportError:
        return False
    return hasattr(message_filters, "ApproximateTimeSynchronizer")


class PairSubscriber:
    """Subscribes to N image topics and calls `on_pair(*msgs)` for time-matched sets.

    `on_input(index, msg)` sees every message first (rates, diagnostics). `impl` is "message_filters"
    or "builtin"; `prefer` picks it ("auto": message_filters when importable).
    """

    def __init__(self, node, msg_type, topics: Sequence[str], qos, queue_size: int, slop: float,
                 on_pair: Callable[..., None], on_input: Callable[[int, Any], None] | None = None,
                 prefer: str = "auto") -> None:
        on_input = on_input or (lambda i, m: None)
        if prefer not in ("auto", "message_filters", "builtin"):
            raise ValueError(f"synchronizer must be auto, message_filters or builtin, not {prefer!r}")
        use_mf = prefer == "message_filters" or (prefer == "auto" and message_filters_available())
        if use_mf:
            import message_filters

            self.impl = "message_filters"
            self._subs = [message_filters.Subscriber(node, msg_type, t, qos_profile=qos) for t in topics]
            for i, sub in enumerate(self._subs):
                sub.registerCallback(lambda m, i=i: on_input(i, m))
            self._sync = message_filters.ApproximateTimeSynchronizer(self._subs, queue_size, slop)
            self._sync.registerCallback(on_pair)
        else:
            self.impl = "builtin"
            self._sync = ApproximateTimeSync(len(topics), queue_size, slop, on_pair)

            def make_cb(i: int) -> Callable[[Any], None]:
                def cb(msg: Any) -> None:
                    on_input(i, msg)
                    self._sync.add(i, msg)
                return cb

            self._subs = [node.create_subscription(msg_type, t, make_cb(i), qos) for i, t in enumerate(topics)]
