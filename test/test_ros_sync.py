"""The project's own approximate-time synchroniser (used where message_filters is missing): same
queue_size / slop semantics as message_filters.ApproximateTimeSynchronizer. No ROS needed."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from rgbir_compress.ros.sync import ApproximateTimeSync, message_filters_available


def msg(t_ms: float, tag: str = ""):
    ns = int(round(t_ms * 1e6))
    stamp = SimpleNamespace(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)
    return SimpleNamespace(header=SimpleNamespace(stamp=stamp), tag=tag or f"{t_ms}")


class Collect:
    def __init__(self) -> None:
        self.pairs: list[tuple[str, ...]] = []

    def __call__(self, *msgs) -> None:
        self.pairs.append(tuple(m.tag for m in msgs))


def test_pairs_nearest_within_slop() -> None:
    out = Collect()
    sync = ApproximateTimeSync(2, queue_size=10, slop=0.05, callback=out)
    sync.add(0, msg(1000, "rgb@1000"))
    sync.add(1, msg(1003, "ir@1003"))
    assert out.pairs == [("rgb@1000", "ir@1003")]
    # thermal arrives first, then two colour frames; the nearer one within slop pairs
    sync.add(1, msg(1103, "ir@1103"))
    sync.add(0, msg(1100, "rgb@1100"))
    assert out.pairs[-1] == ("rgb@1100", "ir@1103")
    assert sync.queues == [{}, {}]  # matched messages leave the queues


def test_nothing_pairs_outside_slop_or_one_sided() -> None:
    out = Collect()
    sync = ApproximateTimeSync(2, queue_size=10, slop=0.01, callback=out)
    sync.add(0, msg(1000))
    sync.add(1, msg(1020))  # 20 ms apart > 10 ms slop
    for t in range(5):
        sync.add(0, msg(2000 + 100 * t))  # colour only
    assert out.pairs == []


def test_slop_is_strict_like_message_filters() -> None:
    out = Collect()
    sync = ApproximateTimeSync(2, queue_size=10, slop=0.01, callback=out)
    sync.add(0, msg(1000))
    sync.add(1, msg(1010))  # exactly slop apart: message_filters requires max - min < slop
    assert out.pairs == []
    sync.add(1, msg(1009.9, "ir"))
    assert out.pairs == [("1000", "ir")]


def test_queue_size_drops_oldest() -> None:
    out = Collect()
    sync = ApproximateTimeSync(2, queue_size=3, slop=0.05, callback=out)
    for t in (1000, 1100, 1200, 1300):
        sync.add(0, msg(t))
    assert sorted(sync.queues[0]) == [int(t * 1e6) for t in (1100, 1200, 1300)]
    sync.add(1, msg(1001))  # its partner was pushed out of the queue
    assert out.pairs == []
    sync.add(1, msg(1201, "ir"))
    assert out.pairs == [("1200", "ir")]


def test_repeated_stamp_replaces() -> None:
    out = Collect()
    sync = ApproximateTimeSync(2, queue_size=5, slop=0.05, callback=out)
    sync.add(0, msg(1000, "old"))
    sync.add(0, msg(1000, "new"))
    sync.add(1, msg(1000, "ir"))
    assert out.pairs == [("new", "ir")]


def test_three_inputs_and_threads() -> None:
    out = Collect()
    sync = ApproximateTimeSync(3, queue_size=50, slop=0.02, callback=out)

    def feed(i: int) -> None:
        for k in range(40):
            sync.add(i, msg(1000 + 100 * k + i, f"{i}:{k}"))

    threads = [threading.Thread(target=feed, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out.pairs, key=lambda p: int(p[0].split(":")[1])) == [
        (f"0:{k}", f"1:{k}", f"2:{k}") for k in range(40)]


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        ApproximateTimeSync(1, 10, 0.1, print)
    with pytest.raises(ValueError):
        ApproximateTimeSync(2, 0, 0.1, print)


def test_message_filters_detection_is_a_bool() -> None:
    assert message_filters_available() in (True, False)
