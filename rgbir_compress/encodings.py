"""sensor_msgs/Image encodings the project handles, in one table, and their conversion to the
canonical arrays every codec sees: colour as HxWx3 uint8 in RGB order, thermal as HxW uint8/uint16.

Alpha is not coded: rgba8/bgra8 come back with alpha 255.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import EncodeError


@dataclass(frozen=True)
class Encoding:
    name: str
    dtype: type
    channels: int
    rgb_order: tuple[int, ...] | None  # indices of R, G, B in the channel axis; None for mono


ENCODINGS: dict[str, Encoding] = {
    e.name: e
    for e in (
        Encoding("rgb8", np.uint8, 3, (0, 1, 2)),
        Encoding("bgr8", np.uint8, 3, (2, 1, 0)),
        Encoding("rgba8", np.uint8, 4, (0, 1, 2)),
        Encoding("bgra8", np.uint8, 4, (2, 1, 0)),
        Encoding("mono8", np.uint8, 1, None),
        Encoding("mono16", np.uint16, 1, None),
    )
}
COLOUR_ENCODINGS = ("rgb8", "bgr8", "rgba8", "bgra8")
THERMAL_ENCODINGS = ("mono8", "mono16")


def lookup(name: str, allowed: tuple[str, ...]) -> Encoding:
    if name not in allowed:
        raise EncodeError(f"unsupported encoding {name!r}; supported: {', '.join(allowed)}")
    return ENCODINGS[name]


def colour_to_rgb(image: np.ndarray, encoding: str) -> np.ndarray:
    """Colour image in `encoding` -> HxWx3 uint8 RGB (a view where possible)."""
    enc = lookup(encoding, COLOUR_ENCODINGS)
    if image.ndim != 3 or image.shape[2] != enc.channels or image.dtype != np.uint8:
        raise EncodeError(f"{encoding} needs HxWx{enc.channels} uint8, got {image.shape} {image.dtype}")
    return image[:, :, list(enc.rgb_order)] if enc.rgb_order != (0, 1, 2) else image[:, :, :3]


def rgb_to_colour(rgb: np.ndarray, encoding: str) -> np.ndarray:
    """HxWx3 uint8 RGB -> array in `encoding` (alpha, if any, set to 255)."""
    enc = lookup(encoding, COLOUR_ENCODINGS)
    out = np.empty(rgb.shape[:2] + (enc.channels,), np.uint8)
    out[:, :, list(enc.rgb_order)] = rgb
    if enc.channels == 4:
        out[:, :, 3] = 255
    return out


def check_thermal(image: np.ndarray, encoding: str) -> None:
    enc = lookup(encoding, THERMAL_ENCODINGS)
    if image.ndim != 2 or image.dtype != enc.dtype:
        raise EncodeError(f"{encoding} needs HxW {np.dtype(enc.dtype).name}, got {image.shape} {image.dtype}")


def thermal_encoding_of(image: np.ndarray) -> str:
    if image.dtype == np.uint8:
        return "mono8"
    if image.dtype == np.uint16:
        return "mono16"
    raise EncodeError(f"thermal must be uint8 or uint16, got {image.dtype}")
