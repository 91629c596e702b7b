"""Opening bags and copying topics with rosbags.

Input is anything `AnyReader` reads: a rosbag2 folder (sqlite3 or mcap) or a ROS 1 `.bag`. Output
is always rosbag2 (version 9, sqlite3 or mcap). A copied rosbag2 topic keeps its message bytes,
definition, type hash, serialization format and offered QoS profiles; a ROS 1 topic is converted
to CDR byte by byte (rosbags' ros1_to_cdr) with ROS 2's Header, latched topics becoming
transient-local.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from rosbags.highlevel import AnyReader
from rosbags.interfaces import (
    Connection,
    ConnectionExtRosbag2,
    MessageDefinitionFormat,
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import ReaderError, StoragePlugin, Writer
from rosbags.rosbag2.metadata import parse_qos
from rosbags.typesys.store import Typestore

from .types import jazzy_store, merged_store, ros2_header_typedefs

STORAGES: dict[str, StoragePlugin] = {"sqlite3": StoragePlugin.SQLITE3, "mcap": StoragePlugin.MCAP}
#: custom_data key under which the tools record what they did (JSON text).
CUSTOM_KEY = "rgbir_compress"

_NEVER = QosTime(2147483647, 4294967295)
#: What a latched ROS 1 topic becomes (as rosbags' own converter does).
LATCHED_QOS = [Qos(QosHistory.UNKNOWN, 0, QosReliability.RELIABLE, QosDurability.TRANSIENT_LOCAL,
                   _NEVER, _NEVER, QosLiveliness.AUTOMATIC, _NEVER, avoid_ros_namespace_conventions=False)]


def open_reader(path: Path) -> AnyReader:
    """A reader for a rosbag2 folder or ROS 1 .bag (bags without definitions use Jazzy's).
    rosbags opens sqlite3 read-only and immutable, mcap and .bag files with mode 'rb'."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no bag at {path}")
    return AnyReader([Path(path)], default_typestore=jazzy_store())


def open_writer(path: Path, storage: str) -> Writer:
    if storage not in STORAGES:
        raise ValueError(f"unknown storage {storage!r}; choose one of: {', '.join(STORAGES)}")
    return Writer(path, version=9, storage_plugin=STORAGES[storage])


def output_store(reader: AnyReader) -> Typestore:
    """Types for the output: the input's own definitions (ROS 1 ones with ROS 2's Header),
    plus what the tools write themselves."""
    if reader.is2:
        return merged_store(reader.typestore.fielddefs)
    return merged_store(ros2_header_typedefs(), reader.typestore.fielddefs)


def qos_of(conn: Connection) -> list[Qos]:
    ext = conn.ext
    if isinstance(ext, ConnectionExtRosbag2):
        return list(ext.offered_qos_profiles)
    return LATCHED_QOS if getattr(ext, "latching", 0) else []


def qos_from_record(items: Any) -> list[Qos] | None:
    """QoS profiles from the tool record (rosbags' metadata v9 dicts, `dump_qos_v9`); None when the record holds none or cannot be read (older bags)."""
    if not isinstance(items, list):
        return None
    try:
        return parse_qos(items)
    except (KeyError, TypeError, ValueError, ReaderError):
        return None


def custom_data(reader: AnyReader) -> dict[str, str]:
    """The input's metadata custom_data (rosbag2 only; rosbags 0.11 keeps it on the storage's
    metadata, which has no public accessor)."""
    out: dict[str, str] = {}
    for sub in reader.readers:
        meta = getattr(getattr(sub, "storage", sub), "metadata", None)
        custom = getattr(meta, "custom", None) or {}
        out.update({str(k): str(v) for k, v in custom.items()})
    return out


def tool_record(reader: AnyReader) -> dict[str, Any]:
    """What an earlier `bag compress` recorded in the input's custom_data (empty if nothing)."""
    text = custom_data(reader).get(CUSTOM_KEY)
    if not text:
        return {}
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def find_connections(reader: AnyReader, topic: str, msgtype: str | None = None) -> list[Connection]:
    conns = [c for c in reader.connections if c.topic == topic]
    if not conns:
        have = ", ".join(sorted({f"{c.topic} [{c.msgtype}]" for c in reader.connections}))
        raise ValueError(f"topic {topic!r} is not in the bag; it has: {have}")
    if msgtype and any(c.msgtype != msgtype for c in conns):
        raise ValueError(f"topic {topic!r} carries {conns[0].msgtype}, expected {msgtype}")
    return conns


class TopicCopier:
    """Maps input connections to output connections and input bytes to output bytes."""

    def __init__(self, reader: AnyReader, writer: Writer, store: Typestore) -> None:
        self.reader = reader
        self.writer = writer
        self.store = store
        self._conns: dict[tuple[int, int], Connection] = {}

    def connection(self, rconn: Connection) -> Connection:
        key = (id(rconn.owner), rconn.id)
        if key not in self._conns:
            self._conns[key] = self._add(rconn)
        return self._conns[key]

    def _add(self, rconn: Connection) -> Connection:
        qos = qos_of(rconn)
        fmt = rconn.ext.serialization_format if isinstance(rconn.ext, ConnectionExtRosbag2) else "cdr"
        for conn in self.writer.connections:  # same topic recorded twice with equal settings
            if conn.topic == rconn.topic and conn.msgtype == rconn.msgtype and conn.ext == ConnectionExtRosbag2(fmt, qos):
                return conn
        exact = self.reader.is2 and rconn.msgdef.format != MessageDefinitionFormat.NONE and rconn.digest
        if exact:
            return self.writer.add_connection(
                rconn.topic, rconn.msgtype, msgdef=rconn.msgdef.data, rihs01=rconn.digest,
                serialization_format=fmt, offered_qos_profiles=qos,
            )
        return self.writer.add_connection(
            rconn.topic, rconn.msgtype, typestore=self.store, serialization_format=fmt, offered_qos_profiles=qos,
        )

    def converter(self) -> Callable[[Connection, bytes], bytes | memoryview]:
        if self.reader.is2:
            return lambda _conn, raw: raw
        return lambda conn, raw: self.store.ros1_to_cdr(raw, conn.msgtype)


class PassThrough:
    """Copies the messages a tool does not transform, unchanged and in log-time order (shared by
    compress and decompress). Subclasses provide `convert`, `output`, `copier` and `report`."""

    def _copy(self, conn: Any, log_time: int, raw: bytes) -> None:
        try:
            data = self.convert(conn, raw)  # identity for rosbag2 input; ROS 1 -> CDR can fail
        except Exception as exc:
            self.report.problems.add("corrupt message", conn.topic, log_time, f"{type(exc).__name__}: {exc}")
            return
        self.output.put(log_time, self.copier.connection(conn), data)
        self.report.copied += 1
