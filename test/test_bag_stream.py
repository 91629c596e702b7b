"""`bag compress` / `decompress` / `info` with a stream (video) codec: in order, key frames at the
interval, every pair restored, the PSNR sampling does not break the stream."""
from __future__ import annotations

import pytest

pytest.importorskip("av")
pytest.importorskip("rosbags")

from rgbir_compress.bag.compress import CompressOptions, compress_bag  # noqa: E402
from rgbir_compress.bag.decompress import DecompressOptions, decompress_bag  # noqa: E402
from rgbir_compress.bag.synthetic import write_synthetic_bag  # noqa: E402
from rgbir_compress.container.message import from_message  # noqa: E402
from rosbags.highlevel import AnyReader  # noqa: E402


def _compressed(path) -> list:
    with AnyReader([path]) as reader:
        return [from_message(reader.deserialize(raw, c.msgtype))
                for c, _, raw in reader.messages() if c.topic == "/rgbir/compressed"]


@pytest.mark.parametrize("codec", ["h264-stream", "hevc-stream"])
def test_stream_codec_bag_round_trip_with_key_frames_at_the_interval(tmp_path, codec):
    bag = write_synthetic_bag(tmp_path / "in", pairs=12, height=64, width=96)
    opts = CompressOptions(bag.rgb_topic, bag.ir_topic, codec=codec, quality=0.7, progress=False,
                           psnr_every=3, jobs=2, key_interval_s=0.5, rate_hz=10.0)
    rep = compress_bag(bag.path, tmp_path / "small", opts)
    assert rep.pairs == 12 and rep.problems.total == 0, rep.summary()
    assert rep.psnr_rgb and min(rep.psnr_rgb) > 25 and min(rep.psnr_ir) > 25, rep.summary()
    cps = _compressed(tmp_path / "small")
    assert [cp.seq for cp in cps] == list(range(12)) and len({cp.stream_id for cp in cps}) == 1
    assert [i for i, cp in enumerate(cps) if cp.key_frame] == [0, 5, 10]  # 0.5 s at 10 Hz
    drep = decompress_bag(tmp_path / "small", tmp_path / "restored", DecompressOptions(progress=False, jobs=2))
    assert drep.pairs == 12 and drep.problems.total == 0, drep.summary()


def test_bag_info_shows_the_gop_structure(tmp_path):
    from rgbir_compress.bag.info import bag_info, format_info

    bag = write_synthetic_bag(tmp_path / "in", pairs=8, height=48, width=64)
    opts = CompressOptions(bag.rgb_topic, bag.ir_topic, codec="h264-stream", progress=False, psnr_every=0,
                           key_interval_s=0.4, rate_hz=10.0)
    compress_bag(bag.path, tmp_path / "small", opts)
    info = bag_info(tmp_path / "small")
    coding = info.to_dict()["coding"]["/rgbir/compressed"]
    assert coding["key_frames"] == 2 and coding["streams"] == 1 and coding["seq_gaps"] == 0, coding
    assert "key frames: 2 of 8 (every 4.0 pairs" in format_info(info)
