"""WebP (libwebp via imagecodecs), lossy: colour in its fixed YUV 4:2:0.

libwebp has no gray mode and imagecodecs rejects 2-D input, so thermal is coded as three equal
channels (flat chroma costs a few bytes) and decoded back to its luma.
"""
from __future__ import annotations

import imagecodecs
import numpy as np

from .imagecodecs_family import GrayAsColourMixin, ImagecodecsCodec
from .quality_map import QualityMap


class WebpCodec(GrayAsColourMixin, ImagecodecsCodec):
    feature = "webp"
    decode_fn = staticmethod(imagecodecs.webp_decode)
    quality_map = QualityMap("WebP quality (lossy)", 0, 100)
    #: method: libwebp's speed/size trade-off 0 (fast) .. 6 (small); 4 is libwebp's default.
    defaults = {"method": 4}

    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        # lossless=False is essential: imagecodecs' webp_encode is lossless unless told otherwise.
        return imagecodecs.webp_encode(rgb, level=int(setting), lossless=False, method=self.options["method"])

    def decode_colour(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return self.decode_sized(data, hw + (3,), hasalpha=False)
