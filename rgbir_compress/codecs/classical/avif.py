"""AVIF (libavif + libaom via imagecodecs): colour as YUV 4:2:0, thermal as YUV 4:0:0 (luma only)."""
from __future__ import annotations

import imagecodecs
import numpy as np

from .base import gray_as_rgb
from .imagecodecs_family import ImagecodecsCodec
from .quality_map import QualityMap


class AvifCodec(ImagecodecsCodec):
    """Quality 100 is lossless in libavif (and decodes gray as three channels): the map stops at 95."""

    feature = "avif"
    decode_fn = staticmethod(imagecodecs.avif_decode)
    quality_map = QualityMap("AVIF quality", 0, 95)
    #: speed: libavif encoder speed 0 (slowest, smallest) .. 10; 6 is libaom's usual default.
    defaults = {"speed": 6}

    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        return imagecodecs.avif_encode(rgb, level=int(setting), speed=self.options["speed"], pixelformat="yuv420")

    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        # A 2-D array makes imagecodecs ignore `level` and code losslessly; three equal channels
        # with pixelformat yuv400 give a true one-plane lossy AVIF that decodes to HxW.
        return imagecodecs.avif_encode(
            gray_as_rgb(gray), level=int(setting), speed=self.options["speed"], pixelformat="yuv400"
        )
