"""ROS-free pieces of the node layer: rates, percentiles, counters, per-problem logging, codec loading."""
from __future__ import annotations

import math

import pytest

from rgbir_compress.codecs.factory import open_codec
from rgbir_compress.errors import CodecUnavailable
from rgbir_compress.ros.diagnostics import ProblemLog
from rgbir_compress.scene import SyntheticScene
from rgbir_compress.ros.stats import Counters, Percentiles, RateMeter


def test_rate_meter_window() -> None:
    meter = RateMeter(window_s=2.0)
    for i in range(21):
        meter.tick(1000, now=10.0 + 0.1 * i)  # 10 Hz, 1000 bytes each, for 2 s
    hz, kbps = meter.rates(now=12.0)
    assert hz == pytest.approx(10.5, rel=0.05) and kbps == pytest.approx(84, rel=0.05)
    assert meter.rates(now=30.0) == (0.0, 0.0)  # everything aged out
    assert meter.total == 21 and meter.total_bytes == 21000


def test_percentiles_and_counters() -> None:
    p = Percentiles(size=100)
    assert all(math.isnan(v) for v in p.p(50, 95))
    for v in range(1, 201):
        p.add(float(v))  # only the last 100 are kept
    p50, p95 = p.p(50, 95)
    assert p50 == pytest.approx(150.5) and p95 == pytest.approx(195.05)
    c = Counters("a")
    c.inc("a")
    c.inc("b", 3)
    assert c.snapshot() == {"a": 1, "b": 3} and c["missing"] == 0


def test_problem_log_once_and_throttled() -> None:
    lines: list[str] = []
    log = ProblemLog(lines.append, repeat_s=60)
    assert log.once("topic-a", "bad a") and not log.once("topic-a", "bad a again")
    assert log.report("crc", "crc failed") and not log.report("crc", "crc failed")
    assert log.report("codec", "unknown codec")
    assert lines == ["bad a", "crc failed", "unknown codec"]


def test_codec_loading_and_fallback(tmp_path) -> None:
    warnings: list[str] = []
    codec = open_codec("jpeg", device="auto", weights="", threads=0, fallback="", warn=warnings.append)
    assert codec.name == "jpeg" and not warnings
    with pytest.raises(CodecUnavailable, match="unknown codec"):
        open_codec("nope", fallback="jpeg", warn=warnings.append)  # a wrong name never falls back
    pytest.importorskip("torch")
    missing = str(tmp_path / "missing.pth")
    codec = open_codec("hyperprior", device="cpu", weights=missing, fallback="jpeg", warn=warnings.append)
    assert codec.name == "jpeg" and "using fallback codec 'jpeg'" in warnings[0]
    with pytest.raises(CodecUnavailable, match="no weights"):
        open_codec("hyperprior", device="cpu", weights=missing, warn=warnings.append)
    # classical codecs take no device/weights options: the factory passes them only where accepted
    assert open_codec("webp", device="cpu", weights=missing, threads=2).name == "webp"


def test_synthetic_scene_moves_and_pairs() -> None:
    scene = SyntheticScene(64, 80, seed=1)
    (rgb0, ir0), (rgb1, ir1) = scene.frame(0), scene.frame(1)
    assert rgb0.shape == (64, 80, 3) and ir0.shape == (64, 80) and ir0.dtype.name == "uint8"
    assert (rgb0 != rgb1).any() and (ir0 != ir1).any()
    assert SyntheticScene(64, 80, mono16=True).frame(0)[1].dtype.name == "uint16"
