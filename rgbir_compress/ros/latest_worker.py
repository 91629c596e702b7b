"""Keep-newest processing: one worker thread takes items from a queue of at most `depth` items;
when a new item arrives at a full queue the oldest waiting one is dropped and counted. A codec
slower than its input therefore runs at its own pace with at most `depth` items of latency, and
work never piles up (encoder: depth 1; decoder: a few, to absorb bursts from the link)."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable


class LatestWorker:
    def __init__(self, name: str, handle: Callable[[Any], None], on_drop: Callable[[], None],
                 on_error: Callable[[Exception], None], depth: int = 1) -> None:
        self._handle, self._on_drop, self._on_error = handle, on_drop, on_error
        self._queue: deque[Any] = deque()
        self._depth = max(1, depth)
        self._cv = threading.Condition()
        self._running = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Hand over the newest item (called from the executor thread); never blocks on the codec."""
        with self._cv:
            if len(self._queue) >= self._depth:
                self._queue.popleft()
                self._on_drop()
            self._queue.append(item)
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and self._running:
                    self._cv.wait(0.5)
                if not self._running:
                    return
                item = self._queue.popleft()
            try:
                self._handle(item)
            except Exception as exc:  # noqa: BLE001 - the worker must survive anything an item does
                self._on_error(exc)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._running = False
            self._cv.notify()
        self._thread.join(timeout=timeout)
