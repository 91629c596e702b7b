"""The one precision setting for mono16 thermal: `thermal_max_error`.

-1  the 8-bit window (thermal16.py): the codec codes the stretched frame, as before this setting;
 0  lossless: the exact counts travel as a radiometric stream (codecs/radiometric/);
 N  every decoded count within N of the original (radiometric stream, bound checked at encode).

The value a message carries says what *it* used (mono8 thermal always carries -1), so a decoder
needs no setting of its own. Only codecs whose colour stream decodes without the thermal one can
send a radiometric stream (PairCodec.codes_colour_alone); the others refuse it when a mono16 frame
comes, rather than quietly dropping to the window. The radiometric library imports imagecodecs,
so it is imported here only when a frame needs it.
"""
from __future__ import annotations

import numpy as np

from ..errors import DecodeError, EncodeError

WINDOW = -1
#: Largest bound: radiometric.mono16.MAX_ERROR (JPEG-LS NEAR <= MAXVAL / 2); a test keeps them equal.
MAX_ERROR = 32767


def check(value: object) -> int:
    """`value` as a setting, or ValueError naming the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not WINDOW <= value <= MAX_ERROR:
        raise ValueError(f"thermal_max_error must be an integer in [-1, {MAX_ERROR}] (-1 = 8-bit window, "
                         f"0 = lossless, N = every count within N), got {value!r}")
    return int(value)


def describe(encoding: str, max_error: int) -> str:
    """How a message's thermal image was coded, for logs, /diagnostics and `bag info`."""
    if encoding != "mono16":
        return encoding
    if max_error < 0:
        return "mono16 8-bit window"
    return "mono16 lossless" if max_error == 0 else f"mono16 within {max_error} counts"


def encode(thermal: np.ndarray, max_error: int) -> bytes:
    """The radiometric stream of a HxW uint16 frame (bound verified by encode_mono16 itself)."""
    from .radiometric import encode_mono16

    return encode_mono16(thermal, max_error).data


def decode(data: bytes, hw: tuple[int, int], max_error: int) -> np.ndarray:
    """The frame of a radiometric stream; DecodeError when it is corrupt, of another size, or
    promises a looser bound than the message says."""
    from .radiometric import decode_mono16, read_header

    if read_header(data).max_error > max_error:
        raise DecodeError(f"radiometric thermal stream is bounded by {read_header(data).max_error} counts, "
                          f"the message promises {max_error}")
    return decode_mono16(data, hw)


def refuse(codec_name: str) -> EncodeError:
    """Why codec `codec_name` cannot send mono16 thermal at full precision."""
    return EncodeError(
        f"codec {codec_name!r} codes colour and thermal jointly (its colour stream needs its own thermal "
        "stream), so it cannot send mono16 thermal as a radiometric stream (thermal_max_error >= 0); use a "
        "codec that codes colour alone (jpeg, avif-s9, jpegxl-e1, hevc-stream, ...) or thermal_max_error -1 "
        "for the 8-bit window")
