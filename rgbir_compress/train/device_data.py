"""Training batches cut from a set held in (GPU) memory: no DataLoader, no per-step decoding.

Why: on a large GPU a DataLoader decoding PNGs and cropping on the CPU cannot keep up with the
model. Here every pair is decoded once, stored as uint8 in one flat tensor on the training device
(a few hundred MB for the whole set), and each batch is a single gather whose index already holds
the random crop window and the left-right flip.

Batches are a function of (seed, step, rank), like the DataLoader path's: the pair order is a
permutation per (seed, epoch) sharded by rank (sampler.EpochSampler's), and the crop positions and
flips come from a generator seeded by (seed, step, rank). A resumed run therefore sees the batches
an uninterrupted one would. They are not the same crops as the DataLoader path draws.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import numpy as np
import torch

from .sampler import batches_per_epoch, repeat_for


def _pad_to(rgb: np.ndarray, ir: np.ndarray, crop: int) -> tuple[np.ndarray, np.ndarray]:
    """Reflect-pad a pair smaller than the crop, as data.random_crop does."""
    h, w = ir.shape
    ph, pw = max(0, crop - h), max(0, crop - w)
    if not ph and not pw:
        return rgb, ir
    mode = "reflect" if ph < h and pw < w else "symmetric"
    return (np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode=mode), np.pad(ir, ((0, ph), (0, pw)), mode=mode))


class DeviceCrops:
    """Pairs as planar uint8 (R, G, B, thermal) in one flat tensor on `device`; `batch(step)`
    returns (rgb (B,3,c,c), ir (B,1,c,c)) float tensors in [0, 1] on that device."""

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]], crop: int, batch_size: int,
                 device: torch.device, *, seed: int = 0, rank: int = 0, world: int = 1) -> None:
        if not pairs:
            raise ValueError("no training pairs")
        self.crop, self.batch_size, self.device = crop, batch_size, device
        self.seed, self.rank, self.world = seed, rank, world
        planes, offsets, hs, ws = [], [], [], []
        offset = 0
        for rgb, ir in pairs:
            rgb, ir = _pad_to(rgb, ir, crop)
            h, w = ir.shape
            planes.append(np.concatenate([rgb.transpose(2, 0, 1).reshape(-1), ir.reshape(-1)]))
            offsets.append(offset)
            hs.append(h)
            ws.append(w)
            offset += 4 * h * w
        self.storage = torch.from_numpy(np.concatenate(planes)).to(device)
        self.offsets = torch.tensor(offsets, dtype=torch.int64, device=device)
        self.h = torch.tensor(hs, dtype=torch.int64)
        self.w = torch.tensor(ws, dtype=torch.int64)
        self.h_dev, self.w_dev = self.h.to(device), self.w.to(device)
        self.n_pairs = len(pairs)
        self.n = self.n_pairs * repeat_for(self.n_pairs, world, batch_size)  # as PairCrops(repeat=...)
        self.per_epoch = batches_per_epoch(self.n, world, batch_size)
        self._perm_epoch, self._perm = -1, torch.empty(0, dtype=torch.int64)
        self._arange = torch.arange(crop, device=device)
        self._chan = torch.arange(4, device=device).view(1, 4, 1, 1)

    @property
    def nbytes(self) -> int:
        return self.storage.numel()

    def indices(self, step: int) -> torch.Tensor:
        """Pair indices of this rank's batch at `step` (an epoch permutation, sharded by rank)."""
        epoch, offset = divmod(step, self.per_epoch)
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perm, self._perm_epoch = torch.randperm(self.n, generator=g), epoch
        first = self.rank * (self.n // self.world) + offset * self.batch_size
        return self._perm[first : first + self.batch_size] % self.n_pairs

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.indices(step)
        g = torch.Generator().manual_seed((self.seed * 1_000_003 + step) * 4099 + self.rank)
        u = torch.rand(len(idx), 3, generator=g)
        c = self.crop
        y0 = (u[:, 0] * (self.h[idx] - c + 1)).long()
        x0 = (u[:, 1] * (self.w[idx] - c + 1)).long()
        flip = u[:, 2] < 0.5
        idx, y0, x0, flip = (t.to(self.device, non_blocking=True) for t in (idx, y0, x0, flip))
        h, w = self.h_dev[idx].view(-1, 1, 1, 1), self.w_dev[idx].view(-1, 1, 1, 1)
        rows = (y0[:, None] + self._arange).view(-1, 1, c, 1)
        cols = torch.where(flip[:, None], x0[:, None] + (c - 1 - self._arange), x0[:, None] + self._arange)
        flat = (self.offsets[idx].view(-1, 1, 1, 1) + self._chan * (h * w) + rows * w + cols.view(-1, 1, 1, c))
        x = self.storage[flat].float().div_(255)  # (B, 4, c, c)
        return x[:, :3], x[:, 3:]


def load_training_pairs(cfg, threads: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every training pair decoded once: from `train_pack`, else the manifest or folder source."""
    if cfg.train_pack:
        from .pack import read_pack

        return read_pack(cfg.train_pack, "train", threads=threads)
    if cfg.train_bag:
        raise ValueError("data_on_device needs a pack, manifest or folder source, not a rosbag stream")
    from .data import load_pair
    from .loop import training_pairs

    paths = training_pairs(cfg)
    if not paths:
        raise ValueError(f"no training pairs in {cfg.train_manifest or cfg.train_folder}")
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(load_pair, paths))


def device_batch_stream(cfg, env, step: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless batches from step `step` on: on the training device with `data_on_device`, else in
    host memory (a pack without data_on_device)."""
    device = env.device if cfg.data_on_device else torch.device("cpu")
    crops = DeviceCrops(load_training_pairs(cfg), cfg.crop, cfg.batch_size, device,
                        seed=cfg.seed, rank=env.rank, world=env.world)
    if env.main:
        print(f"training set in {device.type} memory: {crops.n_pairs} pairs, {crops.nbytes / 2**20:.0f} MiB uint8",
              flush=True)
    while True:
        yield crops.batch(step)
        step += 1
