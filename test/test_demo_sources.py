"""The demo's camera stand-ins (rgbir_harness/sources.py): frames at their own size unless a size is
given, a sequence prefix read as its MP4 pair at the asked rate, and no more frames held than asked."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rgbir_compress.scene import SyntheticScene
from rgbir_harness.sources import path_source

SEQUENCES = Path(__file__).resolve().parents[2] / "shared" / "data" / "rgbt_seq"


def test_folder_plays_at_its_own_size_or_the_given_one(tmp_path):
    scene = SyntheticScene(72, 96)
    for d in ("rgb", "ir"):
        (tmp_path / d).mkdir()
    for i in range(5):
        rgb, ir = scene.frame(i)
        Image.fromarray(rgb).save(tmp_path / "rgb" / f"{i}.png")
        Image.fromarray(ir).save(tmp_path / "ir" / f"{i}.png")
    frames = path_source(tmp_path, 10.0, limit=3)
    assert len(frames) == 3 and frames.size == (72, 96)
    assert np.array_equal(frames(4)[0], scene.frame(1)[0]) and frames(4)[1].shape == (72, 96)  # looped
    assert path_source(tmp_path, 10.0, limit=3, size=(48, 64))(0)[1].shape == (48, 64)
    with pytest.raises(SystemExit, match="neither a folder"):
        path_source(tmp_path / "nope", 10.0, limit=3)


@pytest.mark.skipif(not (SEQUENCES / "0111_1716_rgb.mp4").is_file(), reason="no ../shared/data/rgbt_seq")
def test_sequence_prefix_reads_every_third_frame_at_10_hz():
    pytest.importorskip("av")
    import av

    frames = path_source(SEQUENCES / "0111_1716", 10.0, limit=4)
    assert len(frames) == 4 and frames.size == (480, 640)
    rgb, ir = frames(1)
    assert rgb.shape == (480, 640, 3) and ir.shape == (480, 640) and ir.dtype == np.uint8
    with av.open(str(SEQUENCES / "0111_1716_rgb.mp4")) as c:
        third = [f.to_ndarray(format="rgb24") for _, f in zip(range(4), c.decode(video=0))][3]
    assert np.array_equal(rgb, third)  # pair 1 at 10 Hz is camera frame 3
