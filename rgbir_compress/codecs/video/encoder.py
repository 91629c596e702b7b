"""Zero-latency per-plane video encoder: one frame in, exactly one packet out, at once.

Low delay per encoder (each verified by the one-in-one-out check in `encode`):
- libx264: preset + `tune=zerolatency` (no B-frames, no lookahead, sliced threads), closed GOP;
- libx265: preset + `tune=zerolatency` plus explicit `bframes=0:rc-lookahead=0:frame-threads=1`
  (frame threads would hold frames back), `repeat-headers=1`;
- libsvtav1: `pred-struct=1` (low delay), `lookahead=0`; it emits one packet per frame then.
Key frames are IDR / AV1 KEY_FRAME at exactly the interval (scene cuts off) and on `force_key`,
each with the parameter sets in-band (no global header), so any key frame is a start point.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import EncodeError, EncoderDelay
from . import planes
from .bitstream import is_key_packet
from .settings import GREY_FORMATS, MIN_SIDE, QUALITY_MAPS, family, software_fallback


os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its whole config per encoder otherwise (1 = errors)


@dataclass(frozen=True)
class Packet:
    data: bytes
    key: bool   # a start point: intra picture with its parameter sets in-band
    index: int  # frame number in this encoder's stream, from 0


def _coded_format(codec: str, pix_fmt: str, intra_refresh: bool = False) -> str:
    if pix_fmt == "yuv420p":
        return "yuv420p"
    if pix_fmt not in planes.GREY:
        raise EncodeError(f"unsupported pix_fmt {pix_fmt!r}; use yuv420p, gray, gray10le or gray12le")
    base = software_fallback(codec) if codec.endswith("_nvenc") else codec
    # libx264 4:0:0 with intra-refresh segfaults (av 18.1 wheel): grey goes in as Y of 4:2:0 then
    x264_ir = codec == "libx264" and intra_refresh
    if pix_fmt in GREY_FORMATS.get(base, set()) and not codec.endswith("_nvenc") and not x264_ir:
        return pix_fmt
    bits = planes.GREY[pix_fmt][1]
    coded = "yuv420p" if bits == 8 else planes.HIGH_DEPTH_YUV[bits]
    import av
    if coded not in {f.name for f in av.codec.Codec(codec, "w").video_formats or []}:
        raise EncodeError(f"{codec} cannot code {pix_fmt} (no {coded})")
    return coded


def _options(codec: str, crf: float | None, keyint: int, bitrate: int | None, vbv_kbit: int | None,
             intra_refresh: bool, preset: str | None, threads: int, picture_hash: bool = False) -> dict[str, str]:
    """The encoder's AVOptions for low delay, key frames every `keyint` and the rate control."""
    opts: dict[str, str] = {}
    if bitrate:  # generic rate-control options, which the wrappers map onto each library's VBV
        opts.update(b=str(bitrate), maxrate=str(bitrate), bufsize=str((vbv_kbit or bitrate // 1000) * 1000))
    if codec == "libx264":
        params = [f"keyint={keyint}", f"min-keyint={keyint}", "scenecut=0", "bframes=0", "rc-lookahead=0",
                  "sync-lookahead=0", "open-gop=0"]
        if intra_refresh:
            params.append("intra-refresh=1")
        opts.update(preset=preset or "veryfast", tune="zerolatency", **{"forced-idr": "1"}, **{"x264-params": ":".join(params)})
        if crf is not None and not bitrate:
            opts["crf"] = f"{crf:g}"
        if threads:
            opts["threads"] = str(threads)
    elif codec == "libx265":
        params = [f"keyint={keyint}", f"min-keyint={keyint}", "scenecut=0", "bframes=0", "rc-lookahead=0",
                  "frame-threads=1", "open-gop=0", "repeat-headers=1", "annexb=1", "info=0", "log-level=error"]
        if intra_refresh:
            params.append("intra-refresh=1")
        if crf is not None and not bitrate:
            params.append(f"crf={crf:g}")
        if threads:
            params.append(f"pools={threads}")
        if picture_hash:  # MD5 SEI per picture: FFmpeg's decoder checks it (crccheck+explode)
            params.append("hash=1")
        opts.update(preset=preset or "ultrafast", tune="zerolatency", **{"forced-idr": "1"}, **{"x265-params": ":".join(params)})
    elif codec == "libsvtav1":
        # keyint=1 makes SVT-AV1 hold frames back (its intra-only path); an all-key stream is
        # made by forcing each frame instead (PlaneEncoder.encode with keyint=0).
        params = [f"keyint={keyint if keyint > 1 else 300}", "pred-struct=1", "lookahead=0", "scd=0"]
        if threads:
            params.append(f"lp={threads}")
        opts.update(preset=preset or "10", **{"svtav1-params": ":".join(params)})
        if crf is not None and not bitrate:
            opts["crf"] = str(int(crf))
    else:  # NVENC: low-latency tuning, no B-frames, constant QP unless a bitrate is given
        opts.update(preset=preset or "p4", tune="ull", bf="0", delay="0", zerolatency="1", **{"forced-idr": "1"},
                    **({"rc": "cbr"} if bitrate else {"rc": "constqp", "qp": str(int(crf or 0))}))
        if intra_refresh:
            opts["intra-refresh"] = "1"
    return opts


class PlaneEncoder:
    """Codes one stream of planes (colour RGB as yuv420p, or grey thermal) with low delay.

    quality in [0, 1] -> CRF/QP through QUALITY_MAPS (x265/x264 CRF 51..0, SVT-AV1 CRF 63..0,
    NVENC QP 51..0); ignored when `bitrate` (bit/s) is given, which selects ABR with a VBV buffer of
    `vbv_kbit` kbit (default one second). `keyint` frames between key frames (0: every frame is one).
    `intra_refresh` replaces periodic key frames by a refresh wave over `keyint` frames (x264, x265,
    NVENC); only frame 0 and forced frames are then start points. `codec` may be a list tried in
    order (e.g. ["hevc_nvenc", "libx265"]); an NVENC name that cannot open falls back to its
    software encoder with a warning. `name` says which encoder was opened. `picture_hash` (x265
    only) adds an MD5 of each decoded picture (16 bytes per plane and frame) so that the decoder
    detects bit errors the syntax alone does not reveal; without it (and always for x264 and
    SVT-AV1) only corruption that breaks the syntax is detected: integrity belongs to the
    container's CRC. `rate_hz`: the frame rate the bitrate is spread over.
    """

    def __init__(self, codec: str | list[str] = "libx265", pix_fmt: str = "yuv420p", width: int = 640,
                 height: int = 512, quality: float = 0.5, keyint: int = 20, bitrate: int | None = None,
                 vbv_kbit: int | None = None, intra_refresh: bool = False, preset: str | None = None,
                 threads: int = 0, picture_hash: bool = False, rate_hz: float = 30.0) -> None:
        if width < 1 or height < 1:
            raise EncodeError(f"bad size {width}x{height}")
        if keyint < 0:
            raise ValueError("keyint must be >= 0")
        names = [codec] if isinstance(codec, str) else list(codec)
        tried = []
        for name in names + [software_fallback(n) for n in names if software_fallback(n) not in names]:
            try:
                self._open(name, pix_fmt, width, height, quality, keyint, bitrate, vbv_kbit,
                           intra_refresh, preset, threads, picture_hash, rate_hz)
            except EncodeError:
                raise
            except Exception as exc:  # not in this build, no GPU, driver missing: try the next one
                tried.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if tried:
                warnings.warn(f"video encoder fell back to {name}: " + "; ".join(tried), RuntimeWarning, stacklevel=2)
            return
        raise EncodeError("no video encoder could be opened: " + "; ".join(tried))

    def _open(self, name, pix_fmt, width, height, quality, keyint, bitrate, vbv_kbit, intra_refresh,
              preset, threads, picture_hash, rate_hz) -> None:
        import av

        self.family = family(name)
        self.pix_fmt, self.width, self.height = pix_fmt, width, height
        self.coded_fmt = _coded_format(name, pix_fmt, intra_refresh)
        self.coded_width, self.coded_height = planes.padded_size(width, height, MIN_SIDE.get(name, 0))
        self.crf = QUALITY_MAPS[name](quality)
        gop = max(keyint, 1)
        ctx = av.codec.CodecContext.create(name, "w")
        ctx.width, ctx.height, ctx.pix_fmt = self.coded_width, self.coded_height, self.coded_fmt
        rate = Fraction(rate_hz).limit_denominator(1001)  # bits per frame = bitrate / rate_hz
        ctx.time_base = 1 / rate
        ctx.framerate = rate
        ctx.gop_size = gop
        ctx.max_b_frames = 0
        if bitrate:
            ctx.bit_rate = int(bitrate)
        ctx.options = _options(name, self.crf, gop, bitrate, vbv_kbit, intra_refresh, preset, threads,
                               picture_hash)
        ctx.open()
        self.name, self._ctx, self._index = name, ctx, 0
        self.keyint, self.intra_refresh = keyint, intra_refresh

    def encode(self, plane: np.ndarray, force_key: bool = False) -> Packet:
        import av

        planes.check_plane(plane, self.pix_fmt, self.width, self.height)
        frame = planes.to_frame(plane, self.pix_fmt, self.coded_fmt, self.coded_width, self.coded_height)
        frame.pts = self._index
        if force_key or self.keyint == 0:
            frame.pict_type = av.video.frame.PictureType.I
        packets = self._ctx.encode(frame)
        if len(packets) != 1:
            raise EncoderDelay(f"{self.name}: frame {self._index} gave {len(packets)} packets, expected 1")
        data = bytes(packets[0])
        packet = Packet(data, is_key_packet(data, self.family), self._index)
        self._index += 1
        return packet

    def close(self) -> None:
        """Flush (nothing should be held back) and release the encoder."""
        if self._ctx is not None:
            left = self._ctx.encode(None)
            self._ctx = None
            if left:
                raise EncoderDelay(f"{self.name}: {len(left)} packets were still buffered at close")

    def __del__(self) -> None:
        """An encoder dropped without close() (a test, an exception) is still flushed: SVT-AV1
        complains on stderr when its context is freed without end of stream."""
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing waits for these packets any more
            pass
