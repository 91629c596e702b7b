"""Stream (video) codecs through the nodes: a decoder that loses a message shows nothing wrong,
counts the gap and asks for a key frame, and the encoder answers the request at once.

A probe node plays the far ends (rgbir_harness/loopback.py). The key-frame interval is set far
beyond the test's length, so only a request can explain a key frame in the middle of a run.
"""
from __future__ import annotations

import os

import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("rgbir_compress.msg")
pytest.importorskip("av")

from builtin_interfaces.msg import Time  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from std_msgs.msg import Header, UInt32  # noqa: E402

from rgbir_compress.codecs.factory import open_codec  # noqa: E402
from rgbir_compress.container.message import to_message  # noqa: E402
from rgbir_compress.frame import ImagePair, Stamp  # noqa: E402
from rgbir_compress.msg import CompressedRGBIR  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402
from rgbir_harness.loopback import REPO, NodePair, NodeProcess, Probe, node_command, ros_env  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]
UP_TIMEOUT_S = 60.0
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
SCENE = SyntheticScene(48, 64)


def _listen_for_requests(probe: Probe) -> list[int]:
    got: list[int] = []
    probe.create_subscription(UInt32, "key_frame_request", lambda m: got.append(int(m.data)), RELIABLE)
    return got


@pytest.mark.timeout(180)
def test_encoder_node_answers_a_key_frame_request_at_once(ros_context, tmp_path) -> None:
    ns = f"/rgbir_test_stream_enc_{os.getpid()}"
    probe = Probe(ns)
    request = probe.create_publisher(UInt32, "key_frame_request", RELIABLE)
    params = {"codec": "h264-stream", "key_interval": 600.0, "diagnostics_period": 0.3}
    with NodePair(ns, params, {"diagnostics_period": 0.3}, domain_id=ros_context, log_dir=tmp_path) as nodes:
        up = probe.spin_until(lambda: probe.nodes_ready() and request.get_subscription_count() >= 1, UP_TIMEOUT_S)
        assert up and probe.warm_up(SCENE.frame), nodes.encoder.log()[-3000:]
        probe.keep_compressed = True
        for i in range(4):
            probe.publish_pair(*SCENE.frame(10 + i))
            probe.spin_for(0.15)
        assert probe.spin_until(lambda: len(probe.compressed) >= 4, 10.0)
        assert not any(m.key_frame for m in probe.compressed)  # mid-stream: predicted messages only
        request.publish(UInt32(data=probe.compressed[-1].stream_id))
        probe.spin_for(0.5)
        n = len(probe.compressed)
        probe.publish_pair(*SCENE.frame(20))
        assert probe.spin_until(lambda: len(probe.compressed) > n, 10.0)
        assert probe.compressed[n].key_frame, "the pair after the request is a key frame"
        diag = probe.fresh_diag("encoder")
        assert float(diag["key_frame_requests"]) >= 1 and diag["codec"] == "h264-stream", diag
        assert probe.spin_until(lambda: len(probe.complete()) >= 5, 10.0)  # and every pair decoded
    probe.destroy_node()


@pytest.mark.timeout(180)
def test_decoder_node_skips_a_gap_asks_for_a_key_frame_and_recovers(ros_context, tmp_path) -> None:
    ns = f"/rgbir_test_stream_dec_{os.getpid()}"
    probe = Probe(ns)
    requests = _listen_for_requests(probe)
    codec = open_codec("h264-stream", device="cpu", key_interval_s=600.0)

    def send(i: int, drop: bool = False) -> CompressedRGBIR:
        rgb, thermal = SCENE.frame(i)
        stamp = Stamp.from_ns(probe.get_clock().now().nanoseconds)
        cp = codec.encode(ImagePair(rgb=rgb, thermal=thermal, stamp=stamp, thermal_stamp=stamp), 0.6)
        msg = to_message(cp, CompressedRGBIR, Header, Time)
        if not drop:
            probe.compressed_pub.publish(msg)
        return msg

    cmd = node_command("decoder", ns, {"diagnostics_period": 0.3, "request_interval": 0.1},
                       REPO / "config" / "decoder.yaml")
    decoder = NodeProcess(cmd, tmp_path / "decoder.log", ros_env(ros_context))
    try:
        up = probe.spin_until(lambda: probe.compressed_pub.get_subscription_count() >= 1
                              and probe.count_publishers(probe.resolve_topic_name("rgb/image")) >= 1, UP_TIMEOUT_S)
        assert up, decoder.log()[-3000:]
        for i in range(60):  # warm-up: key frames until one comes back (discovery may lose the first)
            codec.request_key_frame()
            send(i)
            if probe.spin_until(lambda: probe.images_received > 0, 1.0):
                break
        assert probe.images_received > 0, decoder.log()[-3000:]
        probe.spin_for(0.3)
        probe.reset_measurements()
        requests.clear()
        before = probe.fresh_diag("decoder")
        for i in range(3):  # in order: every one decoded
            send(100 + i)
            probe.spin_for(0.2)
        assert probe.spin_until(lambda: probe.images_received >= 6, 5.0)
        send(103, drop=True)  # lost on the link
        after_gap = send(104)  # predicts from 103: must not be shown
        assert probe.spin_until(lambda: bool(requests), 5.0), decoder.log()[-3000:]
        probe.spin_for(0.3)
        assert probe.images_received == 6, "a message after a gap was shown"
        codec.request_key_frame()  # what the encoder node does on the request
        assert send(105).key_frame
        assert probe.spin_until(lambda: probe.images_received >= 8, 5.0), decoder.log()[-3000:]
        diag = probe.fresh_diag("decoder")
        assert float(diag["gaps"]) >= float(before.get("gaps") or 0) + 1, diag
        assert float(diag["key_frame_requests"]) >= 1 and float(diag["decode_failures"]) == 0, diag
        assert requests[0] == after_gap.stream_id  # the request names the lost stream
    finally:
        decoder.stop()
        probe.destroy_node()
