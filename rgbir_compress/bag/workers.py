"""Run per-pair jobs (encode, decode) on a few threads, results in submission order.

The codec libraries (imagecodecs, x265, torch) release the GIL while they work, so threads give
real parallelism; at most `2 * jobs` jobs are in flight so memory stays bounded.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

M = TypeVar("M")


@dataclass
class Outcome(Generic[M]):
    meta: M
    result: Any = None
    error: Exception | None = None


class OrderedPool(Generic[M]):
    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, int(jobs))
        self._executor = ThreadPoolExecutor(self.jobs) if self.jobs > 1 else None
        self._queue: deque[tuple[M, Future | Outcome[M]]] = deque()

    def submit(self, meta: M, fn: Callable[..., Any], *args: Any) -> list[Outcome[M]]:
        """Queue a job; returns the outcomes that are ready (blocking only when the queue is full)."""
        if self._executor is None:
            self._queue.append((meta, self._run(meta, fn, *args)))
        else:
            self._queue.append((meta, self._executor.submit(self._run, meta, fn, *args)))
        return self._collect(limit=2 * self.jobs)

    def finish(self) -> list[Outcome[M]]:
        out = self._collect(limit=0)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        return out

    def pending(self) -> Iterator[M]:
        return (meta for meta, _ in self._queue)

    def close(self) -> None:
        """Drop queued jobs (after an error or interrupt)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._queue.clear()

    @staticmethod
    def _run(meta: M, fn: Callable[..., Any], *args: Any) -> Outcome[M]:
        try:
            return Outcome(meta, fn(*args))
        except Exception as exc:  # reported per pair by the caller; the run goes on
            return Outcome(meta, error=exc)

    def _collect(self, limit: int) -> list[Outcome[M]]:
        out: list[Outcome[M]] = []
        while self._queue:
            _, head = self._queue[0]
            if isinstance(head, Future) and not head.done() and len(self._queue) <= limit:
                break
            self._queue.popleft()
            out.append(head.result() if isinstance(head, Future) else head)
        return out
