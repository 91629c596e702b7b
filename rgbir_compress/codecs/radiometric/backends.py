"""The wrapped coders: each turns a non-negative uint8/uint16 HxW array into bytes and back.

Only JPEG-LS codes near-lossless itself (NEAR = N bounds every sample by the standard, with the
quantisation inside the prediction loop); every other back-end is lossless and reaches a bound
through the pre-quantiser in mono16.py. Decoders get the expected shape and dtype and must return
exactly that (the caller checks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import imagecodecs
import numpy as np
import zstandard


@dataclass(frozen=True)
class Backend:
    name: str
    id: int  # in the stream header: never reuse or renumber
    encode: Callable[[np.ndarray, int], bytes]  # (array, near) -> payload; near > 0 only if `near_lossless`
    decode: Callable[[memoryview, tuple[int, int], np.dtype], np.ndarray]
    near_lossless: bool = False
    available: bool = True


def _jpegls_encode(a: np.ndarray, near: int) -> bytes:
    return bytes(imagecodecs.jpegls_encode(a, level=near))


def _jpegls_decode(p: memoryview, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    return imagecodecs.jpegls_decode(bytes(p))


def _jpegxl_encoder(effort: int) -> Callable[[np.ndarray, int], bytes]:
    def encode(a: np.ndarray, near: int) -> bytes:
        return bytes(imagecodecs.jpegxl_encode(a, lossless=True, effort=effort))
    return encode


def _jpegxl_decode(p: memoryview, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    return imagecodecs.jpegxl_decode(bytes(p))


def _png_encode(a: np.ndarray, near: int) -> bytes:
    return bytes(imagecodecs.png_encode(a))


def _png_decode(p: memoryview, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    return imagecodecs.png_decode(bytes(p))


def _zstd_encoder(level: int) -> Callable[[np.ndarray, int], bytes]:
    def encode(a: np.ndarray, near: int) -> bytes:
        return zstandard.ZstdCompressor(level=level).compress(a.astype(a.dtype.newbyteorder("<")).tobytes())
    return encode


def _zstd_decode(p: memoryview, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    size = shape[0] * shape[1] * np.dtype(dtype).itemsize
    raw = zstandard.ZstdDecompressor().decompress(bytes(p), max_output_size=size)
    if len(raw) != size:
        raise ValueError(f"zstd payload holds {len(raw)} bytes, expected {size}")
    return np.frombuffer(raw, np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)


BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("jpegls", 1, _jpegls_encode, _jpegls_decode, near_lossless=True,
            available=imagecodecs.JPEGLS.available),
    Backend("jpegxl-e1", 2, _jpegxl_encoder(1), _jpegxl_decode, available=imagecodecs.JPEGXL.available),
    Backend("jpegxl-e2", 3, _jpegxl_encoder(2), _jpegxl_decode, available=imagecodecs.JPEGXL.available),
    Backend("jpegxl-e3", 4, _jpegxl_encoder(3), _jpegxl_decode, available=imagecodecs.JPEGXL.available),
    Backend("png", 5, _png_encode, _png_decode, available=imagecodecs.PNG.available),
    Backend("zstd-3", 6, _zstd_encoder(3), _zstd_decode),
    Backend("zstd-19", 7, _zstd_encoder(19), _zstd_decode),
)}
BY_ID: dict[int, Backend] = {b.id: b for b in BACKENDS.values()}
