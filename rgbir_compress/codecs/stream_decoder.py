"""Decode whatever a stream says it is: the one place that opens a decoder for a stream's codec.

Every stream names its codec (and the model it needs); a receiver does not choose. The decoder
node, `bag decompress`, `bag extract`, `rgbir-compress decode` and `auto` all decode through a
`StreamDecoder`, which opens each named codec once (with the receiver's device, weights and
thread options), remembers a codec that cannot be opened here as the `DecodeError` every later
stream of it gets (a stream of unknown codec is reported, never retried for each message), and
keeps the opened decoders so a stateful one (a video stream) keeps its state between messages.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from ..errors import DecodeError
from .base import CompressedPair, PairCodec
from .factory import CodecUnavailable, open_codec


class StreamDecoder:
    """`decode(cp)` with the codec `cp.codec` names, opened on first use and cached."""

    def __init__(self, *, device: str | None = "auto", weights: str | None = None, threads: int | None = 0,
                 on_open: Callable[[PairCodec], None] | None = None,
                 opener: Callable[[str], PairCodec] | None = None) -> None:
        self._options: dict[str, Any] = {"device": device, "weights": weights, "threads": threads}
        self._on_open = on_open
        self._opener = opener
        self._codecs: dict[str, PairCodec | DecodeError] = {}
        self._lock = threading.Lock()

    def codec_for(self, name: str) -> PairCodec:
        """The decoder for streams of codec `name`; DecodeError when it cannot be opened here."""
        with self._lock:
            if name not in self._codecs:
                try:
                    codec = self._opener(name) if self._opener else open_codec(name, **self._options)
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
        """The ImagePair `cp` holds; DecodeError for anything that cannot be trusted."""
        return self.codec_for(cp.codec).decode(cp)

    def opened(self) -> list[str]:
        """Names of the codecs decoding here (for diagnostics)."""
        return [name for name, c in self._codecs.items() if not isinstance(c, DecodeError)]


__all__ = ["StreamDecoder"]
