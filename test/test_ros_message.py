"""Issue 2: two processes exchange one CompressedRGBIR with 200 kB bitstreams over real DDS on
loopback, and every field arrives exactly as it was sent.

The test spawns this file twice as a script (roles `pub` and `sub`); the subscriber writes the
serialized message it received, and the test deserializes it and compares field for field with
the message both sides build from the same seed.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

TOPIC = "rgbir_test/compressed"
MATCH_TIMEOUT_S = 30.0
RECEIVE_TIMEOUT_S = 45.0
PAYLOAD = 200_000


def build_pair():
    """The deterministic CompressedPair both processes send / expect."""
    from rgbir_compress.codecs.base import CompressedPair
    from rgbir_compress.frame import Stamp

    rng = np.random.default_rng(2024)
    return CompressedPair(
        codec="hyperprior", model_id="hyperprior@0123456789abcdef", quality=0.625,
        rgb_height=512, rgb_width=640, rgb_encoding="bgr8",
        thermal_height=480, thermal_width=640, thermal_encoding="mono16",
        rgb_data=rng.integers(0, 256, PAYLOAD, dtype=np.uint8).tobytes(),
        thermal_data=rng.integers(0, 256, PAYLOAD + 17, dtype=np.uint8).tobytes(),
        affine_gamma=rng.normal(1, 0.1, 192).astype(np.float32),
        affine_beta=rng.normal(0, 0.1, 192).astype(np.float32),
        thermal_lo=20011, thermal_hi=29876, thermal_max_error=3,
        stamp=Stamp(1_700_000_123, 456_789_012), frame_id="camera_rgb_optical",
        thermal_stamp=Stamp(1_700_000_123, 461_000_000), thermal_frame_id="camera_ir_optical",
    )


def build_message():
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    from rgbir_compress.container.message import to_message
    from rgbir_compress.msg import CompressedRGBIR

    return to_message(build_pair(), CompressedRGBIR, Header, Time)


def _qos():
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(depth=2, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.RELIABLE)


def _wait(node, done, timeout_s: float) -> bool:
    import rclpy

    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    return done()


def run_publisher() -> int:
    import rclpy
    from rclpy.duration import Duration

    from rgbir_compress.msg import CompressedRGBIR

    rclpy.init()
    try:
        node = rclpy.create_node("rgbir_test_pub")
        pub = node.create_publisher(CompressedRGBIR, TOPIC, _qos())
        if not _wait(node, lambda: pub.get_subscription_count() > 0, MATCH_TIMEOUT_S):
            print("publisher: no subscriber matched", file=sys.stderr)
            return 3
        pub.publish(build_message())
        if not pub.wait_for_all_acked(Duration(seconds=RECEIVE_TIMEOUT_S)):
            print("publisher: message not acknowledged", file=sys.stderr)
            return 4
        return 0
    finally:
        rclpy.try_shutdown()


def run_subscriber(out: Path) -> int:
    import rclpy
    from rclpy.serialization import serialize_message

    from rgbir_compress.msg import CompressedRGBIR

    rclpy.init()
    try:
        node = rclpy.create_node("rgbir_test_sub")
        got: list = []
        node.create_subscription(CompressedRGBIR, TOPIC, got.append, _qos())
        if not _wait(node, lambda: bool(got), MATCH_TIMEOUT_S + RECEIVE_TIMEOUT_S):
            print("subscriber: nothing received", file=sys.stderr)
            return 3
        out.write_bytes(serialize_message(got[0]))
        return 0
    finally:
        rclpy.try_shutdown()


# ------------------------------------------------------------------------------------------------
rclpy = pytest.importorskip("rclpy")
pytestmark = [pytest.mark.ros]


def _child_env() -> dict[str, str]:
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONUNBUFFERED="1")
    env.pop("RMW_IMPLEMENTATION", None)
    return env


def _field_equal(a, b) -> bool:
    if hasattr(a, "get_fields_and_field_types"):
        return all(_field_equal(getattr(a, f), getattr(b, f)) for f in a.get_fields_and_field_types())
    if isinstance(a, (str, int, float)):
        return type(a) is type(b) and a == b
    return np.array_equal(np.asarray(a), np.asarray(b)) and len(a) == len(b)


@pytest.mark.timeout(120)
def test_two_processes_exchange_compressed_rgbir(tmp_path: Path) -> None:
    from rclpy.serialization import deserialize_message

    from rgbir_compress.container.message import from_message
    from rgbir_compress.msg import CompressedRGBIR

    out = tmp_path / "received.cdr"
    me = str(Path(__file__).resolve())
    env = _child_env()
    sub = subprocess.Popen([sys.executable, me, "sub", str(out)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        pub = subprocess.run([sys.executable, me, "pub"], env=env, capture_output=True, text=True,
                             timeout=MATCH_TIMEOUT_S + RECEIVE_TIMEOUT_S + 15)
        sub_out, _ = sub.communicate(timeout=RECEIVE_TIMEOUT_S + 15)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    assert pub.returncode == 0, pub.stdout + pub.stderr
    assert sub.returncode == 0, sub_out

    received = deserialize_message(out.read_bytes(), CompressedRGBIR)
    sent = build_message()
    for name in sent.get_fields_and_field_types():
        assert _field_equal(getattr(sent, name), getattr(received, name)), f"field {name} differs"
    assert len(received.rgb_data) == PAYLOAD and len(received.thermal_data) == PAYLOAD + 17

    cp, expected = from_message(received), build_pair()  # crc32 checks out and fields map back 1:1
    for name in ("codec", "model_id", "rgb_encoding", "thermal_encoding", "rgb_data", "thermal_data",
                 "frame_id", "thermal_frame_id", "stamp", "thermal_stamp", "thermal_lo", "thermal_hi",
                 "thermal_max_error"):
        assert getattr(cp, name) == getattr(expected, name), name
    assert cp.quality == pytest.approx(expected.quality)
    np.testing.assert_array_equal(cp.affine_gamma, expected.affine_gamma)
    np.testing.assert_array_equal(cp.affine_beta, expected.affine_beta)


if __name__ == "__main__":
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    role = sys.argv[1]
    sys.exit(run_publisher() if role == "pub" else run_subscriber(Path(sys.argv[2])))
