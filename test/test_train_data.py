"""Issue 5: training data: manifest and folder layouts, aligned crops, thermal to one channel,
and a sampler whose batches depend only on (seed, epoch, position)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from train_support import write_synthetic_set

from conftest import synthetic_pair
from rgbir_compress.train.data import PairCrops, random_crop, read_manifest, scan_folders
from rgbir_compress.train.sampler import EpochSampler, batches_per_epoch, repeat_for


def test_manifest_filters_and_three_channel_thermal(tmp_path):
    manifest = write_synthetic_set(tmp_path, n_train=3, n_val=1)
    train = read_manifest(manifest, split="train")
    assert len(train) == 3 and len(read_manifest(manifest, split="val", source="synth")) == 1
    assert len(read_manifest(manifest, split="train,val")) == 4  # several splits, comma-separated
    crops = PairCrops(train, crop=64)
    rgb, ir = crops[(1, (0, 0, 1))]  # pair 1 stores its thermal as 3 identical channels
    assert rgb.shape == (3, 64, 64) and ir.shape == (1, 64, 64)
    assert torch.equal(crops[(1, (0, 0, 1))][1], ir)  # the seed words fix the crop


@pytest.mark.parametrize("layout,names", [("llvip", ("visible", "infrared")), ("kaist", ("visible", "lwir"))])
def test_folder_layouts_pair_by_stem(tmp_path, layout, names):
    for split in ("train", "test"):
        for stem in ("a", "b"):
            rgb, ir = synthetic_pair(32, 32, seed=len(stem))
            for name, img in zip(names, (rgb, ir)):
                (tmp_path / split / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(tmp_path / split / name / f"{stem}.png")
    (tmp_path / "train" / names[0] / "unpaired.png").write_bytes(b"")
    pairs = scan_folders(tmp_path, layout)
    assert len(pairs) == 4 and all(p.rgb.stem == p.ir.stem for p in pairs)


def test_crop_is_aligned_and_pads_small_images():
    rgb = np.arange(40 * 30 * 3, dtype=np.uint32).reshape(40, 30, 3).astype(np.uint8)
    ir = rgb[:, :, 0].copy()
    r, t = random_crop(rgb, ir, 64, np.random.default_rng(1))
    assert r.shape == (3, 64, 64) and torch.equal(r[0], t[0])  # same window, same flip


def test_sampler_shards_resume_and_epochs():
    n, world, batch = 10, 2, 2
    full = [list(EpochSampler(n, 7, 0, 0, rank, world)) for rank in range(world)]
    assert not {k[0] for k in full[0]} & {k[0] for k in full[1]}  # ranks see disjoint pairs
    assert list(EpochSampler(n, 7, 0, 2, 1, world)) == full[1][2:]  # resume at sample 2
    assert list(EpochSampler(n, 7, 1, 0, 0, world)) != full[0]  # a new permutation per epoch
    assert batches_per_epoch(n, world, batch) == 2
    assert repeat_for(3, 2, 2) == 2 and repeat_for(100, 2, 8) == 1
