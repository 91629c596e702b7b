"""Full-precision mono16 coding: exact counts (max_error 0) or every count within N, checked.

Why each step:
- offset: radiometric frames occupy a few thousand counts high in the 16-bit range; coding v = x - min
  is exact and lets spans under 256 travel as uint8 (JPEG-LS then uses 8-bit context thresholds).
- bound: JPEG-LS holds |err| <= NEAR by the standard; every other back-end is lossless and gets a
  bound from a uniform pre-quantiser q = (v + N) // (2N + 1), v' = q (2N + 1), |v - v'| <= N.
- check: the encoder decodes what it wrote and compares with the input. A stream that misses the
  bound is replaced by the lossless JPEG-LS stream (flagged FELL_BACK), so no stream leaves the
  encoder that breaks its promise; the CRC in the header stops corruption on the way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import DecodeError, EncodeError
from . import header as hdr
from .backends import BACKENDS, BY_ID

#: What method="auto" codes with: JPEG-LS was the smallest at every bound on the real frames but the
#: slower JPEG XL effort 3 (lossless, ~1.5 % smaller, ~2x the time); see docs/results_thermal16.md.
AUTO = "jpegls"
#: The lossless path a stream that missed its bound falls back to.
FALLBACK = "jpegls"
#: Largest bound: JPEG-LS takes NEAR <= MAXVAL / 2, and larger errors are not "radiometric" any more.
MAX_ERROR = 32767
METHODS = ("auto", *BACKENDS)


@dataclass(frozen=True)
class EncodedMono16:
    """An encoded frame and how it was coded: `data` is all a decoder needs."""

    data: bytes
    method: str            # the back-end that coded it
    requested: str         # what the caller asked for
    max_error: int         # the bound the stream guarantees (0 = bit exact)
    fell_back: bool        # True: `requested` missed the bound, `data` is the lossless fallback
    measured_error: int    # max |decoded - input| found by the encode-time check

    def __bytes__(self) -> bytes:
        return self.data

    def __len__(self) -> int:
        return len(self.data)


def _check_input(img: np.ndarray, max_error: int, method: str) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint16 or img.ndim != 2:
        got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise EncodeError(f"mono16 coding takes a 2-D uint16 array, got {got}")
    if img.size == 0 or img.size > hdr.MAX_PIXELS:
        raise EncodeError(f"mono16 image size {img.shape[1]}x{img.shape[0]} is empty or too large")
    if not isinstance(max_error, (int, np.integer)) or not 0 <= max_error <= MAX_ERROR:
        raise EncodeError(f"max_error must be an integer in [0, {MAX_ERROR}], got {max_error!r}")
    if method not in METHODS:
        raise EncodeError(f"unknown mono16 method {method!r}; known: {', '.join(METHODS)}")
    if method != "auto" and not BACKENDS[method].available:
        raise EncodeError(f"mono16 method {method!r} is not available in this imagecodecs build")
    return np.ascontiguousarray(img)


def _code(img: np.ndarray, max_error: int, name: str, flags: int = 0) -> bytes:
    """One stream of `img` by back-end `name` with bound `max_error` (not yet checked)."""
    backend = BACKENDS[name]
    offset, top = int(img.min()), int(img.max())
    v = img - np.uint16(offset)  # exact: offset is the minimum
    near = 0
    if max_error > 0 and backend.near_lossless:
        near = max_error
    elif max_error > 0:
        v = (v.astype(np.int32) + max_error) // (2 * max_error + 1)
        flags |= hdr.PREQUANT
    top = int(v.max()) if flags & hdr.PREQUANT else top - offset
    # JPEG-LS refuses NEAR above MAXVAL / 2: keep 16-bit samples when the bound is that large.
    if top < 256 and near <= 127:
        samples, flags = v.astype(np.uint8), flags | hdr.NARROW
    else:
        samples = v.astype(np.uint16)
    payload = backend.encode(samples, near)
    head = hdr.Header(backend.id, flags, max_error, img.shape[0], img.shape[1], offset, len(payload))
    return hdr.pack(head, payload)


def encode_mono16(img: np.ndarray, max_error: int = 0, method: str = "auto") -> EncodedMono16:
    """Code a HxW uint16 frame so that every decoded count is within `max_error` of `img` (0 = bit
    exact). The bound is verified here by decoding the stream; a method that misses it (or fails)
    is replaced by lossless JPEG-LS, and the result says so. Raises EncodeError for bad input."""
    img = _check_input(img, max_error, method)
    name = AUTO if method == "auto" else method
    try:
        data = _code(img, int(max_error), name)
        err = _max_error(decode_mono16(data, img.shape), img)
    except Exception:  # a library refusing this input: the fallback below still codes it
        err = None
    if err is not None and err <= max_error:
        return EncodedMono16(data, name, method, int(max_error), False, err)
    data = _code(img, 0, FALLBACK, hdr.FELL_BACK)
    err = _max_error(decode_mono16(data, img.shape), img)
    if err != 0:  # the lossless path itself is broken: refuse rather than ship a wrong frame
        raise EncodeError(f"mono16 lossless fallback {FALLBACK} is not exact here (max error {err})")
    return EncodedMono16(data, FALLBACK, method, 0, True, 0)


def _max_error(decoded: np.ndarray, img: np.ndarray) -> int:
    if np.array_equal(decoded, img):
        return 0
    return int(np.abs(decoded.astype(np.int32) - img).max())


def read_header(data: bytes) -> hdr.Header:
    """The header of a stream (CRC checked) without decoding the image: for diagnostics."""
    return hdr.unpack(data)[0]


def method_of(head: hdr.Header) -> str:
    backend = BY_ID.get(head.method_id)
    if backend is None:
        raise DecodeError(f"mono16 stream names unknown method id {head.method_id}")
    return backend.name


def decode_mono16(data: bytes, shape: tuple[int, int] | None = None) -> np.ndarray:
    """The HxW uint16 frame of a stream from `encode_mono16`. `shape` (if given) must match the
    stream's own. Raises DecodeError for truncated, corrupt, foreign or mismatched data."""
    head, payload = hdr.unpack(data)
    hw = (head.height, head.width)
    if shape is not None and tuple(shape) != hw:
        raise DecodeError(f"mono16 stream holds a {hw[1]}x{hw[0]} frame, expected {shape[1]}x{shape[0]}")
    backend = BY_ID.get(head.method_id)
    if backend is None:
        raise DecodeError(f"mono16 stream names unknown method id {head.method_id}")
    dtype = np.dtype(np.uint8 if head.narrow else np.uint16)
    try:
        samples = backend.decode(payload, hw, dtype)
    except Exception as exc:
        raise DecodeError(f"mono16 {backend.name} payload does not decode ({type(exc).__name__}: {exc})") from exc
    if not isinstance(samples, np.ndarray) or samples.shape != hw or samples.dtype != dtype:
        got = f"{samples.shape} {samples.dtype}" if isinstance(samples, np.ndarray) else type(samples).__name__
        raise DecodeError(f"mono16 {backend.name} payload decoded to {got}, expected {hw} {dtype}")
    v = samples.astype(np.int32)  # samples are unsigned, so v >= 0 and only the top can overflow
    if head.prequantised:
        v *= 2 * head.max_error + 1
    v += head.offset
    np.minimum(v, 65535, out=v)
    return v.astype(np.uint16)
