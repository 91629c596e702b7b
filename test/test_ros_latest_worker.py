"""The keep-newest worker both nodes use (no ROS needed)."""
from __future__ import annotations

import threading
import time

from rgbir_compress.ros.latest_worker import LatestWorker


def test_a_busy_worker_keeps_only_the_newest_item_and_counts_the_rest() -> None:
    release, started = threading.Event(), threading.Event()
    done, drops, errors = [], [], []

    def handle(item: int) -> None:
        started.set()
        release.wait(5)
        done.append(item)

    worker = LatestWorker("t", handle, lambda: drops.append(1), errors.append)
    worker.put(0)
    assert started.wait(5)          # the worker is busy with item 0
    for item in (1, 2, 3, 4):       # 1, 2 and 3 are replaced before the worker is free
        worker.put(item)
    release.set()
    deadline = time.monotonic() + 5
    while done != [0, 4] and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    assert done == [0, 4] and len(drops) == 3 and errors == []


def test_a_failing_item_is_reported_and_the_worker_goes_on() -> None:
    done, errors = [], []

    def handle(item: int) -> None:
        if item == 1:
            raise ValueError("bad item")
        done.append(item)

    worker = LatestWorker("t", handle, lambda: None, errors.append)
    for item in (1, 2):
        worker.put(item)
        deadline = time.monotonic() + 5
        while not (errors or done) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
    worker.stop()
    assert [type(e) for e in errors] == [ValueError] and done == [2]


def test_a_deeper_queue_absorbs_a_burst_and_drops_only_beyond_it() -> None:
    release, started = threading.Event(), threading.Event()
    done, drops = [], []

    def handle(item: int) -> None:
        started.set()
        release.wait(5)
        done.append(item)

    worker = LatestWorker("t", handle, lambda: drops.append(1), lambda exc: None, depth=3)
    worker.put(0)
    assert started.wait(5)
    for item in (1, 2, 3, 4):       # the queue keeps 2, 3, 4; 1 is the oldest and goes
        worker.put(item)
    release.set()
    deadline = time.monotonic() + 5
    while len(done) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    assert done == [0, 2, 3, 4] and len(drops) == 1
