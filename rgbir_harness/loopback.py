"""End-to-end runs over DDS: start the encoder and decoder nodes as processes, feed them camera
pairs from a probe node, and measure what comes out. Used by `tools/demo.py` (the main job),
`tools/bench_nodes.py` and the ROS tests.

The probe publishes `rgb/image_raw` + `thermal/image_raw`, listens to `compressed` (link bytes),
the decoded `rgb/image` + `thermal/image` (PSNR against what it sent, latency from the capture
stamp) and `/diagnostics` (the nodes' own counters). Every run lives in its own namespace.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import Image

from rgbir_compress.codecs.base import ByteCount
from rgbir_compress.frame import Stamp
from rgbir_compress.imagemsg import image_to_array, stamp_of
from rgbir_compress.metrics import psnr
from rgbir_compress.msg import CompressedRGBIR
from rgbir_compress.ros.messages import to_image

REPO = Path(__file__).resolve().parents[1]


FASTDDS_PROFILE = REPO / "config" / "fastdds_loopback.xml"


def use_loopback_profile(env: dict[str, str] | os._Environ = os.environ) -> None:
    """Large images whole through shared memory (see config/fastdds_loopback.xml), unless the user
    chose a profile. Must be in the environment before the process's first rclpy.init()."""
    if FASTDDS_PROFILE.is_file():
        env.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(FASTDDS_PROFILE))


def ros_env(domain_id: int | None = None) -> dict[str, str]:
    """Environment for node processes: loopback-only discovery, the loopback Fast DDS profile,
    unbuffered logs, the default RMW."""
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONUNBUFFERED="1")
    use_loopback_profile(env)
    env.pop("RMW_IMPLEMENTATION", None)
    if domain_id is not None:
        env["ROS_DOMAIN_ID"] = str(domain_id)
    return env


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if value == "" else value
    return repr(value)


def node_command(kind: str, namespace: str = "", params: dict[str, Any] | None = None,
                 params_file: str | Path | None = None, remap: dict[str, str] | None = None) -> list[str]:
    """`python -m rgbir_compress.ros.<kind>_node --ros-args ...` for kind encoder or decoder."""
    cmd = [sys.executable, "-m", f"rgbir_compress.ros.{kind}_node", "--ros-args"]
    if namespace:
        cmd += ["-r", f"__ns:={namespace}"]
    if params_file:
        cmd += ["--params-file", str(params_file)]
    for name, value in (params or {}).items():
        cmd += ["-p", f"{name}:={_param(value)}"]
    for src, dst in (remap or {}).items():
        cmd += ["-r", f"{src}:={dst}"]
    return cmd


class NodeProcess:
    """One node in its own process, its output in a log file; stopped with SIGINT, then killed."""

    def __init__(self, cmd: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.cmd, self.log_path = cmd, log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     cwd=str(REPO), start_new_session=True)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@dataclass
class NodePair:
    """Encoder and decoder processes in `namespace` (context manager)."""

    namespace: str
    encoder_params: dict[str, Any] = field(default_factory=dict)
    decoder_params: dict[str, Any] = field(default_factory=dict)
    domain_id: int | None = None
    log_dir: Path | None = None
    use_config: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> "NodePair":
        self.log_dir = Path(self.log_dir or tempfile.mkdtemp(prefix="rgbir_nodes_"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**ros_env(self.domain_id), **self.extra_env}
        cfg = (lambda name: REPO / "config" / name) if self.use_config else (lambda name: None)
        self.encoder = NodeProcess(node_command("encoder", self.namespace, self.encoder_params, cfg("encoder.yaml")),
                                   self.log_dir / "encoder.log", env)
        self.decoder = NodeProcess(node_command("decoder", self.namespace, self.decoder_params, cfg("decoder.yaml")),
                                   self.log_dir / "decoder.log", env)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.encoder.stop()
        self.decoder.stop()


@dataclass
class Sent:
    """A tracked pair: how to get the images it was made from (for PSNR), and when it went out."""

    images: Callable[[], tuple[np.ndarray, np.ndarray]]
    t_publish: float
    waiting: list[bool] = field(default_factory=lambda: [True, True])  # colour, thermal not back yet


class Probe(Node):
    """Camera stand-in and measuring end of a loopback run (see module docstring)."""

    def __init__(self, namespace: str = "", keep_s: float = 10.0) -> None:
        super().__init__("rgbir_probe", namespace=namespace)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.rgb_pub = self.create_publisher(Image, "rgb/image_raw", reliable)
        self.thermal_pub = self.create_publisher(Image, "thermal/image_raw", reliable)
        self.compressed_pub = self.create_publisher(CompressedRGBIR, "compressed", reliable)
        self.create_subscription(Image, "rgb/image", lambda m: self._on_decoded(m, 0), reliable)
        self.create_subscription(Image, "thermal/image", lambda m: self._on_decoded(m, 1), reliable)
        self.create_subscription(CompressedRGBIR, "compressed", self._on_compressed, reliable)
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.keep_s = keep_s
        self.sent: dict[int, Sent] = {}  # colour stamp ns -> pair awaiting decode
        self.n_sent = 0
        self.raw_bytes = 0
        self.link_bytes = 0
        self.link_msgs = 0
        self.compressed: list[CompressedRGBIR] = []
        self.keep_compressed = False
        self.decoded: dict[int, dict[str, Any]] = {}  # colour stamp ns -> results (tracked pairs)
        self.images_received = 0  # every decoded image, tracked or not
        self.diagnostics: dict[tuple[str, str], dict[str, str]] = {}  # (name, hardware_id) -> values
        self.reports: dict[tuple[str, str], int] = {}  # (name, hardware_id) -> reports received
        self._baseline: dict[str, dict[str, str]] = {}  # 'encoder'/'decoder' -> counters at mark_baseline()
        self._thermal_to_rgb: dict[int, int] = {}
        self.t_first: float | None = None
        self.t_last: float | None = None

    def reset_measurements(self) -> None:
        """Forget everything sent and received so far (after a warm-up)."""
        self.sent.clear()
        self._thermal_to_rgb.clear()
        self.decoded.clear()
        self.images_received = 0
        self.compressed.clear()
        self.n_sent = self.raw_bytes = self.link_bytes = self.link_msgs = 0
        self.t_first = self.t_last = None

    # -- sending --------------------------------------------------------------------------------
    def publish_pair(self, rgb: np.ndarray, thermal: np.ndarray, stamp_ns: int | None = None,
                     rgb_encoding: str = "rgb8", thermal_encoding: str | None = None,
                     thermal_offset_ns: int = 2_000_000, frame_id: str = "camera_rgb",
                     thermal_frame_id: str = "camera_ir", track: bool = True,
                     reference: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> int:
        """Publish one pair, the thermal stamp `thermal_offset_ns` after the colour one; returns the
        colour stamp. A tracked pair counts in the results, its PSNR against the arrays (kept until
        it comes back or for keep_s) or against `reference()`, which regenerates them (no memory)."""
        stamp_ns = self.get_clock().now().nanoseconds if stamp_ns is None else stamp_ns
        thermal_encoding = thermal_encoding or ("mono16" if thermal.dtype == np.uint16 else "mono8")
        t_stamp = stamp_ns + thermal_offset_ns
        rgb_msg = to_image(rgb, rgb_encoding, Stamp.from_ns(stamp_ns), frame_id)
        th_msg = to_image(thermal, thermal_encoding, Stamp.from_ns(t_stamp), thermal_frame_id)
        now = time.monotonic()
        if track:
            self.sent[stamp_ns] = Sent(reference or (lambda: (rgb, thermal)), now)
            self._thermal_to_rgb[t_stamp] = stamp_ns
            self._forget(now)
        self.rgb_pub.publish(rgb_msg)
        self.thermal_pub.publish(th_msg)
        self.n_sent += 1
        self.raw_bytes += rgb.nbytes + thermal.nbytes
        self.t_first = self.t_first or now
        self.t_last = now
        return stamp_ns

    def publish_image(self, index: int, msg: Image) -> None:
        """Publish a hand-made Image on the colour (0) or thermal (1) input."""
        (self.rgb_pub, self.thermal_pub)[index].publish(msg)

    def _forget(self, now: float) -> None:
        for stamp in [s for s, v in self.sent.items() if now - v.t_publish > self.keep_s]:
            del self.sent[stamp]

    # -- receiving ------------------------------------------------------------------------------
    def _on_compressed(self, msg: CompressedRGBIR) -> None:
        self.link_msgs += 1
        self.link_bytes += ByteCount.of(msg).total
        if self.keep_compressed:
            self.compressed.append(msg)

    def _on_decoded(self, msg: Image, index: int) -> None:
        """Record a decoded image of a tracked pair (others, e.g. warm-up pairs, are ignored)."""
        now = time.monotonic()
        self.images_received += 1
        stamp = stamp_of(msg).ns
        key = stamp if index == 0 else self._thermal_to_rgb.get(stamp, stamp)
        entry = self.sent.get(key)
        if entry is None or not entry.waiting[index]:
            return
        result = self.decoded.setdefault(key, {})
        result[("rgb", "thermal")[index]] = {"frame_id": msg.header.frame_id, "encoding": msg.encoding,
                                             "stamp": stamp, "shape": (msg.height, msg.width)}
        if index == 0:
            result["latency_ms"] = (self.get_clock().now().nanoseconds - stamp) / 1e6
            result["t_received"] = now
        ref = entry.images()[index]
        got = image_to_array(msg)
        if got.shape == ref.shape:
            result[("psnr_rgb", "psnr_thermal")[index]] = psnr(ref, got)
        entry.waiting[index] = False
        if not any(entry.waiting):
            del self.sent[key]

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            values["_level"] = str(status.level[0] if isinstance(status.level, bytes) else status.level)
            values["_message"] = status.message
            values["_hardware_id"] = status.hardware_id
            key = (status.name, status.hardware_id)
            self.diagnostics[key] = values
            self.reports[key] = self.reports.get(key, 0) + 1

    # -- helpers --------------------------------------------------------------------------------
    def spin_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self, timeout_sec=min(0.05, max(0.0, deadline - time.monotonic())))

    def spin_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            rclpy.spin_once(self, timeout_sec=0.05)
        return done()

    def warm_up(self, frame: Callable[[int], tuple[np.ndarray, np.ndarray]], attempts: int = 60) -> bool:
        """Send untracked pairs, one a second, until one comes back decoded; then forget them.

        Matching is not symmetric: the probe can see a node's endpoint before that node sees the
        probe's, and samples sent in between are lost (best-effort inputs, volatile outputs). A
        round trip proves every hop is matched; it also absorbs model loading and first calls."""
        for i in range(attempts):
            self.publish_pair(*frame(i), track=False)
            if self.spin_until(lambda: self.images_received > 0, 1.0):
                self.spin_for(0.3)
                self.reset_measurements()
                return True
        return False

    def nodes_ready(self) -> bool:
        """Encoder subscribed to both inputs, decoder to the link, probe to the decoder's output."""
        return (self.rgb_pub.get_subscription_count() >= 1 and self.thermal_pub.get_subscription_count() >= 1
                and self.compressed_pub.get_subscription_count() >= 1
                and self.count_publishers(self.resolve_topic_name("rgb/image")) >= 1
                and self.count_publishers(self.resolve_topic_name("compressed")) >= 2)

    def diag(self, which: str) -> dict[str, str]:
        """Latest /diagnostics values of 'encoder' or 'decoder' (from this run's namespace)."""
        return self.diagnostics.get((f"rgbir_compress: {which}", self._fq(which)), {})

    def fresh_diag(self, which: str, reports: int = 2, timeout_s: float = 10.0) -> dict[str, str]:
        """Diagnostics of 'encoder'/'decoder' after `reports` more reports: counters that include
        everything the node had done when this was called."""
        key = (f"rgbir_compress: {which}", self._fq(which))
        target = self.reports.get(key, 0) + reports
        self.spin_until(lambda: self.reports.get(key, 0) >= target, timeout_s)
        return self.diag(which)

    def _fq(self, which: str) -> str:
        return self.get_namespace().rstrip("/") + f"/rgbir_{which}"

    def counter(self, which: str, key: str) -> float:
        value = self.diag(which).get(key)
        return float(value) if value not in (None, "", "nan") else 0.0

    def complete(self) -> list[dict[str, Any]]:
        """Decoded pairs with both images back."""
        return [r for r in self.decoded.values() if "rgb" in r and "thermal" in r]

    def mark_baseline(self) -> None:
        """Take the nodes' counters as they are now as zero for summary() (after a warm-up)."""
        self._baseline = {which: dict(self.fresh_diag(which, reports=1)) for which in ("encoder", "decoder")}

    def _counts(self, which: str, keys: tuple[str, ...]) -> dict[str, int]:
        now, base = self.diag(which), self._baseline.get(which, {})
        as_int = lambda d, k: int(float(d.get(k) or 0))  # noqa: E731
        return {k: as_int(now, k) - as_int(base, k) for k in keys}

    def summary(self) -> dict[str, Any]:
        """What a run delivered, from the probe's own measurements (pairs, bytes on the wire, PSNR,
        capture->received latency) plus the nodes' counters since mark_baseline()."""
        pairs = self.complete()
        lat = np.array([r["latency_ms"] for r in pairs if "latency_ms" in r]) if pairs else np.zeros(0)
        span = max((self.t_last or 0) - (self.t_first or 0), 1e-6) * (self.n_sent / max(self.n_sent - 1, 1))
        mean = lambda key: float(np.mean([r[key] for r in pairs if key in r])) if pairs else float("nan")  # noqa: E731
        enc, dec = self.diag("encoder"), self.diag("decoder")
        encoder = self._counts("encoder", ("rgb_in", "thermal_in", "pairs_in", "pairs_out", "drops", "rejected",
                                           "encode_failures"))
        decoder = self._counts("decoder", ("msgs_in", "pairs_out", "decode_failures", "drops", "gaps",
                                           "key_frame_requests", "lost_on_purpose"))
        encoder.update({k: float(enc.get(k, "nan")) for k in ("encode_ms_p50", "encode_ms_p95")})
        decoder.update({k: float(dec.get(k, "nan")) for k in ("decode_ms_p50", "decode_ms_p95")})
        return {
            "pairs_sent": self.n_sent, "pairs_received": len(pairs),
            "raw_kbps": 8 * self.raw_bytes / span / 1000, "link_kbps": 8 * self.link_bytes / span / 1000,
            "link_kb_per_pair": self.link_bytes / max(self.link_msgs, 1) / 1000,
            "psnr_rgb_db": mean("psnr_rgb"), "psnr_thermal_db": mean("psnr_thermal"),
            "psnr_min_db": min((min(r["psnr_rgb"], r["psnr_thermal"]) for r in pairs if "psnr_rgb" in r),
                               default=float("nan")),
            "latency_ms_p50": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "latency_ms_p95": float(np.percentile(lat, 95)) if lat.size else float("nan"),
            "encoder_drops": encoder["drops"], "decoder_drops": decoder["drops"], "encoder": encoder, "decoder": decoder,
            "codec": enc.get("codec", "?"), "model_id": enc.get("model_id", "?"), "quality": enc.get("quality", "?"),
            "auto_reason": enc.get("auto_reason", ""),  # codec auto: why it chose `codec` (codecs/auto.py)
        }
