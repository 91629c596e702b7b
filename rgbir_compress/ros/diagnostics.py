"""Periodic diagnostic_msgs/DiagnosticArray on /diagnostics, and logging each distinct problem
once (then at most every few seconds) instead of once per frame."""
from __future__ import annotations

import math
import time
from typing import Any, Callable

OK, WARN, ERROR = 0, 1, 2


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


class DiagnosticsReporter:
    """Publishes one DiagnosticStatus every `period_s`; `collect()` returns (level, message, values)."""

    def __init__(self, node, name: str, period_s: float,
                 collect: Callable[[], tuple[int, str, dict[str, Any]]]) -> None:
        from diagnostic_msgs.msg import DiagnosticArray

        self._node, self._name, self._collect = node, name, collect
        self._pub = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._timer = node.create_timer(period_s, self.publish)

    def publish(self) -> None:
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

        level, message, values = self._collect()
        status = DiagnosticStatus(
            level=bytes([level]), name=self._name, message=message,
            hardware_id=self._node.get_fully_qualified_name(),
            values=[KeyValue(key=k, value=_fmt(v)) for k, v in values.items()],
        )
        array = DiagnosticArray(status=[status])
        array.header.stamp = self._node.get_clock().now().to_msg()
        self._pub.publish(array)


class ProblemLog:
    """Logs a problem the first time its key is seen, repeats of it at most every `repeat_s`."""

    def __init__(self, log: Callable[[str], None], repeat_s: float = 10.0) -> None:
        self._log, self.repeat_s = log, repeat_s
        self._last: dict[str, tuple[float, int]] = {}

    def report(self, key: str, text: str) -> bool:
        """Returns True when a line was logged."""
        now = time.monotonic()
        last, suppressed = self._last.get(key, (-math.inf, 0))
        if now - last < self.repeat_s:
            self._last[key] = (last, suppressed + 1)
            return False
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        self._log(text + more)
        self._last[key] = (now, 0)
        return True

    def once(self, key: str, text: str) -> bool:
        """Logs only the first time `key` is seen."""
        if key in self._last:
            return False
        self._log(text)
        self._last[key] = (math.inf, 0)
        return True
