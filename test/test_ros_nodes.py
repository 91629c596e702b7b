"""Issue 4: the encoder and decoder nodes in their own processes over real DDS on loopback.

A probe node in this process plays the cameras and the far end (rgbir_harness/loopback.py).
Every run has its own namespace and DDS domain; every wait has a deadline.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("rgbir_compress.msg")

from builtin_interfaces.msg import Time  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from rgbir_compress.codecs import registry  # noqa: E402
from rgbir_compress.container.message import to_message  # noqa: E402
from rgbir_compress.frame import ImagePair, Stamp  # noqa: E402
from rgbir_compress.msg import CompressedRGBIR  # noqa: E402
from rgbir_compress.ros.messages import to_image as array_to_image  # noqa: E402
from rgbir_harness.loopback import NodePair, NodeProcess, Probe, node_command, ros_env  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]
UP_TIMEOUT_S = 60.0


def _start(ros_context, tmp_path_factory, tag: str, encoder_params: dict, decoder_params: dict | None = None,
           extra_env: dict[str, str] | None = None):
    ns = f"/rgbir_test_{tag}_{os.getpid()}"
    probe = Probe(ns)
    nodes = NodePair(ns, encoder_params, {"diagnostics_period": 0.3, **(decoder_params or {})},
                     domain_id=ros_context, log_dir=tmp_path_factory.mktemp(f"nodes_{tag}"),
                     extra_env=extra_env or {})
    nodes.__enter__()
    ok = probe.spin_until(lambda: probe.nodes_ready() or not (nodes.encoder.alive() and nodes.decoder.alive()),
                          UP_TIMEOUT_S)
    ok = ok and nodes.encoder.alive() and nodes.decoder.alive() and probe.warm_up(SyntheticScene(48, 64).frame)
    if not ok:
        logs = nodes.encoder.log()[-2000:] + nodes.decoder.log()[-2000:]
        nodes.__exit__(None, None, None)
        pytest.fail(f"nodes did not come up:\n{logs}")
    return probe, nodes


@pytest.fixture(scope="module")
def loop(ros_context, tmp_path_factory):
    """Encoder (jpeg) + decoder, shared by the functional tests below."""
    probe, nodes = _start(ros_context, tmp_path_factory, "main",
                          {"codec": "jpeg", "quality": 0.8, "diagnostics_period": 0.3, "input_qos": "sensor_data"})
    probe.keep_compressed = True
    yield probe, nodes
    nodes.__exit__(None, None, None)
    probe.destroy_node()


def _send(probe: Probe, frames, period: float = 0.1, **kwargs) -> list[int]:
    stamps = []
    for rgb, thermal in frames:
        stamps.append(probe.publish_pair(rgb, thermal, **kwargs))
        probe.spin_for(period)
    return stamps


def _wait_counter(probe: Probe, which: str, key: str, at_least: float, timeout_s: float = 15.0) -> float:
    probe.spin_until(lambda: probe.counter(which, key) >= at_least, timeout_s)
    return probe.counter(which, key)


def _alive(nodes: NodePair) -> None:
    assert nodes.encoder.alive(), nodes.encoder.log()[-2000:]
    assert nodes.decoder.alive(), nodes.decoder.log()[-2000:]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("rgb_encoding, mono16", [("rgb8", False), ("bgr8", True)])
def test_n_pairs_in_n_pairs_out(loop, rgb_encoding: str, mono16: bool) -> None:
    probe, nodes = loop
    probe.reset_measurements()
    scene = SyntheticScene(256, 320, seed=3, mono16=mono16)
    n = 12
    frames = [scene.frame(i) for i in range(n)]
    if rgb_encoding == "bgr8":
        frames = [(np.ascontiguousarray(rgb[:, :, ::-1]), th) for rgb, th in frames]
    # 5 Hz: a jpeg pair takes milliseconds, so at this period the keep-newest workers drop nothing
    # even on a loaded CI machine, and every pair must come out.
    stamps = _send(probe, frames, period=0.2, rgb_encoding=rgb_encoding, thermal_offset_ns=3_000_000,
                   frame_id="cam_rgb_optical", thermal_frame_id="cam_ir_optical")
    assert probe.spin_until(lambda: len(probe.complete()) >= n, 20), probe.summary()
    pairs = {s: probe.decoded[s] for s in stamps}
    thermal_encoding = "mono16" if mono16 else "mono8"
    for stamp, r in pairs.items():
        assert r["rgb"]["stamp"] == stamp and r["rgb"]["frame_id"] == "cam_rgb_optical"
        assert r["thermal"]["stamp"] == stamp + 3_000_000 and r["thermal"]["frame_id"] == "cam_ir_optical"
        assert r["rgb"]["encoding"] == rgb_encoding and r["thermal"]["encoding"] == thermal_encoding
        assert r["rgb"]["shape"] == (256, 320) and r["thermal"]["shape"] == (256, 320)
        assert r["psnr_rgb"] > 30.0 and r["psnr_thermal"] > 30.0, r
    probe.spin_for(0.3)
    assert len(probe.complete()) == n and probe.images_received == 2 * n  # nothing extra was published
    wire = [m for m in probe.compressed if m.header.stamp.sec * 10**9 + m.header.stamp.nanosec in pairs]
    assert len(wire) == n and all(m.codec == "jpeg" and abs(m.quality - 0.8) < 1e-6 for m in wire)
    assert all(m.thermal_encoding == thermal_encoding for m in wire)
    if mono16:  # the default window, said once, with the way to keep the counts
        assert all(m.thermal_max_error == -1 for m in wire)
        assert nodes.encoder.log().count("thermal_max_error:=0") == 1, nodes.encoder.log()[-2000:]
    _alive(nodes)


@pytest.mark.timeout(150)
def test_mono16_at_full_precision_through_the_nodes(ros_context, tmp_path_factory) -> None:
    """thermal_max_error:=0: every count arrives exactly, and both ends say how thermal was coded."""
    probe, nodes = _start(ros_context, tmp_path_factory, "radiometric",
                          {"codec": "jpeg", "quality": 0.5, "diagnostics_period": 0.3, "thermal_max_error": 0})
    try:
        probe.keep_compressed = True
        probe.reset_measurements()
        scene = SyntheticScene(96, 128, seed=5, mono16=True)
        n = 4
        stamps = _send(probe, [scene.frame(i) for i in range(n)], period=0.2)
        assert probe.spin_until(lambda: len(probe.complete()) >= n, 20), probe.summary()
        assert all(probe.decoded[s]["psnr_thermal"] == float("inf") for s in stamps)  # exact counts
        assert all(m.thermal_max_error == 0 for m in probe.compressed if m.thermal_encoding == "mono16")
        assert probe.spin_until(lambda: probe.diag("decoder").get("thermal_mode") == "mono16 lossless", 10)
        assert probe.spin_until(lambda: probe.diag("encoder").get("thermal_max_error") == "0", 10)
        assert "thermal_max_error:=0" not in nodes.encoder.log() and "mono16 lossless" in nodes.encoder.log()
        _alive(nodes)
    finally:
        nodes.__exit__(None, None, None)
        probe.destroy_node()


@pytest.mark.timeout(120)
def test_unsynchronised_and_one_sided_input_publishes_nothing(loop) -> None:
    probe, nodes = loop
    probe.reset_measurements()
    rgb, thermal = SyntheticScene(64, 80, seed=4).frame(0)
    base = probe.get_clock().now().nanoseconds
    probe.fresh_diag("encoder")
    rgb_before, th_before = probe.counter("encoder", "rgb_in"), probe.counter("encoder", "thermal_in")
    pairs_before = probe.counter("encoder", "pairs_in")
    for i in range(5):  # colour only
        probe.publish_image(0, array_to_image(rgb, "rgb8", Stamp.from_ns(base + i * 100_000_000), "c"))
        probe.spin_for(0.05)
    for i in range(5):  # thermal 300 ms away from every colour stamp (slop 50 ms)
        probe.publish_image(1, array_to_image(thermal, "mono8", Stamp.from_ns(base + 30_000_000_000 + i * 100_000_000), "t"))
        probe.spin_for(0.05)
    assert _wait_counter(probe, "encoder", "rgb_in", rgb_before + 5) >= rgb_before + 5
    assert _wait_counter(probe, "encoder", "thermal_in", th_before + 5) >= th_before + 5
    probe.fresh_diag("encoder")
    assert probe.counter("encoder", "pairs_in") == pairs_before
    assert probe.images_received == 0 and not probe.compressed
    _alive(nodes)


@pytest.mark.timeout(120)
def test_wrong_encodings_are_rejected_with_one_line_per_topic(loop) -> None:
    probe, nodes = loop
    probe.reset_measurements()
    rgb, thermal = SyntheticScene(64, 80, seed=5).frame(0)
    before = float(probe.fresh_diag("encoder")["rejected"])
    for i in range(4):
        stamp = probe.get_clock().now().nanoseconds
        bad_rgb = array_to_image(rgb, "rgb8", Stamp.from_ns(stamp), "c")
        bad_rgb.encoding = "yuv422"
        probe.publish_image(0, bad_rgb)
        probe.publish_image(1, array_to_image(thermal, "mono8", Stamp.from_ns(stamp), "t"))
        probe.spin_for(0.1)
    for i in range(4):
        stamp = probe.get_clock().now().nanoseconds
        probe.publish_image(0, array_to_image(rgb, "rgb8", Stamp.from_ns(stamp), "c"))
        probe.publish_image(1, array_to_image(rgb, "rgb8", Stamp.from_ns(stamp), "t"))  # colour on the thermal topic
        probe.spin_for(0.1)
    assert _wait_counter(probe, "encoder", "rejected", before + 8) >= before + 8
    probe.spin_for(0.5)
    assert not probe.compressed and probe.images_received == 0
    log = nodes.encoder.log()
    assert log.count("dropping images on") == 2, log
    assert sum("rgb/image_raw" in line and "yuv422" in line for line in log.splitlines()) == 1
    assert sum("thermal/image_raw" in line and "rgb8" in line for line in log.splitlines()) == 1
    _send(probe, [(rgb, thermal)])  # and good input still goes through
    assert probe.spin_until(lambda: len(probe.complete()) == 1, 10)
    _alive(nodes)


@pytest.mark.timeout(120)
def test_size_change_mid_stream(loop) -> None:
    probe, nodes = loop
    probe.reset_measurements()
    big = SyntheticScene(240, 320, seed=6)
    small_rgb, _ = SyntheticScene(96, 128, seed=7).frame(0)
    _, small_ir = SyntheticScene(60, 80, seed=8).frame(0)
    stamps = _send(probe, [big.frame(0), big.frame(1), (small_rgb, small_ir), (small_rgb, small_ir), big.frame(2)])
    assert probe.spin_until(lambda: len(probe.complete()) >= 5, 15)
    shapes = [(probe.decoded[s]["rgb"]["shape"], probe.decoded[s]["thermal"]["shape"]) for s in stamps]
    assert shapes == [((240, 320), (240, 320))] * 2 + [((96, 128), (60, 80))] * 2 + [((240, 320), (240, 320))]
    assert all(probe.decoded[s]["psnr_rgb"] > 30 for s in stamps)
    _alive(nodes)


def _garbage_messages() -> list[CompressedRGBIR]:
    """Corrupt, truncated, foreign and empty messages, each with its own stamp."""
    rgb, thermal = SyntheticScene(64, 80, seed=9).frame(0)
    good = registry.create("jpeg").encode(ImagePair(rgb, thermal), 0.5)

    def message(i: int, **changes) -> CompressedRGBIR:
        cp = replace(good, stamp=Stamp(100 + i, 0), frame_id=f"garbage{i}", **changes)
        return to_message(cp, CompressedRGBIR, Header, Time)

    flipped = message(0)  # a bit flip in transit: the crc no longer matches
    data = bytearray(flipped.rgb_data)
    data[len(data) // 2] ^= 0xFF
    flipped.rgb_data = bytes(data)
    empty = CompressedRGBIR()  # all defaults: zero sizes, wrong crc
    empty.header.stamp = Time(sec=105)
    return [
        flipped,
        message(1, rgb_data=good.rgb_data[: len(good.rgb_data) // 3]),  # valid crc, truncated JPEG
        message(2, codec="nope"),
        message(3, rgb_height=good.rgb_height + 8),  # declares another size than the stream holds
        message(4, thermal_data=os.urandom(500)),  # valid crc, not a JPEG
        empty,
        message(6, rgb_encoding="yuv422"),
    ]


@pytest.mark.timeout(120)
def test_garbage_compressed_messages_are_counted_and_skipped(loop) -> None:
    probe, nodes = loop
    probe.reset_measurements()
    probe.fresh_diag("decoder")
    before = probe.counter("decoder", "decode_failures")
    out_before = probe.counter("decoder", "pairs_out")
    garbage = _garbage_messages()
    for m in garbage:
        probe.compressed_pub.publish(m)
        probe.spin_for(0.05)
    assert _wait_counter(probe, "decoder", "decode_failures", before + len(garbage)) == before + len(garbage)
    probe.spin_for(0.5)
    assert probe.images_received == 0 and probe.counter("decoder", "pairs_out") == out_before
    assert probe.diag("decoder")["_level"] == "1"  # WARN
    log = nodes.decoder.log()
    for text in ("integrity check failed", "unknown codec 'nope'", "'garbage3'", "'garbage4'", "yuv422"):
        assert text in log, (text, log[-3000:])
    rgb, thermal = SyntheticScene(64, 80, seed=10).frame(0)
    _send(probe, [(rgb, thermal)])
    assert probe.spin_until(lambda: len(probe.complete()) == 1, 10)
    _alive(nodes)


@pytest.mark.timeout(120)
def test_quality_and_target_kbps_change_at_run_time(loop) -> None:
    from rclpy.parameter import Parameter
    from rclpy.parameter_client import AsyncParameterClient

    probe, nodes = loop
    client = AsyncParameterClient(probe, probe.get_namespace().rstrip("/") + "/rgbir_encoder")
    assert client.wait_for_services(10.0)

    def set_params(*params: Parameter) -> list:
        future = client.set_parameters(list(params))
        assert probe.spin_until(future.done, 10)
        return future.result().results

    (res,) = set_params(Parameter("quality", value=0.3))
    assert res.successful
    (res,) = set_params(Parameter("quality", value=1.5))  # outside the declared range
    assert not res.successful
    (res,) = set_params(Parameter("codec", value="webp"))  # read-only
    assert not res.successful

    scene = SyntheticScene(128, 160, seed=11)
    probe.reset_measurements()
    _send(probe, [scene.frame(i) for i in range(3)])
    assert probe.spin_until(lambda: len(probe.compressed) >= 3, 10)
    assert all(abs(m.quality - 0.3) < 1e-6 for m in probe.compressed)

    (res,) = set_params(Parameter("target_kbps", value=20.0))  # far below what q=0.3 needs at 10 Hz
    assert res.successful
    probe.reset_measurements()
    _send(probe, [scene.frame(i) for i in range(15)])
    assert probe.spin_until(lambda: len(probe.compressed) >= 15, 15)
    qualities = [m.quality for m in probe.compressed]
    assert qualities[-1] < 0.3 - 0.1 and qualities == sorted(qualities, reverse=True), qualities
    assert _wait_counter(probe, "encoder", "target_kbps", 20.0) == 20.0
    assert all(r.successful for r in set_params(Parameter("target_kbps", value=0.0), Parameter("quality", value=0.8)))
    _alive(nodes)


@pytest.mark.timeout(180)
def test_overload_drops_old_pairs_and_keeps_memory_flat(ros_context, tmp_path_factory) -> None:
    """avif needs 0.5-1 s for a 640x512 pair here (webp, at ~0.1 s on an idle machine, was too close
    to the input rate); 20 pairs/s in must drop most and queue nothing."""
    probe, nodes = _start(ros_context, tmp_path_factory, "overload",
                          {"codec": "avif", "quality": 0.5, "diagnostics_period": 0.3})
    try:
        scene = SyntheticScene(512, 640, seed=12)
        frames = [scene.frame(i) for i in range(8)]
        rss = []
        n = 80
        for i in range(n):
            probe.publish_pair(*frames[i % len(frames)], track=False)
            probe.spin_for(0.05)
            if i % 20 == 19:
                rss.append(_rss_mb(nodes.encoder.proc.pid))
        _wait_counter(probe, "encoder", "pairs_in", n, 20)
        probe.spin_until(lambda: probe.counter("encoder", "pairs_in") ==
                         probe.counter("encoder", "pairs_out") + probe.counter("encoder", "drops"), 10)
        probe.spin_for(0.7)
        enc = probe.diag("encoder")
        pairs_in, pairs_out, drops = (int(float(enc[k])) for k in ("pairs_in", "pairs_out", "drops"))
        assert pairs_in >= n - 2  # sensor-data QoS may lose a frame or two
        assert drops > n // 3 and pairs_out > 0 and pairs_in == pairs_out + drops, enc
        assert enc["_level"] == "1" and "dropped" in enc["_message"]
        assert max(rss) - min(rss) < 60, rss  # no backlog: memory does not grow with the input
        _alive(nodes)
    finally:
        nodes.__exit__(None, None, None)
        probe.destroy_node()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.mark.timeout(120)
def test_learned_codec_without_weights_falls_back_with_a_warning(ros_context, tmp_path) -> None:
    cmd = node_command("encoder", f"/rgbir_test_fallback_{os.getpid()}",
                       {"codec": "hyperprior", "weights": str(tmp_path / "missing.pth")})
    proc = NodeProcess(cmd, tmp_path / "encoder.log", ros_env(ros_context))
    try:
        deadline = time.monotonic() + UP_TIMEOUT_S
        while time.monotonic() < deadline and proc.alive() and "encoding" not in proc.log():
            time.sleep(0.2)
        log = proc.log()
    finally:
        proc.stop()
    assert "[WARN]" in log and "using fallback codec 'jpeg'" in log, log
    assert "with jpeg" in log


@pytest.mark.timeout(120)
def test_unknown_codec_exits_with_a_clear_error(ros_context, tmp_path) -> None:
    proc = NodeProcess(node_command("encoder", f"/rgbir_test_unknown_{os.getpid()}", {"codec": "nope"}),
                       tmp_path / "encoder.log", ros_env(ros_context))
    try:
        proc.proc.wait(UP_TIMEOUT_S)
    finally:
        code = proc.stop()
    assert code == 1 and "unknown codec 'nope'" in proc.log(), proc.log()


# A stand-in with message_filters' API (Subscriber, ApproximateTimeSynchronizer, registerCallback),
# so the encoder's message_filters code path runs here, where the real package is missing.
FAKE_MESSAGE_FILTERS = """
from rgbir_compress.ros.sync import ApproximateTimeSync


class _Filter:
    def __init__(self):
        self.callbacks = []

    def registerCallback(self, cb, *args):
        self.callbacks.append((cb, args))

    def signalMessage(self, *msgs):
        for cb, args in self.callbacks:
            cb(*(msgs + args))


class Subscriber(_Filter):
    def __init__(self, node, msg_type, topic, qos_profile=10):
        super().__init__()
        self.sub = node.create_subscription(msg_type, topic, self.signalMessage, qos_profile)


class ApproximateTimeSynchronizer(_Filter):
    def __init__(self, fs, queue_size, slop):
        super().__init__()
        self.sync = ApproximateTimeSync(len(fs), queue_size, slop, self.signalMessage)
        for i, f in enumerate(fs):
            f.registerCallback(lambda m, i=i: self.sync.add(i, m))
"""


@pytest.mark.timeout(120)
def test_message_filters_path(ros_context, tmp_path_factory) -> None:
    fake = tmp_path_factory.mktemp("fake_message_filters")
    (fake / "message_filters.py").write_text(FAKE_MESSAGE_FILTERS)
    pythonpath = os.pathsep.join([str(fake)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    probe, nodes = _start(ros_context, tmp_path_factory, "mf",
                          {"codec": "jpeg", "synchronizer": "message_filters", "diagnostics_period": 0.3,
                           "input_qos": "reliable"},
                          extra_env={"PYTHONPATH": pythonpath})
    try:
        # Reliable inputs: message_filters must pair every pair sent. The keep-newest workers may
        # still drop one on a loaded machine (CI); each drop is counted, so account for all of them.
        before = {w: probe.fresh_diag(w, reports=1) for w in ("encoder", "decoder")}
        count = lambda w, k: probe.counter(w, k) - float(before[w].get(k) or 0)  # noqa: E731
        scene = SyntheticScene(96, 128, seed=13)
        stamps = _send(probe, [scene.frame(i) for i in range(4)], period=0.25)
        accounted = lambda: len(probe.complete()) + count("encoder", "drops") + count("decoder", "drops") == 4  # noqa: E731
        assert probe.spin_until(lambda: count("encoder", "pairs_in") == 4 and accounted(), 20), \
            (probe.diag("encoder"), probe.diag("decoder"), len(probe.complete()))
        assert probe.complete() and set(probe.decoded) <= set(stamps)
        assert probe.fresh_diag("encoder").get("pairing") == "message_filters"
        _alive(nodes)
    finally:
        nodes.__exit__(None, None, None)
        probe.destroy_node()
