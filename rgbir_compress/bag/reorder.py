"""Write messages in timestamp order although pairs come out of the pairer late.

A compressed pair is stamped with the log time of its colour frame, which may be earlier than
messages of other topics already read. Messages wait in a heap until the caller says no earlier
message can still come (`release(bound)`), so storage backends that index by time (mcap chunks)
get them in order, and memory holds only the pairer's small window of messages.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Any, Callable

Write = Callable[[Any, int, bytes | memoryview], None]


class OrderedOutput:
    def __init__(self, write: Write) -> None:
        self._write = write
        self._heap: list[tuple[int, int, Any, bytes | memoryview]] = []
        self._seq = itertools.count()
        self.written = 0

    def put(self, timestamp: int, connection: Any, data: bytes | memoryview) -> None:
        heapq.heappush(self._heap, (timestamp, next(self._seq), connection, data))

    def release(self, bound: int | None) -> None:
        """Write every held message with timestamp < bound (None: all)."""
        while self._heap and (bound is None or self._heap[0][0] < bound):
            timestamp, _, conn, data = heapq.heappop(self._heap)
            self._write(conn, timestamp, data)
            self.written += 1

    def __len__(self) -> int:
        return len(self._heap)
