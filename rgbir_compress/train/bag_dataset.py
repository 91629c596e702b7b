"""Training pairs streamed from a rosbag: two sensor_msgs/Image topics paired by header stamp.

The bag is read message by message (rosbags AnyReader, rosbag1 or rosbag2, sqlite3 or mcap), so
its size does not matter; memory holds the pairer's few pending frames plus an optional shuffle
buffer. Consecutive frames of a recording are near-duplicates, so a shuffle buffer of a few dozen
pairs makes batches more varied.

Every yielded sample is a pure function of (seed, its ordinal in the paired stream): ranks take
every world-th pair, DataLoader workers take whole batches in the round-robin order the loader
reads them back, and crops are seeded per sample. A run resumed with `start` therefore sees
exactly the samples an uninterrupted run would have, whatever `workers` is.
"""
from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from PIL import Image
from torch.utils.data import IterableDataset, get_worker_info

from ..bag.pair_stream import colour_of, paired_messages, thermal_of  # noqa: F401 (re-exported)
from .data import random_crop


def shuffled(items: Iterator[Any], size: int, rng: np.random.Generator) -> Iterator[Any]:
    """A bounded shuffle buffer (size <= 1: the stream as it is)."""
    if size <= 1:
        yield from items
        return
    buf: list[Any] = []
    for item in items:
        if len(buf) < size:
            buf.append(item)
            continue
        j = int(rng.integers(size))
        yield buf[j]
        buf[j] = item
    rng.shuffle(buf)
    yield from buf


class BagPairs(IterableDataset):
    """Aligned random crops of time-synchronised pairs from a bag: (rgb (3,c,c), ir (1,c,c)).

    passes: how often to read the bag (None: forever, for training). start: samples of this rank
    already consumed (resume). batch_size: the DataLoader's, so workers split whole batches.
    """

    def __init__(self, bag: str | Path, rgb_topic: str, ir_topic: str, crop: int = 256, *,
                 slop_ms: float = 25.0, shuffle: int = 0, seed: int = 0, rank: int = 0, world: int = 1,
                 start: int = 0, batch_size: int = 1, passes: int | None = None, augment: bool = True) -> None:
        if not Path(bag).exists():
            raise FileNotFoundError(f"no bag at {bag}")
        self.bag, self.rgb_topic, self.ir_topic = Path(bag), rgb_topic, ir_topic
        self.crop, self.slop_ms, self.shuffle, self.seed = crop, slop_ms, shuffle, seed
        self.rank, self.world, self.start, self.batch_size = rank, world, start, max(1, batch_size)
        self.passes, self.augment = passes, augment

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info else (1, 0)
        ordinal = -1
        for pass_no in count():
            if self.passes is not None and pass_no >= self.passes:
                return
            found = 0
            rng = np.random.default_rng([self.seed, pass_no, 0x5B])
            stream = paired_messages(self.bag, self.rgb_topic, self.ir_topic, self.slop_ms)
            for rgb_msg, ir_msg in shuffled(stream, self.shuffle, rng):
                found += 1
                ordinal += 1
                if ordinal % self.world != self.rank:
                    continue
                local = ordinal // self.world
                if local < self.start or (local // self.batch_size) % workers != worker:
                    continue
                rgb, ir = colour_of(rgb_msg), thermal_of(ir_msg)
                if ir.shape != rgb.shape[:2]:
                    ir = np.asarray(Image.fromarray(ir).resize(rgb.shape[1::-1], Image.BICUBIC))
                yield random_crop(rgb, ir, self.crop, np.random.default_rng([self.seed, ordinal]), self.augment)
            if not found:
                raise ValueError(f"{self.bag}: no pairs of {self.rgb_topic} and {self.ir_topic} "
                                 f"within {self.slop_ms} ms")
