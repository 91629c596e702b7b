"""JPEG (libjpeg-turbo via imagecodecs): colour as YCbCr 4:2:0, thermal as a one-channel JPEG."""
from __future__ import annotations

import imagecodecs
import numpy as np

from .imagecodecs_family import ImagecodecsCodec
from .quality_map import QualityMap


class JpegCodec(ImagecodecsCodec):
    """Below quality 5 JPEG is blocks only, above 95 it spends bits on noise: the map spans 5..95."""

    feature = "jpeg8"
    decode_fn = staticmethod(imagecodecs.jpeg8_decode)
    quality_map = QualityMap("JPEG quality", 5, 95)
    #: optimize: optimal Huffman tables (what `cjpeg -optimize` and most tools do; smaller, same image).
    defaults = {"optimize": True}

    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        return imagecodecs.jpeg8_encode(rgb, level=int(setting), subsampling="420", **self.options)

    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        return imagecodecs.jpeg8_encode(gray, level=int(setting), **self.options)
