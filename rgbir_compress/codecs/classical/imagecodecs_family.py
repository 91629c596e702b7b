"""Shared shape of the codecs that go through `imagecodecs`: version string and sized decoding.

Subclasses name the imagecodecs feature (for availability and version) and give the decode
function; they write the two encode hooks and override a decode hook only where the library
needs it (e.g. gray coded as three equal channels).
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

import imagecodecs
import numpy as np

from .base import ClassicalCodec, gray_as_rgb, rgb_to_gray


class ImagecodecsCodec(ClassicalCodec):
    #: imagecodecs feature name: `imagecodecs.<FEATURE>.available`, `imagecodecs.<feature>_version()`.
    feature: ClassVar[str]
    #: The library's decode function, wrapped in staticmethod by subclasses.
    decode_fn: ClassVar[Callable[..., np.ndarray]]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if not getattr(imagecodecs, self.feature.upper()).available:
            raise RuntimeError(f"{self.name}: this imagecodecs build has no {self.feature} codec")

    @classmethod
    def library_version(cls) -> str:
        lib = getattr(imagecodecs, f"{cls.feature}_version")().replace(" ", "-")
        return f"imagecodecs-{imagecodecs.__version__}/{lib}"

    def decode_sized(self, data: bytes, shape: tuple[int, ...], **kwargs: Any) -> np.ndarray:
        """Decode into a preallocated array: imagecodecs refuses a stream of any other shape
        before decoding it, so a corrupt header cannot make it allocate a huge image."""
        return type(self).decode_fn(data, out=np.empty(shape, np.uint8), **kwargs)

    def decode_colour(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return self.decode_sized(data, hw + (3,))

    def decode_gray(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return self.decode_sized(data, hw)


class GrayAsColourMixin:
    """For libraries without a usable gray mode: code gray as three equal channels, decode to luma."""

    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        return self.encode_colour(gray_as_rgb(gray), setting)  # type: ignore[attr-defined]

    def decode_gray(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return rgb_to_gray(self.decode_colour(data, hw))  # type: ignore[attr-defined]
