"""The encoder node on its default codec (auto) logs and diagnoses what it chose and
why, follows the incoming image size, and an explicit codec always wins."""
from __future__ import annotations

import os

import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("rgbir_compress.msg")

from rgbir_harness.loopback import NodePair, Probe  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]
UP_TIMEOUT_S = 60.0


def _run(ros_context, tmp_path, tag: str, encoder_params: dict):
    """Start the nodes, round-trip 64x48 pairs, return (encoder diagnostics, encoder log)."""
    ns = f"/rgbir_test_auto_{tag}_{os.getpid()}"
    probe = Probe(ns)
    nodes = NodePair(ns, {"diagnostics_period": 0.3, **encoder_params}, {"diagnostics_period": 0.3},
                     domain_id=ros_context, log_dir=tmp_path)
    nodes.__enter__()
    try:
        ok = probe.spin_until(lambda: probe.nodes_ready() or not nodes.encoder.alive(), UP_TIMEOUT_S)
        assert ok and probe.warm_up(SyntheticScene(48, 64).frame), nodes.encoder.log()[-3000:]
        return probe.fresh_diag("encoder"), nodes.encoder.log()
    finally:
        nodes.__exit__(None, None, None)
        probe.destroy_node()


@pytest.mark.timeout(180)
def test_default_auto_logs_and_publishes_its_choice(ros_context, tmp_path) -> None:
    diag, log = _run(ros_context, tmp_path, "default", {"frame_rate": 10.0})
    # chosen at start for the nominal 640x512, then again for the 64x48 pairs that came in
    assert log.count("codec auto -> ") >= 2 and "640x512" in log and "64x48" in log, log[-3000:]
    assert diag["auto_codec"] == diag["codec"] and diag["codec"] in diag["auto_reason"], diag
    assert "64x48" in diag["auto_reason"] and diag["auto_keeps_up"] == "True", diag
    assert "best measured rate-distortion" in diag["auto_reason"], diag


@pytest.mark.timeout(180)
def test_explicit_codec_wins(ros_context, tmp_path) -> None:
    diag, log = _run(ros_context, tmp_path, "explicit", {"codec": "jpeg"})
    assert diag["codec"] == "jpeg" and "auto_codec" not in diag, diag
    assert "codec auto" not in log, log[-3000:]
