"""Time-synchronised (colour, thermal) pairs streamed from two image topics of a rosbag, as the
canonical arrays the codecs take. Read message by message (rosbags AnyReader: rosbag1 or rosbag2,
sqlite3 or mcap), so memory does not grow with the bag. Used by training and the demo's --bag."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image

from .. import encodings as enc
from ..codecs import thermal16
from ..imagemsg import image_to_array
from .pairing import Paired, StampPairer


def colour_of(msg: Any) -> np.ndarray:
    """HxWx3 uint8 RGB from a colour or mono Image (a mono camera becomes gray RGB)."""
    encoding = str(msg.encoding)
    if encoding in enc.THERMAL_ENCODINGS:
        return np.repeat(thermal_of(msg)[:, :, None], 3, axis=2)
    return np.ascontiguousarray(enc.colour_to_rgb(image_to_array(msg, enc.COLOUR_ENCODINGS, copy=True), encoding))


def thermal_of(msg: Any) -> np.ndarray:
    """HxW uint8 thermal: mono16 through the codecs' own 8-bit mapping, colour-coded thermal
    (three identical channels) to its luma."""
    encoding = str(msg.encoding)
    if encoding in enc.COLOUR_ENCODINGS:
        rgb = enc.colour_to_rgb(image_to_array(msg, enc.COLOUR_ENCODINGS, copy=True), encoding)
        return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))
    image = image_to_array(msg, enc.THERMAL_ENCODINGS, copy=True)
    return thermal16.to_8bit(image)[0] if image.dtype == np.uint16 else image


def header_ns(msg: Any, fallback_ns: int) -> int:
    """The header stamp in ns; the bag's receive time when a driver left the stamp at zero."""
    ns = int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)
    return ns or fallback_ns


def paired_messages(bag: str | Path, rgb_topic: str, ir_topic: str, slop_ms: float) -> Iterator[tuple[Any, Any]]:
    """(colour msg, thermal msg) pairs in stamp order, streamed from one read of the bag."""
    from rosbags.highlevel import AnyReader

    from .types import jazzy_store

    if rgb_topic == ir_topic:
        raise ValueError(f"colour and thermal topics must differ, both are {rgb_topic!r}")
    with AnyReader([Path(bag)], default_typestore=jazzy_store()) as reader:
        by_topic = {c.topic: c for c in reader.connections}
        missing = [t for t in (rgb_topic, ir_topic) if t not in by_topic]
        if missing:
            raise ValueError(f"{bag}: no topic {', '.join(missing)}; topics: {', '.join(sorted(by_topic))}")
        roles = {rgb_topic: "rgb", ir_topic: "ir"}
        pairer: StampPairer[Any] = StampPairer(int(slop_ms * 1e6))
        conns = [c for c in reader.connections if c.topic in roles]
        for conn, t_ns, raw in reader.messages(connections=conns):
            msg = reader.deserialize(raw, conn.msgtype)
            for event in pairer.push(roles[conn.topic], header_ns(msg, t_ns), msg):  # type: ignore[arg-type]
                if isinstance(event, Paired):
                    yield event.rgb.item, event.ir.item
        for event in pairer.flush():
            if isinstance(event, Paired):
                yield event.rgb.item, event.ir.item
