"""Encoder node (on the vehicle): colour + thermal sensor_msgs/Image -> CompressedRGBIR.

Subscribes `rgb/image_raw` and `thermal/image_raw`, pairs them by stamp, encodes each pair with the
chosen codec and publishes it on `compressed` (all three remappable). Encoding runs on a worker
thread that always takes the newest pair: when the cameras outpace the codec, older pairs are
dropped and counted instead of queuing up.

Rate: `quality` in [0, 1] as is, or, with `target_kbps` > 0, steered toward that link budget by
`codecs.rate_control.RateControlledQuality` (shared with `bag compress`) from the bytes of each published pair and the interval between
publishes (so drops raise the per-pair budget). Both change at run time (`ros2 param set`).
mono16 thermal: `thermal_max_error` -1 (default) codes an 8-bit window of each frame, logged once
at the first mono16 frame with how to keep the counts (`thermal_max_error:=0`); >= 0 sends them as
a radiometric stream (not rate-controlled: target_kbps then steers the colour quality only).
Stream (video) codecs: a key frame every `key_interval` seconds, and at once when a decoder asks
on `key_frame_request` (it lost a message, joined late, or the encoder restarted).
QoS: sensor-data on the inputs, reliable on the output by default (`input_qos`, `output_qos`).
Diagnostics on /diagnostics: input/output rates, kbit/s, encode time and capture->publish latency
p50/p95, drops, rejected images, encode failures.

Run: `ros2 run rgbir_compress encoder_node --ros-args -p codec:=jpeg`, or
`python -m rgbir_compress.ros.encoder_node --ros-args --params-file config/encoder.yaml`.
"""
from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rcl_interfaces.msg import SetParametersResult
from sensor_msgs.msg import Image
from std_msgs.msg import Header, UInt32

from ..codecs import thermal_precision
from ..codecs.factory import open_codec
from ..codecs.rate_control import RateControlledQuality
from ..container.message import to_message
from ..encodings import COLOUR_ENCODINGS, THERMAL_ENCODINGS
from ..errors import CodecUnavailable, EncodeError
from ..frame import ImagePair
from ..imagemsg import image_to_array, stamp_of
from ..msg import CompressedRGBIR
from .diagnostics import OK, WARN, DiagnosticsReporter, ProblemLog
from .latest_worker import LatestWorker
from .params import ENCODER_PARAMS, check_choice, declare, qos_profile
from .spin import spin_node
from .stats import Counters, Percentiles, RateMeter
from .sync import PairSubscriber

RGB_TOPIC, THERMAL_TOPIC, OUT_TOPIC = "rgb/image_raw", "thermal/image_raw", "compressed"
#: Receivers of a stream codec ask for a key frame here (std_msgs/UInt32: the stream_id they lost).
KEY_REQUEST_TOPIC = "key_frame_request"


class EncoderNode(Node):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("rgbir_encoder", **kwargs)
        self.params = declare(self, ENCODER_PARAMS)
        p = self.params
        self.codec = open_codec(p["codec"], device=p["device"], weights=p["weights"], threads=p["threads"],
                                rate_hz=p["frame_rate"], key_interval_s=p["key_interval"], log=self._codec_log,
                                fallback=p["fallback_codec"], warn=self.get_logger().warning,
                                thermal_max_error=p["thermal_max_error"])
        self.codec.prepare()  # e.g. auto chooses now, and logs why
        self.rate = RateControlledQuality(p["quality"], 0.0)
        self._set_target(p["target_kbps"])
        self.counters = Counters("rgb_in", "thermal_in", "pairs_in", "pairs_out", "drops", "rejected",
                                 "encode_failures", "key_frames", "key_frame_requests")
        self.in_meters = [RateMeter(), RateMeter()]
        self.pair_meter, self.out_meter, self.raw_meter = RateMeter(), RateMeter(), RateMeter()
        self.encode_ms, self.latency_ms = Percentiles(), Percentiles()
        self.problems = ProblemLog(self.get_logger().error)
        self._last_sizes: tuple | None = None
        self._mono16_noted = False
        self._thermal_mode = ""  # how the last pair's thermal was coded (diagnostics)
        self._topics = (self.resolve_topic_name(RGB_TOPIC), self.resolve_topic_name(THERMAL_TOPIC))

        self.pub = self.create_publisher(CompressedRGBIR, OUT_TOPIC, qos_profile(p["output_qos"]))
        # decoders that lost the stream ask for a key frame here (stream codecs; stills ignore it)
        self.key_sub = self.create_subscription(UInt32, KEY_REQUEST_TOPIC, self._on_key_request,
                                                qos_profile("reliable"))
        self.sync = PairSubscriber(self, Image, (RGB_TOPIC, THERMAL_TOPIC), qos_profile(p["input_qos"]),
                                   p["queue_size"], p["slop"], self._on_pair, self._on_input,
                                   prefer=p["synchronizer"])
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.diagnostics = DiagnosticsReporter(self, "rgbir_compress: encoder", p["diagnostics_period"],
                                               self._collect)

        self._worker = LatestWorker("rgbir-encode", lambda pair: self._encode(*pair),
                                    lambda: self.counters.inc("drops"), self._encode_failed)
        self._warn_if_slow()
        self.get_logger().info(
            f"encoding {self._topics[0]} + {self._topics[1]} -> {self.resolve_topic_name(OUT_TOPIC)} with "
            f"{self.codec.status()['codec']} [{self.codec.model_id}] (quality {self.rate.fixed:g}, target_kbps {p['target_kbps']:g}, "
            f"pairing: {self.sync.impl}, queue_size {p['queue_size']}, slop {p['slop']:g} s)"
        )

    def _set_target(self, kbps: float) -> None:
        """target_kbps: the codec's own rate control where it has one (stream codecs), else the
        quality controller shared with `bag compress`."""
        own = self.codec.set_target_kbps(kbps)
        self.rate.set_target(0.0 if own else kbps)

    def _on_key_request(self, msg: UInt32) -> None:
        self.counters.inc("key_frame_requests")
        self.codec.request_key_frame()

    def _codec_log(self, level: str, text: str) -> None:
        getattr(self.get_logger(), level)(text)

    def _warn_if_slow(self) -> None:
        """A codec that cannot keep a camera's rate here (a learned codec on a CPU) says so once, at start."""
        note = self.codec.realtime_note()
        if note:
            self.get_logger().warning(f"{note}; newer pairs replace waiting ones (counted as drops)")

    # -- parameters -------------------------------------------------------------------------------
    def _on_set_parameters(self, params) -> SetParametersResult:
        specs = {s.name: s for s in ENCODER_PARAMS}
        for param in params:
            spec = specs.get(param.name)
            problem = check_choice(spec, param.value) if spec else None
            if problem:
                return SetParametersResult(successful=False, reason=problem)
        for param in params:
            self.params[param.name] = param.value
            if param.name == "quality":
                self.rate.set_quality(float(param.value))
            elif param.name == "target_kbps":
                self._set_target(float(param.value))
                if self._mono16_noted and float(param.value) > 0 and self.params["thermal_max_error"] >= 0:
                    self._note_mono16()
        return SetParametersResult(successful=True)

    def current_quality(self) -> float:
        return self.rate.quality

    # -- input (executor thread) --------------------------------------------------------------------
    def _on_input(self, index: int, msg: Image) -> None:
        self.counters.inc(("rgb_in", "thermal_in")[index])
        self.in_meters[index].tick(len(msg.data))

    def _on_pair(self, rgb_msg: Image, thermal_msg: Image) -> None:
        self.counters.inc("pairs_in")
        self.pair_meter.tick()
        self._worker.put((rgb_msg, thermal_msg))

    # -- encoding (worker thread) -----------------------------------------------------------------
    def _encode_failed(self, exc: Exception) -> None:
        self.counters.inc("encode_failures")
        self.problems.report(f"encode:{type(exc).__name__}", f"encoding a pair failed: {type(exc).__name__}: {exc}")

    def _to_array(self, msg: Image, index: int) -> np.ndarray | None:
        allowed = (COLOUR_ENCODINGS, THERMAL_ENCODINGS)[index]
        try:
            return image_to_array(msg, allowed)
        except EncodeError as exc:
            self.counters.inc("rejected")
            topic = self._topics[index]
            self.problems.once(f"input:{topic}:{msg.encoding}", f"dropping images on {topic}: {exc}")
            return None

    def _encode(self, rgb_msg: Image, thermal_msg: Image) -> None:
        rgb, thermal = self._to_array(rgb_msg, 0), self._to_array(thermal_msg, 1)
        if rgb is None or thermal is None:
            return
        sizes = (rgb.shape, thermal.shape)
        if sizes != self._last_sizes:
            if self._last_sizes is not None:
                self.get_logger().info(f"input size changed: colour {rgb.shape}, thermal {thermal.shape}")
            self._last_sizes = sizes
        if thermal_msg.encoding == "mono16" and not self._mono16_noted:
            self._mono16_noted = True
            self._note_mono16()
        pair = ImagePair(rgb=rgb, thermal=thermal, rgb_encoding=rgb_msg.encoding,
                         thermal_encoding=thermal_msg.encoding, stamp=stamp_of(rgb_msg),
                         frame_id=rgb_msg.header.frame_id, thermal_stamp=stamp_of(thermal_msg),
                         thermal_frame_id=thermal_msg.header.frame_id)
        quality = self.current_quality()
        t0 = time.perf_counter()
        cp = self.codec.encode(pair, quality)
        self.encode_ms.add(1e3 * (time.perf_counter() - t0))
        self._thermal_mode = thermal_precision.describe(cp.thermal_encoding, cp.thermal_max_error)
        self.pub.publish(to_message(cp, CompressedRGBIR, Header, Time))
        now = time.monotonic()
        self.counters.inc("pairs_out")
        if cp.key_frame:
            self.counters.inc("key_frames")
        sent = cp.byte_count().total
        self.out_meter.tick(sent, now)
        self.raw_meter.tick(rgb.nbytes + thermal.nbytes, now)
        self.latency_ms.add((self.get_clock().now().nanoseconds - pair.stamp.ns) / 1e6)
        self.rate.sent(sent, now)  # interval between published pairs: drops raise the per-pair budget

    def _note_mono16(self) -> None:
        """Once, at the first mono16 frame: what happens to the radiometric counts, and how to change it."""
        n = self.params["thermal_max_error"]
        if n < 0:
            self.get_logger().warning(
                "mono16 thermal is reduced to an 8-bit window of each frame's [min, max] (radiometric counts "
                "approximated); set thermal_max_error:=0 to send the exact counts (or N: each within N counts)")
            return
        self.get_logger().info(f"{thermal_precision.describe('mono16', n)}: thermal travels as a radiometric "
                               "stream beside the colour")
        if self.params["target_kbps"] > 0:
            self.get_logger().warning("target_kbps steers the colour only: radiometric thermal "
                                      f"(thermal_max_error {n}) is not rate-controlled, its bytes count against the budget")

    # -- diagnostics --------------------------------------------------------------------------------
    def _collect(self) -> tuple[int, str, dict[str, Any]]:
        c = self.counters.snapshot()
        rgb_hz, _ = self.in_meters[0].rates()
        th_hz, _ = self.in_meters[1].rates()
        pair_hz, _ = self.pair_meter.rates()
        out_hz, kbps = self.out_meter.rates()
        _, raw_kbps = self.raw_meter.rates()
        enc50, enc95 = self.encode_ms.p(50, 95)
        lat50, lat95 = self.latency_ms.p(50, 95)
        values = {
            **self.codec.status(),
            "quality": self.current_quality(), "target_kbps": self.params["target_kbps"],
            "pairing": self.sync.impl, "thermal_mode": self._thermal_mode,
            "rgb_in_hz": rgb_hz, "thermal_in_hz": th_hz, "pairs_in_hz": pair_hz, "out_hz": out_hz,
            "kbps": kbps, "raw_kbps": raw_kbps,
            "encode_ms_p50": enc50, "encode_ms_p95": enc95,
            "latency_ms_p50": lat50, "latency_ms_p95": lat95,
            **c,
        }
        problems = []
        if values.get("auto_keeps_up") is False:
            problems.append("codec auto: no codec keeps frame_rate here (auto_reason)")
        if c["drops"]:
            problems.append(f"{c['drops']} pairs dropped (encoder slower than input)")
        if c["rejected"]:
            problems.append(f"{c['rejected']} images rejected")
        if c["encode_failures"]:
            problems.append(f"{c['encode_failures']} encode failures")
        return (WARN if problems else OK), ("; ".join(problems) or "ok"), values

    def shutdown(self) -> None:
        self._worker.stop()


def main(args: list[str] | None = None) -> int:
    return spin_node(EncoderNode, "rgbir_encoder", args, fatal=(CodecUnavailable, ValueError))


if __name__ == "__main__":
    sys.exit(main())
