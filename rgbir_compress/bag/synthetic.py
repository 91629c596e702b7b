"""Synthetic RGB + thermal bags for tests and benchmarks (never real data in the repository).

Frames come from the project's synthetic scene (`rgbir_compress/scene.py`): deterministic for
(size, seed, index), so a test can regenerate the originals to measure what decompression returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from rosbags.interfaces import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime

from .. import encodings as enc
from ..frame import Stamp
from ..imagemsg import array_to_image
from ..scene import SyntheticScene
from .bagio import open_writer
from .types import IMAGE_TYPE, image_classes, merged_store

Storage = Literal["sqlite3", "mcap", "ros1"]
STRING_TYPE = "std_msgs/msg/String"
_ZERO = QosTime(0, 0)
#: A non-default profile, so tests can see QoS copied.
SENSOR_QOS = [Qos(QosHistory.KEEP_LAST, 5, QosReliability.BEST_EFFORT, QosDurability.VOLATILE,
                  _ZERO, _ZERO, QosLiveliness.AUTOMATIC, _ZERO, avoid_ros_namespace_conventions=False)]
LATCHED_STATUS_QOS = [Qos(QosHistory.KEEP_LAST, 1, QosReliability.RELIABLE, QosDurability.TRANSIENT_LOCAL,
                          _ZERO, _ZERO, QosLiveliness.AUTOMATIC, _ZERO, avoid_ros_namespace_conventions=False)]


def as_encoding(rgb: np.ndarray, ir: np.ndarray, rgb_encoding: str, ir_encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """The scene's arrays in the message encodings (mono16: counts around 20000)."""
    colour = enc.rgb_to_colour(rgb, rgb_encoding)
    thermal = (ir.astype(np.uint16) * 40 + 20000) if ir_encoding == "mono16" else ir
    return colour, thermal


@dataclass
class SyntheticBag:
    path: Path
    rgb_topic: str
    ir_topic: str
    extra_topic: str
    rgb_stamps: list[Stamp] = field(default_factory=list)
    ir_stamps: list[Stamp] = field(default_factory=list)
    extra_messages: list[tuple[int, bytes]] = field(default_factory=list)  # (log time, raw bytes)


def write_synthetic_bag(
    path: str | Path, *, pairs: int = 6, height: int = 96, width: int = 128, storage: Storage = "sqlite3",
    rgb_encoding: str = "rgb8", ir_encoding: str = "mono8", rate_hz: float = 10.0,
    ir_offset_ns: int = 3_000_000, start_ns: int = 1_700_000_000_000_000_000, seed: int = 0,
    rgb_topic: str = "/camera/rgb/image_raw", ir_topic: str = "/camera/ir/image_raw",
    extra_topic: str = "/status", corrupt: dict[int, str] | None = None, step_pad: int = 0,
    ir_qos: list | None = None,
) -> SyntheticBag:
    """Write a bag of `pairs` colour/thermal frames (thermal stamped `ir_offset_ns` later), plus a
    std_msgs/String topic at half the frame rate. `corrupt` maps a frame index to "short" (colour
    data truncated) or "garbage" (colour bytes that do not deserialise). `step_pad` adds padding
    bytes to every row, as some drivers do. `ir_qos`: the thermal topic's QoS (default: the colour
    topic's sensor-data profile)."""
    path = Path(path)
    scene = SyntheticScene(height, width, seed)
    corrupt = corrupt or {}
    period = int(1e9 / rate_hz)
    out = SyntheticBag(path, rgb_topic, ir_topic, extra_topic)
    store = merged_store()
    if storage == "ros1":
        return _write_ros1(path, scene, out, pairs, rgb_encoding, ir_encoding, period, ir_offset_ns, start_ns)
    from rosbags.typesys import Stores, get_typestore

    string_store = get_typestore(Stores.ROS2_JAZZY)
    with open_writer(path, storage) as writer:
        c_rgb = writer.add_connection(rgb_topic, IMAGE_TYPE, typestore=store, offered_qos_profiles=SENSOR_QOS)
        c_ir = writer.add_connection(ir_topic, IMAGE_TYPE, typestore=store,
                                     offered_qos_profiles=SENSOR_QOS if ir_qos is None else ir_qos)
        c_ex = writer.add_connection(extra_topic, STRING_TYPE, typestore=string_store,
                                     offered_qos_profiles=LATCHED_STATUS_QOS)
        for i in range(pairs):
            t = start_ns + i * period
            rgb, ir = as_encoding(*scene.frame(i), rgb_encoding, ir_encoding)
            rs, ts = Stamp.from_ns(t), Stamp.from_ns(t + ir_offset_ns)
            msg_rgb = array_to_image(rgb, rgb_encoding, rs, "camera_rgb", *image_classes(store), data_as_array=True)
            msg_ir = array_to_image(ir, ir_encoding, ts, "camera_ir", *image_classes(store), data_as_array=True)
            if step_pad:
                for m in (msg_rgb, msg_ir):
                    rows = m.data.reshape(m.height, m.step)
                    m.data = np.pad(rows, ((0, 0), (0, step_pad)), constant_values=7).ravel()
                    m.step += step_pad
            raw_rgb = bytes(store.serialize_cdr(msg_rgb, IMAGE_TYPE))
            if corrupt.get(i) == "short":
                msg_rgb.data = msg_rgb.data[: msg_rgb.data.size // 2]
                raw_rgb = bytes(store.serialize_cdr(msg_rgb, IMAGE_TYPE))
            elif corrupt.get(i) == "garbage":
                raw_rgb = raw_rgb[:40]
            writer.write(c_rgb, t + 1_000_000, raw_rgb)
            writer.write(c_ir, t + ir_offset_ns + 2_000_000, store.serialize_cdr(msg_ir, IMAGE_TYPE))
            out.rgb_stamps.append(rs)
            out.ir_stamps.append(ts)
            if i % 2 == 0:
                msg = string_store.types[STRING_TYPE](data=f"status {i}: ok")
                raw = bytes(string_store.serialize_cdr(msg, STRING_TYPE))
                writer.write(c_ex, t + 500_000, raw)
                out.extra_messages.append((t + 500_000, raw))
    return out


def _write_ros1(path: Path, scene: SyntheticScene, out: SyntheticBag, pairs: int, rgb_encoding: str,
                ir_encoding: str, period: int, ir_offset_ns: int, start_ns: int) -> SyntheticBag:
    """A ROS 1 .bag with the same content (ROS 1 Header with seq; String latched)."""
    from rosbags.rosbag1 import Writer as Writer1
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    image_cls, header_cls, time_cls = (store.types[n] for n in
                                       (IMAGE_TYPE, "std_msgs/msg/Header", "builtin_interfaces/msg/Time"))

    def image(arr: np.ndarray, encoding: str, stamp: Stamp, frame_id: str, seq: int) -> bytes:
        info = enc.ENCODINGS[encoding]
        data = np.ascontiguousarray(arr, dtype=np.dtype(info.dtype).newbyteorder("<")).view(np.uint8).ravel()
        msg = image_cls(header=header_cls(seq=seq, stamp=time_cls(sec=stamp.sec, nanosec=stamp.nanosec),
                                          frame_id=frame_id),
                        height=arr.shape[0], width=arr.shape[1], encoding=encoding, is_bigendian=0,
                        step=data.size // arr.shape[0], data=data)
        return bytes(store.serialize_ros1(msg, IMAGE_TYPE))

    with Writer1(path) as writer:
        c_rgb = writer.add_connection(out.rgb_topic, IMAGE_TYPE, typestore=store)
        c_ir = writer.add_connection(out.ir_topic, IMAGE_TYPE, typestore=store)
        c_ex = writer.add_connection(out.extra_topic, STRING_TYPE, typestore=store, latching=1)
        for i in range(pairs):
            t = start_ns + i * period
            rgb, ir = as_encoding(*scene.frame(i), rgb_encoding, ir_encoding)
            rs, ts = Stamp.from_ns(t), Stamp.from_ns(t + ir_offset_ns)
            writer.write(c_rgb, t + 1_000_000, image(rgb, rgb_encoding, rs, "camera_rgb", i))
            writer.write(c_ir, t + ir_offset_ns + 2_000_000, image(ir, ir_encoding, ts, "camera_ir", i))
            out.rgb_stamps.append(rs)
            out.ir_stamps.append(ts)
            if i % 2 == 0:
                raw = bytes(store.serialize_ros1(store.types[STRING_TYPE](data=f"status {i}: ok"), STRING_TYPE))
                writer.write(c_ex, t + 500_000, raw)
                out.extra_messages.append((t + 500_000, raw))
    return out
