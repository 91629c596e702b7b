"""Decoder node (across the link): CompressedRGBIR -> colour + thermal sensor_msgs/Image.

Subscribes `compressed` and republishes `rgb/image` and `thermal/image` (remappable) with the
original stamps, frame_ids and encodings (mono16 comes back as mono16). A message it cannot decode
(corrupt, truncated, unknown codec, weights it does not have) is logged, counted and skipped.
Stream (video) codecs: one decoder per stream (stream_id, i.e. per encoder); a message after a gap,
a late join or an encoder restart is never shown: it is counted as a gap, and the node asks the
encoder for a key frame on `key_frame_request` (at most every `request_interval` s), so the picture
returns within a round trip instead of a key-frame interval.
/diagnostics shows how the last message's thermal was coded (`thermal_mode`: mono8, mono16 8-bit
window, mono16 lossless, mono16 within N counts; `thermal_max_error` as the stream says).

Run: `ros2 run rgbir_compress decoder_node`, or `python -m rgbir_compress.ros.decoder_node --ros-args ...`.
"""
from __future__ import annotations

import re
import sys
import time
from typing import Any

from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import UInt32

from ..codecs import thermal_precision
from ..codecs.base import ByteCount, PairCodec
from ..codecs.stream_decoder import StreamDecoder
from ..container.message import from_message
from ..errors import DecodeError, NeedKeyFrame
from ..msg import CompressedRGBIR
from .messages import to_image
from .diagnostics import OK, WARN, DiagnosticsReporter, ProblemLog
from .latest_worker import LatestWorker
from .params import DECODER_PARAMS, declare, qos_profile
from .spin import spin_node
from .stats import Counters, Percentiles, RateMeter

IN_TOPIC, RGB_TOPIC, THERMAL_TOPIC = "compressed", "rgb/image", "thermal/image"
KEY_REQUEST_TOPIC = "key_frame_request"  # std_msgs/UInt32: the stream_id that needs a key frame


def _problem_key(text: str) -> str:
    """The kind of a failure, without the numbers that differ from message to message (crc values,
    sizes), so a stream of the same fault is logged once and then throttled."""
    return re.sub(r"\b[0-9a-f]{6,}\b|\d+", "#", text)[:120]


#: Messages waiting for the decoder at most (older ones are dropped and counted).
DECODE_DEPTH = 4


class DecoderNode(Node):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("rgbir_decoder", **kwargs)
        self.params = p = declare(self, DECODER_PARAMS)
        self.streams = StreamDecoder(device=p["device"], weights=p["weights"], threads=p["threads"],
                                     on_open=self._opened)
        self.counters = Counters("msgs_in", "pairs_out", "decode_failures", "drops", "gaps", "key_frame_requests",
                                 "lost_on_purpose")
        self._last_request = -1e9
        self.in_meter, self.out_meter = RateMeter(), RateMeter()
        self.decode_ms, self.latency_ms = Percentiles(), Percentiles()
        self.problems = ProblemLog(self.get_logger().error)
        self.last_failure = ""
        self.last_thermal: tuple[str, int] = ("", -1)  # (mode, thermal_max_error) of the last message decoded
        out_qos = qos_profile(p["output_qos"])
        self.rgb_pub = self.create_publisher(Image, RGB_TOPIC, out_qos)
        self.thermal_pub = self.create_publisher(Image, THERMAL_TOPIC, out_qos)
        self.key_pub = self.create_publisher(UInt32, KEY_REQUEST_TOPIC, qos_profile("reliable"))
        # Decoding runs on a keep-newest worker: bursts of up to DECODE_DEPTH messages are decoded,
        # beyond that a decoder slower than the link skips the oldest instead of building latency.
        self._worker = LatestWorker("rgbir-decode", self._decode, lambda: self.counters.inc("drops"),
                                    lambda exc: self._failed(f"{type(exc).__name__}: {exc}", None),
                                    depth=DECODE_DEPTH)
        self.sub = self.create_subscription(CompressedRGBIR, IN_TOPIC, self._on_message, qos_profile(p["input_qos"]))
        self.diagnostics = DiagnosticsReporter(self, "rgbir_compress: decoder", p["diagnostics_period"],
                                               self._collect)
        self.get_logger().info(
            f"decoding {self.resolve_topic_name(IN_TOPIC)} -> {self.resolve_topic_name(RGB_TOPIC)} + "
            f"{self.resolve_topic_name(THERMAL_TOPIC)}"
        )

    def _opened(self, codec: PairCodec) -> None:
        self.get_logger().info(f"decoding {codec.name!r} streams with {codec.model_id}")

    def _on_message(self, msg: CompressedRGBIR) -> None:
        self.counters.inc("msgs_in")
        self.in_meter.tick(ByteCount.of(msg).total)
        every = self.params["drop_every"]
        if every and self.counters.snapshot()["msgs_in"] % every == 0:  # a lossy link, on purpose
            self.counters.inc("lost_on_purpose")
            return
        self._worker.put(msg)

    def _failed(self, what: str, msg: CompressedRGBIR | None) -> None:
        self.counters.inc("decode_failures")
        self.last_failure = what
        where = (f" (stamp {msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d}, frame_id {msg.header.frame_id!r})"
                 if msg is not None else "")
        self.problems.report(_problem_key(what), f"skipping undecodable message{where}: {what}")

    def _decode(self, msg: CompressedRGBIR) -> None:
        t0 = time.perf_counter()
        try:
            cp = from_message(msg)
            pair = self.streams.decode(cp)
        except NeedKeyFrame as exc:  # a stream we cannot follow: never shown; ask for a way back in
            self._gap(cp, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - DecodeError expected; anything else must not kill the node
            self._failed(str(exc) if isinstance(exc, DecodeError) else f"{type(exc).__name__}: {exc}", msg)
            return
        self.decode_ms.add(1e3 * (time.perf_counter() - t0))
        self.last_thermal = (thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error), cp.thermal_max_error)
        self.rgb_pub.publish(to_image(pair.rgb, pair.rgb_encoding, pair.stamp, pair.frame_id))
        self.thermal_pub.publish(to_image(pair.thermal, pair.thermal_encoding, pair.thermal_stamp,
                                          pair.thermal_frame_id))
        self.counters.inc("pairs_out")
        self.out_meter.tick(pair.rgb.nbytes + pair.thermal.nbytes)
        self.latency_ms.add((self.get_clock().now().nanoseconds - pair.stamp.ns) / 1e6)

    def _gap(self, cp, why: str) -> None:
        self.counters.inc("gaps")
        self.last_failure = why
        self.problems.report("gap", f"waiting for a key frame of stream {cp.stream_id:08x}: {why}")
        now = time.monotonic()
        if self.params["key_frame_requests"] and now - self._last_request >= self.params["request_interval"]:
            self._last_request = now
            self.key_pub.publish(UInt32(data=cp.stream_id))
            self.counters.inc("key_frame_requests")

    def _collect(self) -> tuple[int, str, dict[str, Any]]:
        c = self.counters.snapshot()
        in_hz, kbps = self.in_meter.rates()
        out_hz, raw_kbps = self.out_meter.rates()
        dec50, dec95 = self.decode_ms.p(50, 95)
        lat50, lat95 = self.latency_ms.p(50, 95)
        values = {
            "in_hz": in_hz, "kbps": kbps, "out_hz": out_hz, "raw_kbps": raw_kbps,
            "decode_ms_p50": dec50, "decode_ms_p95": dec95, "latency_ms_p50": lat50, "latency_ms_p95": lat95,
            **c, "last_failure": self.last_failure,
            "codecs": ", ".join(self.streams.opened()),
            "thermal_mode": self.last_thermal[0], "thermal_max_error": self.last_thermal[1],
        }
        problems = []
        if c["decode_failures"]:
            problems.append(f"{c['decode_failures']} undecodable messages skipped")
        if c["drops"]:
            problems.append(f"{c['drops']} messages dropped (decoder slower than input)")
        if c["gaps"]:
            problems.append(f"{c['gaps']} stream messages skipped until a key frame (gap, late join or restart)")
        return (WARN if problems else OK), ("; ".join(problems) or "ok"), values

    def shutdown(self) -> None:
        self._worker.stop()


def main(args: list[str] | None = None) -> int:
    return spin_node(DecoderNode, "rgbir_decoder", args, fatal=(ValueError,))


if __name__ == "__main__":
    sys.exit(main())
