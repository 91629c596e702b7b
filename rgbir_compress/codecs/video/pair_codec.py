"""Stream codecs: the low-delay video coders behind the one PairCodec interface.

Each pair is one frame of two streams, colour (yuv420p) and thermal (grey; mono16 through the base
class's 8-bit window), so a message holds one packet per modality and predicts from the previous
message of its stream. The base class numbers the messages (stream_id, seq) and refuses, with
NeedKeyFrame, a message that does not follow the last decoded one unless it is a key frame; this
module only codes frames and decides where key frames go:
- every `key_interval_s` * `rate_hz` frames (0: every message), and at the first pair;
- on `request_key_frame()`, on a change of size or encodings (encoders re-opened);
- with `intra_refresh`, a refresh wave over the interval replaces the periodic key frames: the
  bitrate stays flat, but a receiver that lost a message recovers only at a requested key frame.
With thermal_max_error >= 0 and mono16 thermal (base class) only the colour video runs: thermal
travels as a radiometric stream in every message, coded alone (no prediction), so it never waits
for a key frame; the message's key_frame is the colour packet's.
A quality change takes effect at the next key frame (the encoders are re-opened there with it), so
a rate controller's steps never cost extra key frames; `target_kbps` > 0 uses the encoder's own
bitrate control (VBV of one second) instead, split between the modalities by coded samples.
NVENC is tried first unless device="cpu"; the encoder actually used is in `status()`.
"""
from __future__ import annotations

import threading
import warnings
from typing import Any, ClassVar

import numpy as np

from ...errors import DecodeError
from ..base import PairCodec, Streams, check_quality
from .decoder import PlaneDecoder
from .encoder import PlaneEncoder
from .settings import FALLBACKS, QUALITY_MAPS

_NVENC = {software: nvenc for nvenc, software in FALLBACKS.items()}


class StreamCodec(PairCodec):
    """Base of the stream codecs; a subclass names its software encoder and bitstream family."""

    stateful = True
    codes_colour_alone = True  # one video per modality: the colour video runs alone
    encoder: ClassVar[str]            # the software encoder (libx264, libx265, libsvtav1)
    family: ClassVar[str]             # h264, hevc, av1
    picture_hash: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "encoder" in cls.__dict__:
            nvenc = _NVENC[cls.encoder]
            cls.quality_help = (f"{QUALITY_MAPS[cls.encoder].describe()} ({nvenc}: "
                                f"{QUALITY_MAPS[nvenc].describe()}); a change applies from the next key frame")

    def __init__(self, key_interval_s: float = 2.0, rate_hz: float = 10.0, target_kbps: float = 0.0,
                 intra_refresh: bool = False, device: str | None = "auto", threads: int | None = 0) -> None:
        import av  # noqa: F401 - not installed: the factory reports the codec as missing here

        if key_interval_s < 0 or rate_hz <= 0 or target_kbps < 0:
            raise ValueError("key_interval_s >= 0, rate_hz > 0 and target_kbps >= 0 are required")
        self.key_interval_s, self.rate_hz = float(key_interval_s), float(rate_hz)
        self.gop = round(self.key_interval_s * self.rate_hz)  # frames per key interval; 0 = all key
        self.target_kbps, self.intra_refresh = float(target_kbps), bool(intra_refresh)
        self.threads = int(threads or 0)
        self._candidates = [self.encoder] if device == "cpu" else [_NVENC[self.encoder], self.encoder]
        self._fallback: str | None = None
        self._enc: tuple[PlaneEncoder, PlaneEncoder] | None = None
        self._enc_key: tuple | None = None       # (shapes, quality) the encoders were opened for
        self._formats: tuple[str, str] | None = None
        self._key_wanted = True
        self._since_key = 0
        self._frames = 0                         # pairs encoded = the seq of the next one
        self._last_key_seq: int | None = None
        self._dec: tuple[PlaneDecoder, PlaneDecoder] | None = None
        self._dec_hw: tuple | None = None
        # PyAV contexts are not thread-safe: concurrent callers are serialised (order is theirs to keep)
        self._lock = threading.RLock()

    # -- what callers may ask ----------------------------------------------------------------
    @property
    def model_id(self) -> str:
        import av

        used = self._enc[0].name if self._enc else self.encoder
        return f"{used}/av-{av.__version__}"

    def can_decode_model(self, model_id: str) -> bool:
        """A standard bitstream: any encoder and library version of the family decodes here."""
        return True

    def runs_on(self) -> str:
        return "cuda (nvenc)" if self._enc and self._enc[0].name.endswith("_nvenc") else "cpu"

    def status(self) -> dict[str, Any]:
        out = super().status()
        out.update(encoder=self._enc[0].name if self._enc else "not opened yet",
                   key_interval_s=self.key_interval_s, key_interval_frames=self.gop,
                   last_key_frame_seq=self._last_key_seq, intra_refresh=self.intra_refresh,
                   rate_control=f"{self.target_kbps:g} kbps" if self.target_kbps else "constant quality")
        if self._fallback:
            out["encoder_fallback"] = self._fallback
        return out

    def request_key_frame(self) -> None:
        self._key_wanted = True

    def set_target_kbps(self, kbps: float) -> bool:
        """The encoders' own bitrate control from the next key frame on (0: constant quality)."""
        if kbps < 0:
            raise ValueError(f"target_kbps must be >= 0, got {kbps}")
        self.target_kbps = float(kbps)
        return True

    # -- encoding ------------------------------------------------------------------------------
    def encode_batch(self, pairs, quality):
        """In order, one at a time; a change of encodings (e.g. mono8 -> mono16) starts a key frame."""
        out = []
        with self._lock:
            for pair in pairs:
                formats = (pair.rgb_encoding, pair.thermal_encoding)
                if formats != self._formats:
                    self._formats, self._key_wanted = formats, True
                out += super().encode_batch([pair], quality)
        return out

    def decode(self, cp):
        with self._lock:
            return super().decode(cp)

    def encode_colour_streams(self, rgb: np.ndarray, quality: float) -> Streams:
        return self.encode_streams(rgb, None, quality)

    def encode_streams(self, rgb: np.ndarray, thermal: np.ndarray | None, quality: float) -> Streams:
        """thermal None: the colour video alone (thermal_data empty)."""
        q = check_quality(quality)
        shapes = (rgb.shape, None if thermal is None else thermal.shape)
        key = self._key_wanted or self._enc is None or self.gop == 0 or (
            not self.intra_refresh and self._since_key >= self.gop)
        wanted = (shapes, ("kbps", self.target_kbps) if self.target_kbps else q)
        if self._enc is None or self._enc_key[0] != shapes or (key and self._enc_key != wanted):
            self.close()
            self._open_encoders(rgb, thermal, q)
            self._enc_key, key = wanted, True
        rgb_packet = self._enc[0].encode(rgb, force_key=key)
        thermal_packet = None if thermal is None else self._enc[1].encode(thermal, force_key=key)
        key_frame = rgb_packet.key and (thermal_packet is None or thermal_packet.key)
        if key_frame:
            self._since_key, self._last_key_seq, self._key_wanted = 0, self._frames, False
        self._since_key += 1
        self._frames += 1
        return Streams(rgb_packet.data, b"" if thermal_packet is None else thermal_packet.data, key_frame=key_frame)

    def _open_encoders(self, rgb: np.ndarray, thermal: np.ndarray | None, q: float) -> None:
        """thermal None: colour only, with the whole bitrate (radiometric thermal is not rate-controlled)."""
        colour_samples = 1.5 * rgb.shape[0] * rgb.shape[1]
        thermal_samples = 0 if thermal is None else thermal.size
        share = colour_samples / (colour_samples + thermal_samples)
        common = dict(quality=q, keyint=self.gop, intra_refresh=self.intra_refresh, threads=self.threads,
                      picture_hash=self.picture_hash, rate_hz=self.rate_hz)
        bits = self.target_kbps * 1000
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            colour = PlaneEncoder(self._candidates, "yuv420p", rgb.shape[1], rgb.shape[0],
                                  bitrate=int(bits * share) or None, **common)
            grey = None if thermal is None else PlaneEncoder(
                [colour.name], "gray", thermal.shape[1], thermal.shape[0], bitrate=int(bits * (1 - share)) or None,
                **common)
        if caught:  # NVENC did not open here: say so in status(), do not try it again
            self._fallback = str(caught[0].message)[:300]
            self._candidates = [colour.name]
        self._enc = (colour, grey)

    def close(self) -> None:
        """Flush and release the encoders (SVT-AV1 complains on stderr when it is not flushed)."""
        encoders, self._enc = getattr(self, "_enc", None) or (), None
        for encoder in filter(None, encoders):
            try:
                encoder.close()
            except Exception:  # noqa: BLE001 - releasing; nothing is waiting for these packets
                pass

    def __del__(self) -> None:
        self.close()

    # -- decoding ------------------------------------------------------------------------------
    def _reset_decoder(self) -> None:
        self._dec = self._dec_hw = None

    def decode_colour_streams(self, streams: Streams, rgb_hw, quality):
        self._decoders(streams, rgb_hw, None)
        return self._dec[0].decode(streams.rgb_data)

    def decode_streams(self, streams: Streams, rgb_hw, thermal_hw, quality):
        self._decoders(streams, rgb_hw, thermal_hw)
        return self._dec[0].decode(streams.rgb_data), self._dec[1].decode(streams.thermal_data)

    def _decoders(self, streams: Streams, rgb_hw, thermal_hw) -> None:
        """(Re)open the plane decoders at a key frame when the sizes (or the thermal mode: thermal_hw
        None = colour alone) change."""
        if self._dec_hw != (rgb_hw, thermal_hw):
            if self._dec is not None and not streams.key_frame:
                raise DecodeError(f"{self.name}: the size changed without a key frame")
            self._dec = (PlaneDecoder(self.family, "yuv420p", rgb_hw[1], rgb_hw[0], self.threads),
                         None if thermal_hw is None else
                         PlaneDecoder(self.family, "gray", thermal_hw[1], thermal_hw[0], self.threads))
            self._dec_hw = (rgb_hw, thermal_hw)


class H264StreamCodec(StreamCodec):
    """H.264 (libx264, h264_nvenc first where present)."""

    encoder, family = "libx264", "h264"


class HevcStreamCodec(StreamCodec):
    """HEVC (libx265 with the picture hash, so truncation is detected; hevc_nvenc first)."""

    encoder, family, picture_hash = "libx265", "hevc", True


class Av1StreamCodec(StreamCodec):
    """AV1 (SVT-AV1, av1_nvenc first where present)."""

    encoder, family = "libsvtav1", "av1"
