"""Node parameters in one table each: name, default, description, range, choices, read-only.

`config/encoder.yaml` and `config/decoder.yaml` hold the same defaults (a test keeps them equal).
`declare()` turns a table into declared ROS parameters with descriptors, so `ros2 param describe`
shows the description and range and rclpy itself rejects out-of-range values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..codecs.defaults import DEFAULT_CODEC, FALLBACK_CODEC

QOS_CHOICES = ("sensor_data", "reliable", "best_effort")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: Any
    description: str
    range: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None
    read_only: bool = True  # changeable at run time only where False


ENCODER_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("codec", DEFAULT_CODEC,
              "Pair codec (`rgbir-compress codecs` lists them). Default auto: of every codec that runs here, "
              "learned ones included, the best measured rate-distortion (codecs/rd_table.json) whose encode + "
              "decode, timed here at start, keeps frame_rate at the incoming size (codecs/auto.py; the choice "
              "and its reason are logged and in /diagnostics). A learned codec without torch or its weights makes the node warn and "
              "use fallback_codec."),
    ParamSpec("frame_rate", 10.0, "Camera frame rate (Hz) codec auto must keep up with.", range=(0.1, 1000.0)),
    ParamSpec("fallback_codec", FALLBACK_CODEC, "Classical codec used when `codec` cannot be loaded; empty = fail instead."),
    ParamSpec("weights", "", "Weights file for a learned codec; empty = the shipped weights."),
    ParamSpec("device", "auto", "Where a learned codec runs: auto (CUDA when present), cpu, cuda, cuda:N."),
    ParamSpec("threads", 0, "CPU threads for a learned codec; 0 = the library's default.", range=(0, 256)),
    ParamSpec("quality", 0.5,
              "Quality on the project-wide [0, 1] scale (0 = lowest rate). Used as is when target_kbps is 0, "
              "as the starting point of rate control otherwise.", range=(0.0, 1.0), read_only=False),
    ParamSpec("target_kbps", 0.0,
              "Link budget in kbit/s of payload (both bitstreams + affine coefficients, not message "
              "framing; as `bag compress --target-kbps`): > 0 steers quality toward it; 0 = fixed quality.", range=(0.0, 1.0e6), read_only=False),
    ParamSpec("thermal_max_error", -1,
              "mono16 thermal precision: -1 = an 8-bit window of each frame's [min, max] (smallest; the "
              "radiometric counts are approximated), 0 = lossless (exact counts), N = every count within N. "
              ">= 0 sends thermal as a radiometric stream beside the codec's colour (learned codecs refuse it); "
              "it is not rate-controlled. mono8 thermal is unaffected.", range=(-1, 32767)),
    ParamSpec("key_interval", 2.0,
              "Stream (video) codecs: seconds between key frames, where a receiver that lost a message or "
              "joined late can start (it also asks for one at once on the key_frame_request topic); "
              "0 = every message a key frame. Still codecs ignore it.", range=(0.0, 3600.0)),
    ParamSpec("queue_size", 10, "Pairing queue per input (messages), as in message_filters.", range=(1, 1000)),
    ParamSpec("slop", 0.05, "Largest stamp difference (s) of a colour and a thermal image that form a pair.",
              range=(0.001, 10.0)),
    ParamSpec("synchronizer", "auto",
              "Pairing implementation: auto (message_filters when importable), message_filters, builtin.",
              choices=("auto", "message_filters", "builtin")),
    ParamSpec("input_qos", "sensor_data", "QoS of the two image subscriptions.", choices=QOS_CHOICES),
    ParamSpec("output_qos", "reliable", "QoS of the CompressedRGBIR publisher.", choices=QOS_CHOICES),
    ParamSpec("diagnostics_period", 1.0, "Seconds between /diagnostics reports.", range=(0.1, 60.0)),
)

DECODER_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("weights", "", "Weights file for the learned codec of incoming streams; empty = the shipped "
              "weights. Streams whose model_id differs are refused."),
    ParamSpec("device", "auto", "Where a learned codec runs: auto (CUDA when present), cpu, cuda, cuda:N."),
    ParamSpec("threads", 0, "CPU threads for a learned codec; 0 = the library's default.", range=(0, 256)),
    ParamSpec("input_qos", "reliable", "QoS of the CompressedRGBIR subscription.", choices=QOS_CHOICES),
    ParamSpec("key_frame_requests", True,
              "Stream codecs: on a gap, a late join or an encoder restart, ask the encoder for a key frame "
              "on the key_frame_request topic (at most every request_interval seconds) instead of waiting "
              "for the next periodic one."),
    ParamSpec("request_interval", 0.5, "Least seconds between two key-frame requests.", range=(0.05, 60.0)),
    ParamSpec("drop_every", 0,
              "Testing a lossy link: discard every Nth incoming message before decoding, as a radio would "
              "lose it (counted as lost_on_purpose); 0 = off.", range=(0, 1000000)),
    ParamSpec("output_qos", "reliable", "QoS of the two decoded image publishers.", choices=QOS_CHOICES),
    ParamSpec("diagnostics_period", 1.0, "Seconds between /diagnostics reports.", range=(0.1, 60.0)),
)


def defaults(specs: tuple[ParamSpec, ...]) -> dict[str, Any]:
    return {s.name: s.default for s in specs}


def check_choice(spec: ParamSpec, value: Any) -> str | None:
    """Why `value` is not allowed for `spec`, or None."""
    if spec.choices is not None and value not in spec.choices:
        return f"{spec.name} must be one of {', '.join(spec.choices)}, not {value!r}"
    return None


def declare(node, specs: tuple[ParamSpec, ...]) -> dict[str, Any]:
    """Declare `specs` on `node` with descriptors; returns the values in effect (validated)."""
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor

    values: dict[str, Any] = {}
    for spec in specs:
        desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        if spec.choices:
            desc.additional_constraints = "one of: " + ", ".join(spec.choices)
        if spec.range is not None:
            lo, hi = spec.range
            if isinstance(spec.default, float):
                desc.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi), step=0.0)]
            else:
                desc.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=1)]
        value = node.declare_parameter(spec.name, spec.default, desc).value
        problem = check_choice(spec, value)
        if problem:
            raise ValueError(problem)
        values[spec.name] = value
    return values


def qos_profile(name: str):
    """A QoS profile from its name in QOS_CHOICES."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    if name == "sensor_data":
        return qos_profile_sensor_data
    if name == "reliable":
        return QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    if name == "best_effort":
        return QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
    raise ValueError(f"unknown QoS {name!r}; one of {', '.join(QOS_CHOICES)}")
