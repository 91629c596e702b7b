"""JPEG XL (libjxl via imagecodecs), lossy VarDCT: colour in XYB (JPEG XL has no 4:2:0 mode
for pixel input), thermal as one gray channel."""
from __future__ import annotations

import imagecodecs
import numpy as np

from .imagecodecs_family import ImagecodecsCodec
from .quality_map import QualityMap


class JpegxlCodec(ImagecodecsCodec):
    """The native setting is the Butteraugli distance (lower = better), whose rate is roughly
    log-linear in it, so the map is log-linear: 15 (very low rate) .. 0.2 (near lossless)."""

    feature = "jpegxl"
    decode_fn = staticmethod(imagecodecs.jpegxl_decode)
    quality_map = QualityMap("JPEG XL distance", 15.0, 0.2, scale="log", digits=3)
    #: effort: libjxl encoder effort 1 (fast) .. 9 (small); 7 is libjxl's default.
    defaults = {"effort": 7}

    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        return imagecodecs.jpegxl_encode(rgb, distance=float(setting), effort=self.options["effort"])

    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        return imagecodecs.jpegxl_encode(gray, distance=float(setting), effort=self.options["effort"])
