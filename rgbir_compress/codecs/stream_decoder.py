"""Decode whatever a stream says it is: the one place that opens a decoder for a stream's codec.

Every stream names its codec (and the model it needs); a receiver does not choose. The decoder
node, `bag decompress`, `bag extract`, `rgbir-compress decode` and `auto` all decode through a
`StreamDecoder`, which opens each named codec once (with the receiver's device, weights and
thread options), remembers a codec that cannot be opened here as the `DecodeError` every later
stream of it gets (a stream of unknown codec is reported, never retried for each message), and
keeps the opened decoders. A stateful codec (a video stream) gets one decoder per stream
(codec name, stream_id), i.e. per publishing encoder instance, each keeping its own references;
only the MAX_STREAMS most recently used streams are kept, so a long-running receiver whose
publishers restart does not grow.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from ..errors import DecodeError
from .base import CompressedPair, PairCodec
from .factory import CodecUnavailable, open_codec


#: Stateful streams kept at once (least recently used dropped first; a dropped stream that comes
#: back resumes at its next key frame).
MAX_STREAMS = 8


class StreamDecoder:
    """`decode(cp)` with the codec `cp.codec` names, opened on first use and cached."""

    def __init__(self, *, device: str | None = "auto", weights: str | None = None, threads: int | None = 0,
                 on_open: Callable[[PairCodec], None] | None = None,
                 opener: Callable[[str], PairCodec] | None = None) -> None:
        self._options: dict[str, Any] = {"device": device, "weights": weights, "threads": threads}
        self._on_open = on_open
        self._opener = opener
        self._codecs: dict[str, PairCodec | DecodeError] = {}
        self._streams: OrderedDict[tuple[str, int], PairCodec] = OrderedDict()
        self._lock = threading.Lock()

    def _open(self, name: str) -> PairCodec:
        return self._opener(name) if self._opener else open_codec(name, **self._options)

    def codec_for(self, name: str) -> PairCodec:
        """The decoder for streams of codec `name`; DecodeError when it cannot be opened here."""
        with self._lock:
            if name not in self._codecs:
                try:
                    codec = self._open(name)
                except CodecUnavailable as exc:
                    self._codecs[name] = DecodeError(f"stream's codec {name!r} cannot be opened here: {exc}")
                except Exception as exc:  # noqa: BLE001 - a broken install must not stop the receiver
                    self._codecs[name] = DecodeError(
                        f"stream's codec {name!r} cannot be opened here: {type(exc).__name__}: {exc}")
                else:
                    self._codecs[name] = codec
                    if self._on_open:
                        self._on_open(codec)
            found = self._codecs[name]
        if isinstance(found, DecodeError):
            raise found
        return found

    def decode(self, cp: CompressedPair):
        """The ImagePair `cp` holds; DecodeError (NeedKeyFrame while a stream waits for a key
        frame) for anything that cannot be trusted."""
        codec = self.codec_for(cp.codec)
        return (self._stream(cp) if codec.stateful else codec).decode(cp)

    def _stream(self, cp: CompressedPair) -> PairCodec:
        """The decoder of stream (cp.codec, cp.stream_id), opened at its first message."""
        key = (cp.codec, cp.stream_id)
        with self._lock:
            if key not in self._streams:
                self._streams[key] = self._open(cp.codec)
                while len(self._streams) > MAX_STREAMS:
                    self._streams.popitem(last=False)
            self._streams.move_to_end(key)
            return self._streams[key]

    def opened(self) -> list[str]:
        """Names of the codecs decoding here (for diagnostics)."""
        return [name for name, c in self._codecs.items() if not isinstance(c, DecodeError)]


__all__ = ["MAX_STREAMS", "StreamDecoder"]
