"""The ROS-free rate controller (codecs/rate_control.py) used by `bag compress --target-kbps`."""
from __future__ import annotations

import math

import pytest

from rgbir_compress.codecs.rate_control import RateController


def fake_codec_bytes(quality: float) -> int:
    """A codec whose size grows 16x from quality 0 to 1 (log-linear, like the real ones)."""
    return int(2000 * 2 ** (4 * quality))


@pytest.mark.parametrize("target_kbps", [250.0, 600.0, 1500.0])
def test_converges_to_target(target_kbps):
    ctl = RateController(target_kbps, quality=0.5)
    for i in range(200):
        ctl.update_at(fake_codec_bytes(ctl.quality), i * 0.1)  # 10 Hz
    achieved = fake_codec_bytes(ctl.quality) * 8 * 10 / 1000
    assert achieved == pytest.approx(target_kbps, rel=0.08)


def test_unreachable_target_saturates():
    ctl = RateController(1.0, quality=0.5)
    for i in range(100):
        ctl.update(fake_codec_bytes(ctl.quality), 0.1)
    assert ctl.quality == 0.0
    ctl = RateController(1e9)
    for _ in range(100):
        ctl.update(fake_codec_bytes(ctl.quality), 0.1)
    assert ctl.quality == 1.0


def test_step_is_bounded_and_inputs_checked():
    ctl = RateController(100.0, quality=0.5, max_step=0.05)
    q = ctl.update(10**9, 0.1)
    assert math.isclose(q, 0.45)
    with pytest.raises(ValueError):
        RateController(0)


def test_the_shared_step_matches_the_controller_and_switches_at_run_time():
    """RateControlledQuality (encoder node and bag compress) steers exactly like a RateController
    fed by stamps, keeps the fixed quality without a target and restarts from the quality in use."""
    from rgbir_compress.codecs.rate_control import RateControlledQuality

    step, ctl = RateControlledQuality(0.5, 300.0), RateController(300.0, quality=0.5)
    for i in range(30):
        q = step.quality
        assert q == ctl.quality
        step.sent(fake_codec_bytes(q), i * 0.1)
        ctl.update_at(fake_codec_bytes(q), i * 0.1)
    steered = step.quality
    step.set_target(0)
    assert step.quality == 0.5  # back to the fixed quality
    step.set_quality(0.7)
    step.sent(10**6, 3.1)
    assert step.quality == 0.7
    step.set_target(300.0)
    assert step.quality == 0.7 and step.controller is not None and steered != 0.5
