"""Issue 5: training pairs streamed from a rosbag are the time-synchronised pairs of its two image
topics (nearest stamps within the slop, strays dropped), shard over ranks and workers without
overlap, and restart at any sample exactly."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from train_support import BAG_FRAMES as FRAMES
from train_support import BAG_IR as IR
from train_support import BAG_RGB as RGB
from train_support import write_synthetic_bag

from rgbir_compress.bag.types import image_classes
from rgbir_compress.imagemsg import array_to_image
from rgbir_compress.bag.types import jazzy_store
from rgbir_compress.frame import Stamp
from rgbir_compress.train.bag_dataset import BagPairs, thermal_of


def _index(rgb: torch.Tensor) -> int:
    return round(float(rgb[0, -1, -1]) * 255 / 20)


def _ir_index(ir: torch.Tensor, frame_index: int) -> int:
    """The frame index the thermal sample encodes (see _write_bag), read mid-image."""
    value = float(ir[0, 20, -1]) * 255
    return round((value - 5) / 20) if frame_index % 2 else round(value / 25.5)


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    path = tmp_path_factory.mktemp("bags") / "pairs"
    write_synthetic_bag(path)
    return path


def _samples(dataset) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return list(dataset)


def test_yields_each_synchronised_pair_once_in_order(bag):
    samples = _samples(BagPairs(bag, RGB, IR, crop=40, passes=1, augment=False))
    indices = [_index(rgb) for rgb, _ in samples]
    assert indices == list(range(FRAMES))  # the stray thermal frame paired with nothing
    for rgb, ir in samples:
        assert rgb.shape == (3, 40, 40) and ir.shape == (1, 40, 40)  # thermal resized to colour
        assert _ir_index(ir, _index(rgb)) == _index(rgb)


def test_ranks_and_workers_split_the_stream_and_resume_exactly(bag):
    kwargs = dict(crop=24, passes=2, shuffle=4, seed=3, batch_size=2)
    whole = _samples(BagPairs(bag, RGB, IR, **kwargs))
    assert sorted(_index(r) for r, _ in whole) == sorted(list(range(FRAMES)) * 2)
    ranks = [_samples(BagPairs(bag, RGB, IR, rank=r, world=2, **kwargs)) for r in (0, 1)]
    assert [torch.equal(a[0], b[0]) for a, b in zip(whole[0::2], ranks[0])] == [True] * len(ranks[0])
    assert len(ranks[0]) + len(ranks[1]) == len(whole)

    resumed = _samples(BagPairs(bag, RGB, IR, start=3, **kwargs))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(whole[3:], resumed))
    assert len(resumed) == len(whole) - 3

    loader = DataLoader(BagPairs(bag, RGB, IR, **kwargs), batch_size=2, num_workers=2)
    batched = torch.cat([rgb for rgb, _ in loader])
    assert torch.equal(batched, torch.stack([rgb for rgb, _ in whole]))


def test_unknown_topic_names_the_topics(bag):
    with pytest.raises(ValueError, match="/cam/rgb"):
        next(iter(BagPairs(bag, "/nope", IR, passes=1)))


def test_three_channel_thermal_becomes_one_channel():
    store = jazzy_store()
    img = np.stack([np.arange(12, dtype=np.uint8).reshape(3, 4)] * 3, axis=2)
    out = thermal_of(array_to_image(img, "bgr8", Stamp(), "t", *image_classes(store), data_as_array=True))
    assert out.shape == (3, 4) and np.array_equal(out, img[:, :, 0])
