"""Streaming stamp pairing (bag/pairing.py)."""
from __future__ import annotations

from rgbir_compress.bag.pairing import Paired, StampPairer, Unpaired

MS = 1_000_000


def run(pairer: StampPairer, stream: list[tuple[str, int]]) -> list:
    events = []
    for role, stamp in stream:
        events += pairer.push(role, stamp, (role, stamp))
    return events + pairer.flush()


def pairs_of(events) -> list[tuple[int, int]]:
    return [(e.rgb.stamp_ns, e.ir.stamp_ns) for e in events if isinstance(e, Paired)]


def test_offset_streams_pair_one_to_one():
    stream = []
    for i in range(20):
        stream += [("rgb", i * 100 * MS), ("ir", i * 100 * MS + 7 * MS)]
    events = run(StampPairer(20 * MS), stream)
    assert pairs_of(events) == [(i * 100 * MS, i * 100 * MS + 7 * MS) for i in range(20)]
    assert not [e for e in events if isinstance(e, Unpaired)]


def test_dropped_frames_and_out_of_slop_are_unpaired():
    stream = [("rgb", 0), ("ir", 2 * MS), ("rgb", 100 * MS), ("rgb", 200 * MS), ("ir", 260 * MS),
              ("rgb", 300 * MS), ("ir", 301 * MS)]
    events = run(StampPairer(20 * MS), stream)
    assert pairs_of(events) == [(0, 2 * MS), (300 * MS, 301 * MS)]
    unpaired = sorted((e.role, e.frame.stamp_ns) for e in events if isinstance(e, Unpaired))
    assert unpaired == [("ir", 260 * MS), ("rgb", 100 * MS), ("rgb", 200 * MS)]


def test_nearest_partner_wins_even_when_it_arrives_later():
    # ir at 10 ms is nearer to rgb at 12 ms than to rgb at 0 ms: rgb 0 must not take it
    stream = [("rgb", 0), ("ir", 10 * MS), ("rgb", 12 * MS), ("ir", 500 * MS), ("rgb", 500 * MS)]
    events = run(StampPairer(15 * MS), stream)
    assert (12 * MS, 10 * MS) in pairs_of(events)
    assert ("rgb", 0) in [(e.role, e.frame.stamp_ns) for e in events if isinstance(e, Unpaired)]


def test_missing_stream_keeps_memory_bounded():
    pairer = StampPairer(20 * MS, max_lag_ns=500 * MS, max_pending=16)
    most = 0
    for i in range(1000):
        pairer.push("rgb", i * 33 * MS, i)
        most = max(most, len(list(pairer.pending())))
    assert most <= 17
    left = len(list(pairer.pending()))
    assert len(pairer.flush()) == left
    assert not list(pairer.pending())


def test_every_frame_is_accounted_for():
    import random

    rnd = random.Random(1)
    stream = []
    for i in range(300):
        if rnd.random() > 0.1:
            stream.append(("rgb", i * 50 * MS + rnd.randint(-3, 3) * MS))
        if rnd.random() > 0.1:
            stream.append(("ir", i * 50 * MS + rnd.randint(0, 9) * MS))
    events = run(StampPairer(12 * MS), stream)
    n = sum(2 if isinstance(e, Paired) else 1 for e in events)
    assert n == len(stream)
    assert all(abs(a - b) <= 12 * MS for a, b in pairs_of(events))
