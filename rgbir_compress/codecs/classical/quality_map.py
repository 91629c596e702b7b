"""The project-wide quality q in [0, 1] -> a classical codec's native setting, kept as data.

Each codec owns one `QualityMap`: the native value at q=0 (lowest rate) and at q=1 (highest
rate), interpolated linearly or log-linearly. `describe()` is what `rgbir-compress codecs` prints,
so the help text can never drift from the map that is applied.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class QualityMap:
    """q -> native setting. `at0`/`at1` may run either way (x265 CRF falls as the rate rises)."""

    setting: str  # the native parameter's name, e.g. "JPEG quality", "x265 CRF"
    at0: float
    at1: float
    scale: Literal["linear", "log"] = "linear"
    digits: int = 0  # decimals kept; 0 gives an int (libraries that take integer levels)

    def __post_init__(self) -> None:
        if self.scale == "log" and min(self.at0, self.at1) <= 0:
            raise ValueError(f"{self.setting}: a log scale needs positive end points")

    def __call__(self, quality: float) -> int | float:
        q = min(1.0, max(0.0, float(quality)))
        if self.scale == "log":
            value = math.exp(math.log(self.at0) + q * (math.log(self.at1) - math.log(self.at0)))
        else:
            value = self.at0 + q * (self.at1 - self.at0)
        value = round(value, self.digits)
        return int(value) if self.digits == 0 else value

    def describe(self) -> str:
        shape = "log-linear" if self.scale == "log" else "linear"
        return f"{self.setting} {self.at0:g} (q=0) .. {self.at1:g} (q=1), {shape}"
