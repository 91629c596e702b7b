"""`bag extract` of a stream (video) codec's topic: with --every/--start it decodes from the nearest
key frame before each wanted pair (the ones in between decoded, not written), gives the same images
as a full extraction, and a pair whose references are missing from the bag is reported, not written."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("av")
pytest.importorskip("rosbags")

from rosbags.rosbag2 import Reader, Writer  # noqa: E402

from rgbir_compress.bag.compress import CompressOptions, compress_bag  # noqa: E402
from rgbir_compress.bag.extract import ExtractOptions, extract_bag  # noqa: E402
from rgbir_compress.bag.synthetic import write_synthetic_bag  # noqa: E402
from rgbir_compress.cli import main  # noqa: E402
from rgbir_compress.metrics import psnr  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402

H, W, PAIRS = 64, 96, 12
TOPIC = "/rgbir/compressed"


@pytest.fixture(scope="module")
def stream_bag(tmp_path_factory):
    """12 pairs at 10 Hz, h264-stream, key frames at pairs 0, 5, 10 (0.5 s)."""
    tmp = tmp_path_factory.mktemp("stream")
    bag = write_synthetic_bag(tmp / "in", pairs=PAIRS, height=H, width=W)
    opts = CompressOptions(bag.rgb_topic, bag.ir_topic, codec="h264-stream", quality=0.7, progress=False,
                           psnr_every=0, key_interval_s=0.5, rate_hz=10.0)
    assert compress_bag(bag.path, tmp / "small", opts).pairs == PAIRS
    return bag, tmp / "small"


def _stem(stamp) -> str:
    return f"{stamp.sec}_{stamp.nanosec:09d}"


def _written(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {p.stem: (np.asarray(Image.open(p)), np.asarray(Image.open(root / "ir" / p.name)))
            for p in sorted((root / "rgb").glob("*.png"))}


def _opts(**kw) -> ExtractOptions:
    return ExtractOptions(compressed_topic=TOPIC, progress=False, **kw)


def test_every_n_starts_at_the_key_frame_before_each_wanted_pair(tmp_path, stream_bag):
    bag, small = stream_bag
    full = extract_bag(small, tmp_path / "all", _opts())
    assert full.pairs == PAIRS and full.decoded_between == 0 and full.problems.total == 0, full.summary()
    rep = extract_bag(small, tmp_path / "every3", _opts(every=3))
    # wanted 0, 3, 6, 9; decoded on the way: 1, 2 (for 3), 5 (key, for 6), 7, 8 (for 9); 4, 10, 11 never
    assert rep.pairs == 4 and rep.decoded_between == 5 and rep.problems.total == 0, rep.summary()
    every3, everything = _written(tmp_path / "every3"), _written(tmp_path / "all")
    assert sorted(every3) == [_stem(bag.rgb_stamps[i]) for i in (0, 3, 6, 9)]
    scene = SyntheticScene(H, W, 0)
    for i in (0, 3, 6, 9):
        rgb, ir = every3[_stem(bag.rgb_stamps[i])]
        # bit-identical to decoding every message, and the right frame (not a neighbour)
        assert all(np.array_equal(a, b) for a, b in zip((rgb, ir), everything[_stem(bag.rgb_stamps[i])]))
        assert psnr(scene.frame(i)[0], rgb) > 28 and psnr(scene.frame(i)[1], ir) > 28
    assert "decoded to reach them from a key frame (not written): 5" in rep.summary()


def test_cli_every_and_start(tmp_path, stream_bag, capsys):
    bag, small = stream_bag
    out = tmp_path / "late"
    # from 0.65 s: pairs 7..11 (log time = stamp + 1 ms), every 2nd: 7, 9, 11; 7 decoded from key frame 5
    assert main(["bag", "extract", str(small), str(out), "--every", "2", "--start", "0.65", "--no-progress"]) == 0
    assert sorted(_written(out)) == [_stem(bag.rgb_stamps[i]) for i in (7, 9, 11)]
    text = capsys.readouterr().out
    assert "pairs written: 3; decoded to reach them from a key frame (not written): 4" in text, text  # 5 6 8 10


def _drop(src: Path, dst: Path, seq_index: int) -> None:
    """Copy bag `src` without the `seq_index`-th compressed message (a gap in the recording)."""
    with Reader(src) as reader, Writer(dst, version=9) as writer:
        conns = {c.id: writer.add_connection(c.topic, c.msgtype, msgdef=c.msgdef.data, rihs01=c.digest,
                                             offered_qos_profiles=c.ext.offered_qos_profiles)
                 for c in reader.connections}
        n = 0
        for conn, t, raw in reader.messages():
            if conn.topic == TOPIC:
                n += 1
                if n - 1 == seq_index:
                    continue
            writer.write(conns[conn.id], t, bytes(raw))


def test_a_gap_in_the_bag_is_reported_never_written_wrong(tmp_path, stream_bag):
    bag, small = stream_bag
    _drop(small, tmp_path / "gap", 7)
    # messages now carry seq 0..6, 8..11; --every 2 wants seq 0, 2, 4, 6, 9, 11: 9 needs the missing 7
    rep = extract_bag(tmp_path / "gap", tmp_path / "out", _opts(every=2))
    assert rep.pairs == 5 and rep.problems.counts == {"pair not decodable": 1}, rep.summary()
    written = _written(tmp_path / "out")
    assert sorted(written) == [_stem(bag.rgb_stamps[i]) for i in (0, 2, 4, 6, 11)]
    message = rep.problems.messages[0]
    assert _stem(bag.rgb_stamps[9]) in message and "seq 9" in message and "seq 7" in message, message
    assert "missing from the bag" in message and "NeedKeyFrame" in message, message
    scene = SyntheticScene(H, W, 0)
    rgb, ir = written[_stem(bag.rgb_stamps[11])]  # back at key frame 10
    assert psnr(scene.frame(11)[0], rgb) > 28 and psnr(scene.frame(11)[1], ir) > 28
