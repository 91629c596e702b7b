"""Training pairs: manifest CSV and public folder layouts, random aligned crops, flips, and a
bounded cache of decoded images so two CPU cores are not spent on PNG decoding every step.

Crops are drawn from a random generator seeded per sample (see `sampler.EpochSampler`), not from
the process-wide one, so the batches of a run do not depend on how many DataLoader workers made
them or on where the run was interrupted and resumed.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Callable, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ..manifest import PairPath, read_manifest, scan_folders  # noqa: F401 (train.loop reads them here)

#: A dataset key: a plain index (crop from numpy's global generator) or (index, seed words).
SampleKey = Union[int, tuple[int, Sequence[int]]]


def load_pair(pair: PairPath, *, same_size: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """RGB HxWx3 uint8 and thermal HxW uint8 (3-channel thermal files become one channel).
    With `same_size`, a thermal image of another size is resampled to the colour grid so crops
    line up; validation keeps native sizes (that is what the codec sees)."""
    rgb = Image.open(pair.rgb).convert("RGB")
    ir = Image.open(pair.ir).convert("L")
    if same_size and ir.size != rgb.size:
        ir = ir.resize(rgb.size, Image.BICUBIC)
    return np.array(rgb), np.array(ir)  # writable: torch.from_numpy warns on read-only arrays


class DecodedCache:
    """LRU of decoded pairs bounded in bytes (per process: each DataLoader worker has its own)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.nbytes = 0

    def get(self, key: int, load: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = load()
        size = value[0].nbytes + value[1].nbytes
        if size <= self.max_bytes:
            self.items[key] = value
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, old = self.items.popitem(last=False)
                self.nbytes -= old[0].nbytes + old[1].nbytes
        return value


def random_crop(rgb: np.ndarray, ir: np.ndarray, crop: int, rng: np.random.Generator | None,
                augment: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The same `crop`-square window of both modalities (reflect-padded if smaller), flipped
    left-right half the time; -> (3,c,c) and (1,c,c) float tensors in [0, 1].
    rng None draws from numpy's global generator."""
    randint = rng.integers if rng is not None else np.random.randint
    rand = rng.random if rng is not None else np.random.rand
    h, w = ir.shape
    c = crop
    if h < c or w < c:
        ph, pw = max(0, c - h), max(0, c - w)
        mode = "reflect" if ph < h and pw < w else "symmetric"  # reflect needs pad < size
        rgb = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode=mode)
        ir = np.pad(ir, ((0, ph), (0, pw)), mode=mode)
        h, w = ir.shape
    y = int(randint(0, h - c + 1))
    x = int(randint(0, w - c + 1))
    rgb = rgb[y : y + c, x : x + c]
    ir = ir[y : y + c, x : x + c]
    if augment and rand() < 0.5:
        rgb, ir = rgb[:, ::-1], ir[:, ::-1]
    rgb_t = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255)
    ir_t = torch.from_numpy(np.ascontiguousarray(ir))[None].float().div_(255)
    return rgb_t, ir_t


class PairCrops(Dataset):
    """Random crops at the same place in both modalities, with random flips.

    Returns (rgb (3,h,w), ir (1,h,w)) float tensors in [0, 1]. Images smaller than the crop are
    reflect-padded. Each epoch visits every pair `repeat` times. A key `(index, seed_words)`
    crops with `np.random.default_rng(seed_words)` (reproducible anywhere); a plain int with the
    global generator.
    """

    def __init__(self, pairs: list[PairPath], crop: int = 256, *, repeat: int = 1,
                 cache_mb: int = 1024, augment: bool = True) -> None:
        if not pairs:
            raise ValueError("no training pairs")
        self.pairs = pairs
        self.crop = crop
        self.repeat = max(1, repeat)
        self.augment = augment
        self.cache = DecodedCache(cache_mb << 20)

    def __len__(self) -> int:
        return len(self.pairs) * self.repeat

    def __getitem__(self, key: SampleKey) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(key, tuple):
            index, seed_words = key
            rng: np.random.Generator | None = np.random.default_rng(list(seed_words))
        else:
            index, rng = key, None
        i = int(index) % len(self.pairs)
        rgb, ir = self.cache.get(i, lambda: load_pair(self.pairs[i]))
        return random_crop(rgb, ir, self.crop, rng, self.augment)
