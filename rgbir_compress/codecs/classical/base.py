"""What every classical codec shares: the quality map, encoder options, and decoded-output checks.

A subclass codes one image at a time through four hooks (colour and gray, encode and decode);
this base turns them into the pair-level `encode_streams`/`decode_streams` of `PairCodec`.
Decoders receive the declared size so they can refuse a stream that decodes to anything else
(imagecodecs checks a preallocated `out=` array before it decodes, so a corrupt header that
claims a huge image is refused without allocating it).
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from ...errors import DecodeError
from ..base import PairCodec, Streams
from .quality_map import QualityMap

# ITU-R BT.601 luma weights: recover the gray level from a gray image coded as three equal channels.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def gray_as_rgb(gray: np.ndarray) -> np.ndarray:
    """HxW -> HxWx3 with equal channels, for libraries that code colour only (their chroma is flat)."""
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """Undo `gray_as_rgb` after lossy coding: the luma of the decoded colour image."""
    return np.clip(np.rint(rgb.astype(np.float32) @ _LUMA), 0, 255).astype(np.uint8)


def checked(image: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The decoded image, or DecodeError when it is not uint8 of exactly `shape`."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != shape:
        got = f"{image.shape} {image.dtype}" if isinstance(image, np.ndarray) else type(image).__name__
        raise DecodeError(f"{what} decoded to {got}, expected {shape} uint8")
    return np.ascontiguousarray(image)


class ClassicalCodec(PairCodec):
    """A library codec: colour in 4:2:0 where the format has it, thermal as one channel.

    Subclasses set `quality_map`, `library` (for model_id) and, optionally, `defaults`: encoder-only
    options (speed presets and the like) that a caller may override as keyword arguments.
    """

    quality_map: ClassVar[QualityMap]
    defaults: ClassVar[dict[str, Any]] = {}
    codes_colour_alone = True  # the two images are independent files

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            valid = ", ".join(sorted(self.defaults)) or "none"
            raise TypeError(f"{self.name}: unknown option(s) {', '.join(unknown)}; valid: {valid}")
        self.options: dict[str, Any] = {**self.defaults, **options}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "quality_map" in cls.__dict__ and "quality_help" not in cls.__dict__:
            cls.quality_help = cls.quality_map.describe()

    @classmethod
    def with_options(cls, name: str, options: dict[str, Any]) -> type[ClassicalCodec]:
        """Codec `name`: this format with other encoder defaults (a speed preset, catalog.py). The
        quality map and bitstream are this class's; the quality help names the settings."""
        settings = ", ".join(f"{k}={v}" for k, v in options.items())
        return type(f"{cls.__name__}_{name.replace('-', '_')}", (cls,), {
            "__doc__": f"{cls.__name__} with {settings} (a speed preset; same format).",
            "__module__": cls.__module__,
            "name": name,
            "defaults": {**cls.defaults, **options},
            "quality_help": f"{cls.quality_help}; {settings}",
        })

    @property
    def model_id(self) -> str:
        return self.library_version()

    def can_decode_model(self, model_id: str) -> bool:
        """A standard format decodes whatever library version wrote it; model_id is provenance."""
        return True

    @classmethod
    @abstractmethod
    def library_version(cls) -> str:
        """Library and version, e.g. 'imagecodecs-2026.3.6/libjpeg_turbo-3.1.3'."""

    def native(self, quality: float) -> int | float:
        """The codec's own setting for project quality q."""
        return self.quality_map(quality)

    # -- the four per-image hooks --------------------------------------------------------------
    @abstractmethod
    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        """HxWx3 uint8 RGB -> bitstream."""

    @abstractmethod
    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        """HxW uint8 -> bitstream."""

    @abstractmethod
    def decode_colour(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        """Bitstream -> HxWx3 uint8 RGB of the declared size (anything else is a DecodeError)."""

    @abstractmethod
    def decode_gray(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        """Bitstream -> HxW uint8 of the declared size."""

    # -- PairCodec hooks -----------------------------------------------------------------------
    def encode_streams(self, rgb: np.ndarray, thermal: np.ndarray, quality: float) -> Streams:
        setting = self.native(quality)
        return Streams(bytes(self.encode_colour(rgb, setting)), bytes(self.encode_gray(thermal, setting)))

    def encode_colour_streams(self, rgb: np.ndarray, quality: float) -> Streams:
        return Streams(bytes(self.encode_colour(rgb, self.native(quality))), b"")

    def decode_colour_streams(self, streams: Streams, rgb_hw: tuple[int, int], quality: float) -> np.ndarray:
        self._check_colour(streams)
        return checked(self.decode_colour(streams.rgb_data, rgb_hw), rgb_hw + (3,), f"{self.name} colour")

    def _check_colour(self, streams: Streams) -> None:
        if streams.affine_gamma.size or streams.affine_beta.size:
            raise DecodeError(f"{self.name}: classical streams carry no affine coefficients")
        if not streams.rgb_data:
            raise DecodeError(f"{self.name}: empty colour bitstream")

    def decode_streams(
        self, streams: Streams, rgb_hw: tuple[int, int], thermal_hw: tuple[int, int], quality: float
    ) -> tuple[np.ndarray, np.ndarray]:
        self._check_colour(streams)
        if not streams.thermal_data:
            raise DecodeError(f"{self.name}: empty thermal bitstream")
        rgb = self.decode_colour_streams(streams, rgb_hw, quality)
        gray = checked(self.decode_gray(streams.thermal_data, thermal_hw), thermal_hw, f"{self.name} thermal")
        return rgb, gray
