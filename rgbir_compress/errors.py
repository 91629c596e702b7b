"""The one exception type users catch when a stream cannot be trusted."""
from __future__ import annotations


class DecodeError(ValueError):
    """A container, message or bitstream that cannot be decoded to the image that was encoded.

    Raised for truncated, corrupted, foreign or mismatched input (unknown codec, weights the decoder
    does not have, failed integrity check). The message names what is wrong; decoders never return
    an image they cannot vouch for.
    """


class EncodeError(ValueError):
    """Input the encoder cannot take: unsupported encoding, wrong shape or dtype, empty image."""
