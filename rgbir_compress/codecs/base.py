"""The one interface every pair codec implements, classical and learned alike.

A codec only ever sees canonical arrays (RGB HxWx3 uint8, thermal HxW uint8) and returns
`Streams`. The base class does everything else once: encodings, mono16 mapping, input checks,
metadata, and turning any failure while decoding into `DecodeError`.

mono16 thermal follows the codec's `thermal_max_error` (thermal_precision.py; set through
`open_codec(..., thermal_max_error=N)` for every codec alike): -1 codes the 8-bit window with the
codec, N >= 0 codes the colour alone with the codec (`encode_colour_streams`) and sends the exact
or N-bounded counts as a radiometric stream in thermal_data. Decoding follows the message's field.

Stream position is also done here, once, for every codec: each CompressedPair carries its
encoder's `stream_id` (random per codec instance), `seq` (0, 1, ...) and `key_frame`. A still codec
writes key frames only and ignores the rest when decoding; a `stateful` codec (a video stream)
decodes a message only in sequence after the previous one of its stream, or at a key frame, and
raises NeedKeyFrame otherwise, so a gap, a late join or an encoder restart never yields an image.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import secrets

import numpy as np

from .. import encodings as enc
from ..errors import DecodeError, EncodeError, NeedKeyFrame
from ..frame import ImagePair, Stamp
from . import thermal16, thermal_precision


def _empty_f32() -> np.ndarray:
    return np.zeros(0, np.float32)


@dataclass
class Streams:
    """What a codec writes for one pair: two bitstreams and optional affine coefficients."""

    rgb_data: bytes
    thermal_data: bytes
    affine_gamma: np.ndarray = field(default_factory=_empty_f32)
    affine_beta: np.ndarray = field(default_factory=_empty_f32)
    key_frame: bool = True  # decodes without earlier messages (always, for still codecs)


@dataclass(frozen=True)
class ByteCount:
    """Bytes of one compressed pair by modality: the one count behind diagnostics, `bag info`,
    eval, the benchmarks and rate control (`target_kbps`).

    Payload only (both bitstreams and the float32 affine coefficients), not the message or
    container framing, so a rate means the same in the node, in bags and in eval. The affine
    coefficients count as thermal: they are side information of the cross-modal step, a few hundred
    bytes, and `affine` keeps them visible on their own.
    """

    rgb_stream: int
    thermal_stream: int
    affine: int = 0

    @property
    def rgb(self) -> int:
        return self.rgb_stream

    @property
    def thermal(self) -> int:
        return self.thermal_stream + self.affine

    @property
    def total(self) -> int:
        return self.rgb_stream + self.thermal_stream + self.affine

    @classmethod
    def of(cls, pair: Any) -> "ByteCount":
        """Of a CompressedPair or of a CompressedRGBIR message (same field names)."""
        return cls(len(pair.rgb_data), len(pair.thermal_data),
                   4 * (int(np.size(pair.affine_gamma)) + int(np.size(pair.affine_beta))))


@dataclass
class CompressedPair:
    """Exactly the fields of msg/CompressedRGBIR.msg (crc32 is computed by the container); their
    wire types and order are defined once, in container/layout.py FIELDS."""

    codec: str
    model_id: str
    quality: float
    rgb_height: int
    rgb_width: int
    rgb_encoding: str
    thermal_height: int
    thermal_width: int
    thermal_encoding: str
    rgb_data: bytes
    thermal_data: bytes
    affine_gamma: np.ndarray = field(default_factory=_empty_f32)
    affine_beta: np.ndarray = field(default_factory=_empty_f32)
    thermal_lo: int = 0
    thermal_hi: int = 0
    # mono16: -1 = the 8-bit window [thermal_lo, thermal_hi]; N >= 0 = thermal_data is a radiometric
    # stream, every count within N (thermal_precision.py). Version-1 input reads as -1.
    thermal_max_error: int = -1
    stamp: Stamp = field(default_factory=Stamp)
    frame_id: str = ""
    thermal_stamp: Stamp = field(default_factory=Stamp)
    thermal_frame_id: str = ""
    # position in the encoder's stream (container version 2; version-1 input reads as 0, 0, True)
    stream_id: int = 0
    seq: int = 0
    key_frame: bool = True

    def byte_count(self) -> ByteCount:
        return ByteCount.of(self)


#: What a CompressedPair carries over from the ImagePair it was encoded from, and gives back.
PASSED_THROUGH = ("rgb_encoding", "thermal_encoding", "stamp", "frame_id", "thermal_stamp", "thermal_frame_id")


def check_quality(quality: float) -> float:
    """The quality as the container stores it (float32): the encoder must code with exactly the
    value the decoder will read, or learned codecs derive other gains and other tables."""
    q = float(quality)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quality must be in [0, 1] (0 = lowest rate, 1 = highest), got {quality}")
    return float(np.float32(q))


class PairCodec(ABC):
    """Base of every codec. Subclasses set `name` and `quality_help` and implement the two hooks."""

    name: ClassVar[str]
    #: One line for `rgbir-compress codecs`: what quality in [0, 1] maps to.
    quality_help: ClassVar[str] = ""
    #: Largest image (pixels per modality) this codec encodes or decodes: a declared size above it
    #: is refused before anything is allocated, which bounds the decoder's memory.
    max_pixels: ClassVar[int] = 8192 * 8192
    #: Spatial multiple the codec pads to internally (informational).
    stride: ClassVar[int] = 1
    #: Whether a message decodes only after the previous one of its stream (video). Callers encode
    #: a stateful codec's pairs in order, one at a time (never in parallel or out of order), and
    #: decode each stream with its own instance (StreamDecoder does).
    stateful: ClassVar[bool] = False
    #: Whether the colour stream decodes without the thermal one (`encode_colour_streams` and
    #: `decode_colour_streams` implemented), so mono16 thermal can travel as a radiometric stream.
    codes_colour_alone: ClassVar[bool] = False
    #: mono16 precision (thermal_precision.py): -1 = the 8-bit window; set by the factory.
    thermal_max_error: int = thermal_precision.WINDOW

    def set_thermal_max_error(self, value: int) -> None:
        """The mono16 precision of the pairs this codec encodes (-1 window, 0 lossless, N bound).
        `open_codec(name, thermal_max_error=N)` calls this for every codec, so no constructor names it."""
        self.thermal_max_error = thermal_precision.check(value)

    @property
    def model_id(self) -> str:
        """Pins what a decoder must have: library + version, or the weights digest."""
        return self.name

    # -- what callers may ask a codec (the nodes and tools ask only this, never probe attributes) --
    @property
    def batches(self) -> bool:
        """Whether `encode_batch` of several pairs is faster than one call per pair (one network
        pass on a GPU); callers that can wait for a few pairs (`bag compress`) batch when True."""
        return False

    def runs_on(self) -> str:
        """Where the codec computes: "cpu", or a torch device such as "cuda:0"."""
        return "cpu"

    def realtime_note(self) -> str | None:
        """Why this codec will not keep a camera's frame rate here (a learned codec on a CPU), to
        log once at start; None when there is no known reason."""
        return None

    def prepare(self, size: tuple[int, int] | None = None) -> None:
        """Get ready to code pairs of `size` = (width, height) (None: a typical camera size), so
        the first pair does not pay for it: `auto` chooses its codec here. Default: nothing."""

    def status(self) -> dict[str, Any]:
        """Key-values for /diagnostics and reports: what runs and, for `auto`, why."""
        return {"codec": self.name, "model_id": self.model_id, "runs_on": self.runs_on(),
                "thermal_max_error": self.thermal_max_error}

    def set_target_kbps(self, kbps: float) -> bool:
        """Hand rate control toward `kbps` (0: off) to the codec's own (a video encoder's bitrate +
        VBV). True when the codec took it; False (stills): the caller steers `quality` itself."""
        return False

    def request_key_frame(self) -> None:
        """Make the next encoded pair a key frame (a receiver lost the stream). No-op for stills,
        whose every pair is one."""

    def reset(self) -> None:
        """Forget the decoding state: the next message must be a key frame. Stateful codecs also
        drop their reference pictures (`_reset_decoder`)."""
        self._decoding = None
        self._reset_decoder()

    def _reset_decoder(self) -> None:
        """Stateful codecs: drop the decoder's reference pictures."""

    def can_decode_model(self, model_id: str) -> bool:
        """Whether streams written under `model_id` decode here. Learned codecs need the exact
        weights (the default); standard formats override this to accept any library version."""
        return model_id == self.model_id

    @abstractmethod
    def encode_streams(self, rgb: np.ndarray, thermal: np.ndarray, quality: float) -> Streams:
        """rgb: HxWx3 uint8 RGB; thermal: HxW uint8; quality in [0, 1]."""

    @abstractmethod
    def decode_streams(
        self, streams: Streams, rgb_hw: tuple[int, int], thermal_hw: tuple[int, int], quality: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of encode_streams; may raise anything, the base turns it into DecodeError."""

    def encode_colour_streams(self, rgb: np.ndarray, quality: float) -> Streams:
        """The colour bitstream alone (thermal_data empty); codecs with `codes_colour_alone`."""
        raise thermal_precision.refuse(self.name)

    def decode_colour_streams(self, streams: Streams, rgb_hw: tuple[int, int], quality: float) -> np.ndarray:
        """Inverse of encode_colour_streams (streams.thermal_data is not the codec's)."""
        raise DecodeError(f"{self.name}: this codec cannot decode a colour stream alone")

    # -- the public API ---------------------------------------------------------------------
    def encode_streams_batch(self, rgbs: list[np.ndarray], thermals: list[np.ndarray],
                             quality: float) -> list[Streams]:
        """Several pairs at once; codecs that gain from batching (a GPU) override this."""
        return [self.encode_streams(r, t, quality) for r, t in zip(rgbs, thermals)]

    def _prepare(self, pair: ImagePair) -> tuple[np.ndarray, np.ndarray, int, int, int]:
        """Checked RGB and thermal arrays, the mono16 range (lo, hi) and the thermal_max_error this
        pair is coded with: -1 gives the 8-bit window to the codec, N >= 0 keeps the uint16 frame
        for the radiometric stream."""
        rgb = np.ascontiguousarray(enc.colour_to_rgb(pair.rgb, pair.rgb_encoding))
        enc.check_thermal(pair.thermal, pair.thermal_encoding)
        for label, img in (("colour", rgb), ("thermal", pair.thermal)):
            if min(img.shape[:2]) < 1:
                raise EncodeError(f"{label} image is empty: {img.shape}")
            if img.shape[0] * img.shape[1] > self.max_pixels:
                raise EncodeError(f"{label} image {img.shape[1]}x{img.shape[0]} exceeds {self.name}'s "
                                  f"limit of {self.max_pixels} pixels")
        lo = hi = 0
        thermal = pair.thermal
        max_error = self.thermal_max_error if pair.thermal_encoding == "mono16" else thermal_precision.WINDOW
        if max_error >= 0:
            if not self.codes_colour_alone:
                raise thermal_precision.refuse(self.name)
            lo, hi = thermal16.span(thermal)
        elif pair.thermal_encoding == "mono16":
            thermal, lo, hi = thermal16.to_8bit(thermal)
        return rgb, np.ascontiguousarray(thermal), lo, hi, max_error

    def encode(self, pair: ImagePair, quality: float) -> CompressedPair:
        return self.encode_batch([pair], quality)[0]

    def encode_batch(self, pairs: list[ImagePair], quality: float) -> list[CompressedPair]:
        """Encode several pairs in one call (one network pass per modality where the codec can)."""
        q = check_quality(quality)
        prepared = [self._prepare(p) for p in pairs]
        if all(p[4] < 0 for p in prepared):
            streams = self.encode_streams_batch([p[0] for p in prepared], [p[1] for p in prepared], q)
        else:  # radiometric thermal: in order, one pair at a time (a stream codec's order is kept)
            streams = [self._radiometric(p, q) if p[4] >= 0 else self.encode_streams_batch([p[0]], [p[1]], q)[0]
                       for p in prepared]
        return [self._package(pair, prep, st, q) for pair, prep, st in zip(pairs, prepared, streams)]

    def _radiometric(self, prepared: tuple, q: float) -> Streams:
        """Colour by the codec, thermal as the radiometric stream of the uint16 frame."""
        rgb, thermal, _, _, max_error = prepared
        streams = self.encode_colour_streams(rgb, q)
        streams.thermal_data = thermal_precision.encode(thermal, max_error)
        return streams

    def _next_position(self) -> tuple[int, int]:
        """(stream_id, seq) of the next encoded pair: stream_id is drawn once per instance (never
        0, which marks version-1 input), so a restarted encoder is a new stream to decoders."""
        if "_stream_id" not in self.__dict__:
            self._stream_id, self._seq = 1 + secrets.randbelow(0xFFFFFFFF), 0
        position = (self._stream_id, self._seq)
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        return position

    def _package(self, pair: ImagePair, prepared: tuple, streams: Streams, q: float) -> CompressedPair:
        rgb, thermal, lo, hi, max_error = prepared
        stream_id, seq = self._next_position()
        return CompressedPair(
            codec=self.name,
            model_id=self.model_id,
            quality=q,
            rgb_height=rgb.shape[0],
            rgb_width=rgb.shape[1],
            thermal_height=thermal.shape[0],
            thermal_width=thermal.shape[1],
            rgb_data=bytes(streams.rgb_data),
            thermal_data=bytes(streams.thermal_data),
            affine_gamma=np.asarray(streams.affine_gamma, np.float32),
            affine_beta=np.asarray(streams.affine_beta, np.float32),
            thermal_lo=lo,
            thermal_hi=hi,
            thermal_max_error=max_error,
            stream_id=stream_id,
            seq=seq,
            key_frame=bool(streams.key_frame),
            **{name: getattr(pair, name) for name in PASSED_THROUGH},
        )

    def decode(self, cp: CompressedPair) -> ImagePair:
        if cp.codec != self.name:
            raise DecodeError(f"stream was written by codec {cp.codec!r}, this decoder is {self.name!r}")
        if not self.can_decode_model(cp.model_id):
            raise DecodeError(
                f"stream needs model {cp.model_id!r} but this decoder has {self.model_id!r}"
            )
        if cp.rgb_encoding not in enc.COLOUR_ENCODINGS or cp.thermal_encoding not in enc.THERMAL_ENCODINGS:
            raise DecodeError(f"unknown encodings {cp.rgb_encoding!r}/{cp.thermal_encoding!r}")
        rgb_hw = (cp.rgb_height, cp.rgb_width)
        th_hw = (cp.thermal_height, cp.thermal_width)
        for label, (h, w) in (("colour", rgb_hw), ("thermal", th_hw)):
            if h * w > self.max_pixels:
                raise DecodeError(f"declared {label} size {w}x{h} exceeds {self.name}'s limit of "
                                  f"{self.max_pixels} pixels")
        if self.stateful:
            self._follow(cp)
        radiometric = cp.thermal_encoding == "mono16" and cp.thermal_max_error >= 0
        streams = Streams(cp.rgb_data, cp.thermal_data, cp.affine_gamma, cp.affine_beta, cp.key_frame)
        try:
            if radiometric:  # the counts first: a corrupt stream costs no colour decode
                thermal = thermal_precision.decode(cp.thermal_data, th_hw, cp.thermal_max_error)
                rgb = self.decode_colour_streams(streams, rgb_hw, cp.quality)
            else:
                rgb, thermal = self.decode_streams(streams, rgb_hw, th_hw, cp.quality)
            if rgb.shape != rgb_hw + (3,) or rgb.dtype != np.uint8 or thermal.shape != th_hw:
                raise DecodeError(
                    f"{self.name}: decoded sizes {rgb.shape}/{thermal.shape} differ from the declared "
                    f"{rgb_hw}/{th_hw}"
                )
        except Exception as exc:
            if self.stateful:  # references are no longer trusted: wait for the next key frame
                self.reset()
            if isinstance(exc, DecodeError):
                raise
            # the codec library's own failure: name it, never crash the caller
            raise DecodeError(f"{self.name}: bitstream does not decode ({type(exc).__name__}: {exc})") from exc
        if self.stateful:
            self._decoding = (cp.stream_id, (cp.seq + 1) & 0xFFFFFFFF)
        if cp.thermal_encoding == "mono16" and not radiometric:
            thermal = thermal16.from_8bit(thermal, cp.thermal_lo, cp.thermal_hi)
        return ImagePair(
            rgb=enc.rgb_to_colour(rgb, cp.rgb_encoding),
            thermal=thermal,
            **{name: getattr(cp, name) for name in PASSED_THROUGH},
        )

    def _follow(self, cp: CompressedPair) -> None:
        """Stateful codecs: admit `cp` only as the successor of the last decoded message of the same
        stream, or as a key frame (which starts decoding afresh)."""
        expected = self.__dict__.get("_decoding")
        if expected == (cp.stream_id, cp.seq):
            return
        if expected is None:
            why = "no key frame decoded yet"
        elif expected[0] != cp.stream_id:
            why = f"new stream {cp.stream_id:08x} (encoder restarted?)"
        else:
            why = f"message {cp.seq} follows a gap (expected {expected[1]})"
        self.reset()
        if not cp.key_frame:
            raise NeedKeyFrame(f"{self.name}: {why}; waiting for a key frame")

    def describe(self) -> str:
        return f"{self.name}: quality -> {self.quality_help}"
