"""Every exception the package raises for users to catch, in one place.

Core module: it imports nothing but the standard library, so a caller can catch any of these
without loading torch, ROS or a codec library. Helpers that never leave their module (the fuzz
harness's timeout signal, the bag tools' signal-to-KeyboardInterrupt bridge) stay private there.
"""
from __future__ import annotations


class DecodeError(ValueError):
    """A container, message or bitstream that cannot be decoded to the image that was encoded.

    Raised for truncated, corrupted, foreign or mismatched input (unknown codec, weights the decoder
    does not have, failed integrity check). The message names what is wrong; decoders never return
    an image they cannot vouch for.
    """


class NeedKeyFrame(DecodeError):
    """A stream (video) decoder without a valid reference: at a late join, after a lost message, an
    encoder restart (new stream_id) or a failed decode. It refuses every message until the next key
    frame, which decodes; it never returns an image predicted from missing references."""


class EncodeError(ValueError):
    """Input the encoder cannot take: unsupported encoding, wrong shape or dtype, empty image."""


class EncoderDelay(RuntimeError):
    """A video encoder held a frame back (or emitted two packets): its low-delay settings failed."""


class CorruptImage(EncodeError):
    """An Image message whose fields do not describe its data."""


class CodecUnavailable(RuntimeError):
    """A codec that cannot be opened here: an unknown name, no weights, a missing library.

    The message says why ("NAME: unavailable: no weights (...)"). `missing` is True when the codec
    is simply not installed here (torch or its weights absent): the case a fallback covers.
    """

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class MissingWeightsError(FileNotFoundError):
    """No weights file for a learned codec (train one, or pass weights=PATH)."""


class OutputExistsError(FileExistsError):
    """The output exists and --force was not given."""


class UndecodablePair(DecodeError):
    """A pair a bag cannot give back: a stream message it predicts from is missing, or the recording
    starts between key frames (the message says which pair and why). Never decoded from a wrong
    reference."""
