"""The RGB + thermal pair as the library passes it around: arrays plus the metadata a ROS
message carries, so nothing about the source images is lost between encoder and decoder."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Stamp:
    """A ROS-style time (builtin_interfaces/Time) without ROS."""

    sec: int = 0
    nanosec: int = 0

    @classmethod
    def from_ns(cls, ns: int) -> "Stamp":
        return cls(int(ns // 1_000_000_000), int(ns % 1_000_000_000))

    @property
    def ns(self) -> int:
        return self.sec * 1_000_000_000 + self.nanosec


@dataclass
class ImagePair:
    """A colour image and a thermal image of one scene.

    rgb: HxWx{3,4} uint8 in `rgb_encoding` (rgb8, bgr8, rgba8, bgra8).
    thermal: HxW uint8 (mono8) or uint16 (mono16). The two sizes may differ.
    """

    rgb: np.ndarray
    thermal: np.ndarray
    rgb_encoding: str = "rgb8"
    thermal_encoding: str = ""  # derived from thermal.dtype when empty
    stamp: Stamp = field(default_factory=Stamp)
    frame_id: str = ""
    thermal_stamp: Stamp = field(default_factory=Stamp)
    thermal_frame_id: str = ""

    def __post_init__(self) -> None:
        if not self.thermal_encoding:
            from .encodings import thermal_encoding_of

            self.thermal_encoding = thermal_encoding_of(self.thermal)
