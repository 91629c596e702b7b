"""Which samples a rank sees, in which order, with which crop seed: a pure function of
(seed, epoch, position), so a resumed run sees exactly the batches an uninterrupted one would."""
from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import Sampler

from .data import SampleKey


class EpochSampler(Sampler[SampleKey]):
    """A fixed permutation per (seed, epoch), sharded by rank, starting at sample `start` of this
    rank's shard. Yields `(index, (seed, epoch, position))`: the dataset seeds its crop generator
    from those words, so crops do not depend on DataLoader workers or on process RNG state."""

    def __init__(self, n: int, seed: int, epoch: int, start: int, rank: int, world: int) -> None:
        self.n, self.seed, self.rank, self.world = n, seed, rank, world
        self.keys: list[SampleKey] = []
        self.set_epoch(epoch, start)

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Switch to another epoch (a DataLoader with persistent workers keeps its sampler)."""
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        perm = torch.randperm(self.n, generator=g).tolist()
        per_rank = self.n // self.world
        first = self.rank * per_rank
        self.keys = [(perm[pos], (self.seed, epoch, pos)) for pos in range(first + start, first + per_rank)]

    def __iter__(self) -> Iterator[SampleKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def batches_per_epoch(n: int, world: int, batch_size: int) -> int:
    """Full batches each rank draws from one pass over `n` samples (the last partial is dropped)."""
    return (n // world) // batch_size


def repeat_for(n: int, world: int, batch_size: int) -> int:
    """How often to repeat a tiny set of `n` pairs so every rank gets at least one batch per epoch."""
    need = world * batch_size
    return max(1, -(-need // n))
