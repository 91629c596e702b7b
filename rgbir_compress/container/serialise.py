"""Serialise a CompressedPair to `.rgbir` container bytes and back (layout.py); every failure is a
DecodeError. The fields are read and written from `layout.FIELDS`."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from ..codecs import thermal_precision
from ..codecs.base import CompressedPair
from ..errors import DecodeError
from ..frame import Stamp
from .layout import MAGIC, MAX_AFFINE, MAX_SIDE, MAX_STRING, SUPPORTED_VERSIONS, VERSION, fields


#: struct formats of the scalar wire types.
_SCALARS = {"f32": "f", "u16": "H", "u32": "I", "i32": "i", "bool": "?"}


class _Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def pack(self, fmt: str, *values) -> None:
        self.parts.append(struct.pack("<" + fmt, *values))

    def string(self, s: str) -> None:
        raw = s.encode("utf-8")
        if len(raw) > MAX_STRING:
            raise ValueError(f"string field longer than {MAX_STRING} bytes: {s[:40]!r}...")
        self.pack("H", len(raw))
        self.parts.append(raw)

    def blob(self, b: bytes) -> None:
        self.pack("I", len(b))
        self.parts.append(bytes(b))

    def floats(self, a: np.ndarray) -> None:
        a = np.asarray(a, dtype="<f4").ravel()
        self.pack("I", a.size)
        self.parts.append(a.tobytes())

    def field(self, kind: str, value) -> None:
        if kind == "stamp":
            self.pack("iI", value.sec, value.nanosec)
        elif kind in _SCALARS:
            self.pack(_SCALARS[kind], value)
        else:
            {"str": self.string, "bytes": self.blob, "f32[]": self.floats}[kind](value)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError(
                f"truncated or corrupt container: {what} needs {n} bytes at offset {self.pos}, "
                f"only {len(self.data) - self.pos} left"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str):
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size, what))

    def string(self, what: str) -> str:
        (n,) = self.unpack("H", what)
        if n > MAX_STRING:
            raise DecodeError(f"corrupt container: {what} declares {n} bytes (limit {MAX_STRING})")
        try:
            return bytes(self.take(n, what)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"corrupt container: {what} is not UTF-8") from exc

    def blob(self, what: str) -> bytes:
        (n,) = self.unpack("I", what)
        return bytes(self.take(n, what))

    def floats(self, what: str) -> np.ndarray:
        (n,) = self.unpack("I", what)
        if n > MAX_AFFINE:
            raise DecodeError(f"corrupt container: {what} declares {n} values (limit {MAX_AFFINE})")
        return np.frombuffer(bytes(self.take(4 * n, what)), dtype="<f4").astype(np.float32)

    def field(self, kind: str, name: str):
        if kind == "stamp":
            return Stamp(*self.unpack("iI", name))
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind], name)[0]
        return {"str": self.string, "bytes": self.blob, "f32[]": self.floats}[kind](name)


def _parts(cp: CompressedPair, version: int = VERSION) -> list[bytes]:
    """The container before its crc32, as the pieces written (payloads by reference, not copied).
    `version` 1 only to check what a version-1 message carried (crc32_of)."""
    w = _Writer()
    w.parts.append(MAGIC)
    w.pack("BB", version, 0)
    for name, kind in fields(version):
        w.field(kind, getattr(cp, name))
    return w.parts


def _crc32(parts: list[bytes]) -> int:
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return crc & 0xFFFFFFFF


def crc32_of(cp: CompressedPair, version: int = VERSION) -> int:
    """The integrity value carried by files and by CompressedRGBIR.crc32 (computed over the pieces,
    without assembling the container); a version-1 message's is over the version-1 layout."""
    return _crc32(_parts(cp, version))


def dumps(cp: CompressedPair) -> bytes:
    parts = _parts(cp)
    return b"".join(parts + [struct.pack("<I", _crc32(parts))])


def loads(data: bytes) -> CompressedPair:
    """Parse container bytes. Raises DecodeError naming the problem for any bad input."""
    data = bytes(data)
    if len(data) < 10:
        raise DecodeError(f"not an .rgbir container: {len(data)} bytes is too short")
    if data[:4] != MAGIC:
        raise DecodeError(f"not an .rgbir container: magic {data[:4]!r}, expected {MAGIC!r}")
    version = data[4]
    if version not in SUPPORTED_VERSIONS:
        raise DecodeError(f"unsupported container version {version} (this build reads {SUPPORTED_VERSIONS})")
    (stored,) = struct.unpack("<I", data[-4:])
    actual = zlib.crc32(data[:-4]) & 0xFFFFFFFF
    if stored != actual:
        raise DecodeError(f"container integrity check failed (crc32 {stored:08x} != {actual:08x}): truncated or corrupted")
    r = _Reader(data[:-4])
    r.pos = 6
    cp = CompressedPair(**{name: r.field(kind, name) for name, kind in fields(version)})
    if r.pos != len(r.data):
        raise DecodeError(f"corrupt container: {len(r.data) - r.pos} unexpected trailing bytes")
    validate(cp)
    return cp


def validate(cp: CompressedPair) -> None:
    """Field checks shared by the container and the ROS message path."""
    for label, h, w in (("rgb", cp.rgb_height, cp.rgb_width), ("thermal", cp.thermal_height, cp.thermal_width)):
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise DecodeError(f"corrupt stream: {label} size {h}x{w} outside 1..{MAX_SIDE}")
    if cp.thermal_encoding == "mono16" and cp.thermal_lo >= cp.thermal_hi:
        raise DecodeError(f"corrupt stream: mono16 range [{cp.thermal_lo}, {cp.thermal_hi}] is empty")
    if not thermal_precision.WINDOW <= cp.thermal_max_error <= thermal_precision.MAX_ERROR:
        raise DecodeError(f"corrupt stream: thermal_max_error {cp.thermal_max_error} outside "
                          f"[-1, {thermal_precision.MAX_ERROR}]")
    if cp.thermal_max_error >= 0 and cp.thermal_encoding != "mono16":
        raise DecodeError(f"corrupt stream: thermal_max_error {cp.thermal_max_error} on {cp.thermal_encoding!r} "
                          "thermal (only mono16 has a radiometric stream)")
    if not 0.0 <= cp.quality <= 1.0:
        raise DecodeError(f"corrupt stream: quality {cp.quality} outside [0, 1]")
    if cp.affine_gamma.size != cp.affine_beta.size:
        raise DecodeError("corrupt stream: affine_gamma and affine_beta differ in length")
    if not (np.all(np.isfinite(cp.affine_gamma)) and np.all(np.isfinite(cp.affine_beta))):
        raise DecodeError("corrupt stream: non-finite affine coefficients")


def save(cp: CompressedPair, path: str | Path) -> int:
    """Write a `.rgbir` file; returns the bytes written."""
    data = dumps(cp)
    Path(path).write_bytes(data)
    return len(data)


def load(path: str | Path) -> CompressedPair:
    return loads(Path(path).read_bytes())
