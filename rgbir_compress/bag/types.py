"""rosbags type stores for the bag tools.

CompressedRGBIR is registered from the project's own `.msg` text, so the definition written into
each bag (and the type hash computed from it) is the one rosidl builds: any reader that takes
definitions from the bag (rosbags AnyReader, mcap-ros2, ros2 bag) decodes it with no extra setup.
Standard types come from the bag being read first and ROS 2 Jazzy second, so copying a topic
never rewrites its definition.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from rosbags.interfaces.typing import Typesdict
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

COMPRESSED_TYPE = "rgbir_compress/msg/CompressedRGBIR"
IMAGE_TYPE = "sensor_msgs/msg/Image"
HEADER_TYPE = "std_msgs/msg/Header"
TIME_TYPE = "builtin_interfaces/msg/Time"
_MSG_FILE = "CompressedRGBIR.msg"
#: Types the tools construct themselves (and so need even when the input bag lacks them).
NEEDED_STANDARD = (IMAGE_TYPE, HEADER_TYPE, TIME_TYPE)


def msg_file() -> Path:
    """The .msg file: the source tree's msg/, else an installed package's share/ (rosidl puts it
    there), searched under this Python's prefix and AMENT_PREFIX_PATH."""
    candidates = [Path(__file__).resolve().parents[2] / "msg" / _MSG_FILE]
    prefixes = [sys.prefix, *os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)]
    candidates += [Path(p) / "share" / "rgbir_compress" / "msg" / _MSG_FILE for p in prefixes if p]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"{_MSG_FILE} not found; looked in: {', '.join(map(str, candidates))}")


@lru_cache(maxsize=1)
def compressed_typedefs() -> Typesdict:
    return get_types_from_msg(msg_file().read_text(), COMPRESSED_TYPE)


@lru_cache(maxsize=1)
def _jazzy() -> Typestore:
    return get_typestore(Stores.ROS2_JAZZY)


def jazzy_store() -> Typestore:
    """ROS 2 Jazzy's standard types (the default for bags without embedded definitions)."""
    return _jazzy()


def merged_store(*typedefs: Typesdict) -> Typestore:
    """A new store holding the given definitions; earlier ones win, later ones only add types
    the store lacks, then the few standard types the tools build, then CompressedRGBIR."""
    store = get_typestore(Stores.EMPTY)
    for defs in (*typedefs, {k: _jazzy().fielddefs[k] for k in NEEDED_STANDARD}, compressed_typedefs()):
        missing = {k: v for k, v in defs.items() if k not in store.fielddefs}
        if missing:
            store.register(missing)
    return store


def ros2_header_typedefs() -> Typesdict:
    """ROS 2's Header (no seq): replaces ROS 1's when a ROS 1 bag is written as rosbag2."""
    return {HEADER_TYPE: _jazzy().fielddefs[HEADER_TYPE]}


def image_classes(store: Typestore) -> tuple[Any, Any, Any]:
    """(Image, Header, Time) classes of `store`, as imagemsg.array_to_image takes them."""
    return classes(store, IMAGE_TYPE, HEADER_TYPE, TIME_TYPE)


def classes(store: Typestore, *names: str) -> tuple[Any, ...]:
    """The generated message dataclasses for `names`."""
    return tuple(store.types[n] for n in names)
