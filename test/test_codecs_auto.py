"""codec auto (codecs/auto.py) and the speed presets: the choice from a measured table, CUDA,
calibration, nothing-keeps-up, explicit override, and the logged / diagnosed reason."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from rgbir_compress.codecs import create, names
from rgbir_compress.codecs import auto
from rgbir_compress.codecs.auto import AutoCodec, choose
from rgbir_compress.codecs.catalog import presets
from rgbir_compress.codecs.defaults import DEFAULT_CODEC
from rgbir_compress.codecs.speed_table import CPU, Entry
from rgbir_compress.frame import ImagePair

TABLE = (  # fake measurements: best RD is slowest
    Entry("jpeg", 0.0, 0.0, 2.0, 2.0),
    Entry("webp-m0", -10.0, -10.0, 10.0, 5.0),
    Entry("avif-s9", -30.0, -30.0, 30.0, 10.0),
    Entry("hevc-ultrafast", -40.0, -40.0, 140.0, 20.0),
)


def test_default_codec_is_auto_and_presets_are_registered() -> None:
    assert DEFAULT_CODEC == "auto"
    assert {"auto", *presets()} <= set(names()) and len(presets()) == 8
    assert {e.codec for e in CPU} <= set(names())


def test_cpu_choice_is_best_rd_that_keeps_up() -> None:
    c = choose(cuda=False, rate_hz=10, size=(640, 512), table=TABLE)
    assert c.codec == "avif-s9" and c.keeps_up
    assert "no CUDA" in c.reason and "hevc-ultrafast" in c.reason  # says what was too slow


def test_choice_scales_with_pixels_and_rate() -> None:
    assert choose(cuda=False, rate_hz=5, size=(1280, 1024), table=TABLE).codec == "webp-m0"  # 4x pixels
    assert choose(cuda=False, rate_hz=10, size=(1280, 1024), table=TABLE).codec == "jpeg"
    assert choose(cuda=False, rate_hz=2, size=(640, 512), table=TABLE).codec == "hevc-ultrafast"


def test_calibration_overrides_a_table_that_is_too_optimistic() -> None:
    measured = {"avif-s9": 80.0, "webp-m0": 20.0}
    c = choose(cuda=False, rate_hz=10, size=(640, 512), table=TABLE, measure=lambda name, size: measured[name])
    assert c.codec == "webp-m0" and c.measured_ms == 20.0
    assert "avif-s9 80 ms (measured here)" in c.reason


def test_nothing_keeps_up_runs_the_fastest_and_says_so() -> None:
    c = choose(cuda=False, rate_hz=1000, size=(1920, 1080), table=TABLE)
    assert c.codec == "jpeg" and not c.keeps_up
    assert "NO codec keeps 1000 Hz" in c.reason and "expect dropped pairs" in c.reason


def test_cuda_takes_the_learned_codec_when_it_loads() -> None:
    c = choose(cuda=True, rate_hz=10, size=(640, 512), table=TABLE, learned=("hyperprior",))
    assert c.codec == "hyperprior" and "CUDA" in c.reason
    c = choose(cuda=True, rate_hz=10, size=(640, 512), table=TABLE, learned=("hyperprior",),
               learned_available=lambda name: False)
    assert c.codec == "avif-s9" and "no learned codec loads" in c.reason


def test_auto_codec_without_cuda_logs_encodes_and_a_decoder_reads_it(monkeypatch) -> None:
    monkeypatch.setattr(auto, "cuda_available", lambda device: False)
    monkeypatch.setattr(auto.speed_table, "CPU", TABLE[:2])
    monkeypatch.setattr(auto, "choose", lambda **kw: choose(**{**kw, "table": TABLE[:2]}))
    lines = []
    codec = AutoCodec(calibrate_at_start=False, log=lambda level, text: lines.append((level, text)))
    assert codec.name == "auto" and codec.status_values()["auto_codec"] == ""
    rng = np.random.default_rng(0)
    pair = ImagePair(rgb=rng.integers(0, 255, (64, 80, 3), np.uint8), thermal=rng.integers(0, 255, (64, 80), np.uint8))
    cp = codec.encode(pair, 0.5)
    assert cp.codec == "webp-m0" == codec.name  # the stream names the real codec, never "auto"
    assert lines and lines[0][0] == "info" and "codec auto -> webp-m0" in lines[0][1]
    status = codec.status_values()
    assert status["auto_codec"] == "webp-m0" and status["auto_keeps_up"] is True and "80x64" in status["auto_reason"]
    out = create(cp.codec).decode(cp)  # what a decoder node does with the stream's codec name
    assert out.rgb.shape == pair.rgb.shape


def test_auto_warns_when_nothing_keeps_up(monkeypatch) -> None:
    monkeypatch.setattr(auto, "cuda_available", lambda device: False)
    lines = []
    codec = AutoCodec(rate_hz=1e6, calibrate_at_start=False, log=lambda level, text: lines.append((level, text)))
    choice = codec.select((640, 512))
    assert not choice.keeps_up and choice.codec == "jpeg"
    assert lines[0][0] == "warning" and "NO codec keeps" in lines[0][1]


def test_presets_keep_the_base_quality_map_and_differ_only_in_encoder_options() -> None:
    for name, entry in presets().items():
        module, _, attr = entry.target.partition(":")
        base, options = getattr(importlib.import_module(module), attr), entry.options
        codec = create(name)
        assert codec.quality_map == base.quality_map
        assert codec.options == {**base.defaults, **options}
        assert name in names() and codec.quality_help.startswith(base.quality_help)


@pytest.mark.parametrize("name", ["webp-m0", "avif-s9", "jpegxl-e1"])
def test_preset_roundtrip(name: str) -> None:
    rng = np.random.default_rng(1)
    pair = ImagePair(rgb=rng.integers(0, 255, (48, 64, 3), np.uint8), thermal=rng.integers(0, 255, (48, 64), np.uint8))
    codec = create(name)
    out = codec.decode(codec.encode(pair, 0.7))
    assert out.rgb.shape == pair.rgb.shape and out.thermal.shape == pair.thermal.shape


def test_bag_compress_defaults_to_auto(tmp_path, monkeypatch) -> None:
    pytest.importorskip("rosbags")
    from rgbir_compress.bag.compress import CompressOptions, compress_bag
    from rgbir_compress.bag.synthetic import write_synthetic_bag

    monkeypatch.setattr(auto, "cuda_available", lambda device: False)
    bag = write_synthetic_bag(tmp_path / "in", pairs=4, height=48, width=64)
    opts = CompressOptions(rgb_topic=bag.rgb_topic, ir_topic=bag.ir_topic, progress=False, psnr_every=1)
    rep = compress_bag(bag.path, tmp_path / "out", opts)
    assert rep.pairs == 4 and rep.codec in {e.codec for e in CPU}, rep.summary()
    assert rep.psnr_rgb and min(rep.psnr_rgb) > 20  # tiny noisy synthetic frames
