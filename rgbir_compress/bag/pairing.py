"""Streaming pairing of two image streams by header stamp.

Frames are held only until no better partner can still arrive: a frame is decided once both
streams have moved more than twice the slop past it (a later frame of its own stream could still
be a closer match for its candidate before that). A stream that stalls or is missing does not make
the other pile up: after `max_lag` the other stream's frames are decided anyway, and no queue
grows beyond `max_pending`. So memory stays flat with bag length.

A frame pairs with the nearest frame of the other stream within the slop that is not closer to a
frame of its own stream (mutual nearest neighbours, decided oldest first).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Generic, Iterator, Literal, TypeVar, Union

T = TypeVar("T")
Role = Literal["rgb", "ir"]
ROLES: tuple[Role, Role] = ("rgb", "ir")


@dataclass(order=True)
class Frame(Generic[T]):
    stamp_ns: int
    seq: int
    item: T = field(compare=False)


@dataclass
class Paired(Generic[T]):
    rgb: Frame[T]
    ir: Frame[T]


@dataclass
class Unpaired(Generic[T]):
    role: Role
    frame: Frame[T]


Event = Union[Paired[T], Unpaired[T]]


class StampPairer(Generic[T]):
    """Push frames of both roles in arrival order; get pairs and unpaired frames back."""

    def __init__(self, slop_ns: int, *, max_lag_ns: int = 1_000_000_000, max_pending: int = 64) -> None:
        if slop_ns < 0:
            raise ValueError(f"slop must be >= 0, got {slop_ns} ns")
        self.slop = slop_ns
        self.max_lag = max(max_lag_ns, 2 * slop_ns)
        self.max_pending = max_pending
        self.queues: dict[Role, list[Frame[T]]] = {"rgb": [], "ir": []}
        self.latest: dict[Role, int | None] = {"rgb": None, "ir": None}
        self._seq = 0

    def push(self, role: Role, stamp_ns: int, item: T) -> list[Event[T]]:
        self._seq += 1
        bisect.insort(self.queues[role], Frame(stamp_ns, self._seq, item))
        last = self.latest[role]
        self.latest[role] = stamp_ns if last is None else max(last, stamp_ns)
        return self._drain(final=False)

    def flush(self) -> list[Event[T]]:
        """Decide every pending frame (end of input)."""
        return self._drain(final=True)

    def pending(self) -> Iterator[T]:
        for queue in self.queues.values():
            for frame in queue:
                yield frame.item

    def _watermark(self) -> int | None:
        """Stamp up to which both streams are known complete (or given up on)."""
        seen = [s for s in self.latest.values() if s is not None]
        if not seen:
            return None
        lagging = max(seen) - self.max_lag
        return max(min(seen), lagging) if len(seen) == 2 else lagging

    def _oldest(self) -> tuple[Role, Frame[T]] | None:
        heads = [(q[0], r) for r, q in self.queues.items() if q]
        if not heads:
            return None
        frame, role = min(heads, key=lambda x: x[0])
        return role, frame

    def _drain(self, *, final: bool) -> list[Event[T]]:
        events: list[Event[T]] = []
        while (oldest := self._oldest()) is not None:
            role, frame = oldest
            overfull = any(len(q) > self.max_pending for q in self.queues.values())
            mark = self._watermark()
            if not (final or overfull or (mark is not None and frame.stamp_ns + 2 * self.slop < mark)):
                break
            events.append(self._decide(role, frame))
        return events

    def _decide(self, role: Role, frame: Frame[T]) -> Event[T]:
        own = self.queues[role]
        other_role: Role = "ir" if role == "rgb" else "rgb"
        other = self.queues[other_role]
        own.remove(frame)
        candidates = sorted(
            (c for c in other if abs(c.stamp_ns - frame.stamp_ns) <= self.slop),
            key=lambda c: abs(c.stamp_ns - frame.stamp_ns),
        )
        for cand in candidates:
            dist = abs(cand.stamp_ns - frame.stamp_ns)
            if not any(abs(p.stamp_ns - cand.stamp_ns) < dist for p in own):
                other.remove(cand)
                rgb, ir = (frame, cand) if role == "rgb" else (cand, frame)
                return Paired(rgb, ir)
        return Unpaired(role, frame)
