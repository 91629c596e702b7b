"""Per-plane video decoder that never hands back an image it cannot vouch for.

It refuses (NeedKeyFrame) a packet that is not a start point until it has decoded one: at the
beginning, after `reset()`, after a gap in the packet indices it is given, and after any error.
Corrupt or truncated data raises DecodeError wherever it can be seen: FFmpeg runs with error
concealment off and `err_detect=crccheck+explode`, frames it flags as corrupt are rejected, and a
packet must yield exactly one frame (slice threads only: frame threads would delay output).
Limits (measured, FFmpeg 8 in the av 18.1 wheel): the H.264 and AV1 decoders report truncation;
the HEVC decoder does not (it returns a partly decoded picture unflagged), so HEVC streams are only
fully checked with the encoder's `picture_hash` (MD5 SEI after each picture: a missing hash means
truncation, a wrong one corruption). Bit flips that keep the syntax valid pass in H.264 and AV1:
the container's CRC is what guards transport integrity.
"""
from __future__ import annotations

import numpy as np

from ...errors import DecodeError, NeedKeyFrame
from . import planes
from .bitstream import has_picture_hash, is_key_packet
from .settings import decoder_name, family as family_of


class PlaneDecoder:
    """Decodes one stream from `PlaneEncoder` to planes of height x width in `pix_fmt`.

    `codec` is the encoder name (or family "hevc"/"h264"/"av1"); the stream is the same whichever
    encoder (software or NVENC) of that family made it. `picture_hash` (HEVC): True when the
    encoder ran with picture_hash, so that a packet without its hash (truncated) is refused.
    """

    def __init__(self, codec: str = "libx265", pix_fmt: str = "yuv420p", width: int = 640, height: int = 512,
                 threads: int = 0, picture_hash: bool | None = None) -> None:
        self.family = codec if codec in ("hevc", "h264", "av1") else family_of(codec)
        self.pix_fmt, self.width, self.height, self.threads = pix_fmt, width, height, threads
        if pix_fmt != "yuv420p" and pix_fmt not in planes.GREY:
            raise ValueError(f"unsupported pix_fmt {pix_fmt!r}")
        self._ctx = None
        # HEVC: True = every packet must carry the picture hash; None = required once a decoded
        # key frame carried one (kept across resets); False = not required
        self._hashed = picture_hash
        self._next: int | None = None
        self.reset()

    def reset(self) -> None:
        """Forget all references; the next packet must be a key frame."""
        import av

        ctx = av.codec.CodecContext.create(decoder_name(self.family), "r")
        if self.family == "av1":
            ctx.options = {"max_frame_delay": "1", **({"threads": str(self.threads)} if self.threads else {})}
        else:
            ctx.options = {"err_detect": "crccheck+bitstream+buffer+explode", "ec": "0"}
            ctx.thread_type = "SLICE"
            if self.threads:
                ctx.thread_count = self.threads
        ctx.flags |= av.codec.context.Flags.low_delay
        ctx.open()
        self._ctx, self._ready, self._next = ctx, False, None

    @property
    def ready(self) -> bool:
        """Whether the decoder holds a valid reference (it would take a non-key packet)."""
        return self._ready

    def decode(self, data, index: int | None = None) -> np.ndarray:
        """The plane coded in `data` (bytes, or a Packet, whose index is then used). Give `index`
        (the Packet index) to have a lost packet detected: after a gap it waits for a key frame."""
        if hasattr(data, "data") and hasattr(data, "index"):
            data, index = data.data, data.index if index is None else index
        data = bytes(data)
        key = is_key_packet(data, self.family)
        if index is not None and self._next is not None and index != self._next:
            self._ready = False  # a packet went missing: references are stale
        if not key and not self._ready:
            self._next = None
            raise NeedKeyFrame(f"{self.family}: packet {index if index is not None else '?'} is not a key "
                               "frame and the decoder has no valid reference; waiting for a key frame")
        if self.family == "hevc":
            hashed = has_picture_hash(data)
            if self._hashed and not hashed:
                self.reset()
                raise DecodeError("hevc: packet lacks the picture hash its stream carries (truncated?)")
        try:
            plane = self._decode(data)
        except Exception as exc:
            self.reset()
            if isinstance(exc, DecodeError):
                raise
            raise DecodeError(f"{self.family}: cannot decode packet: {type(exc).__name__}: {exc}") from exc
        if self.family == "hevc" and self._hashed is None and key and hashed:
            self._hashed = True
        self._ready = True
        self._next = None if index is None else index + 1
        return plane

    def _decode(self, data: bytes) -> np.ndarray:
        import av

        if not data:
            raise DecodeError("empty packet")
        frames = self._ctx.decode(av.Packet(data))
        if len(frames) != 1:
            raise DecodeError(f"{self.family}: packet gave {len(frames)} frames, expected 1 (corrupt or truncated)")
        frame = frames[0]
        if frame.is_corrupt:
            raise DecodeError(f"{self.family}: decoder flagged the frame as corrupt")
        return planes.from_frame(frame, self.pix_fmt, self.width, self.height)
