"""Speed presets: the same formats with the encoder settings that make them fast enough for
real time on a small CPU. Each preset is its own registered name, so it is chosen
like any codec (`codec:=avif-s10`, `--codec jpegxl-e1`) and `rgbir-compress codecs` lists it
with its quality map. The bitstream is the base format's: any decoder of that format reads it.

Their rate-distortion is in codecs/rd_table.json (from `rgbir-compress eval`), their speed is
timed where they run (codecs/auto.py); docs/realtime.md has both. No `avif-s10`: the wrapped
libavif/libaom writes the same streams at speed 10 as at 9, so it would only be a second name.
"""
from __future__ import annotations

from typing import Any

from ..registry import register
from .avif import AvifCodec
from .base import ClassicalCodec
from .hevc import HevcCodec
from .jpegxl import JpegxlCodec
from .webp import WebpCodec

#: name -> (base codec class, encoder options that differ from the base's defaults)
PRESETS: dict[str, tuple[type[ClassicalCodec], dict[str, Any]]] = {
    "webp-m0": (WebpCodec, {"method": 0}),
    "webp-m2": (WebpCodec, {"method": 2}),
    "avif-s9": (AvifCodec, {"speed": 9}),
    "avif-s8": (AvifCodec, {"speed": 8}),
    "jpegxl-e1": (JpegxlCodec, {"effort": 1}),
    "jpegxl-e3": (JpegxlCodec, {"effort": 3}),
    "hevc-ultrafast": (HevcCodec, {"preset": "ultrafast"}),
    "hevc-superfast": (HevcCodec, {"preset": "superfast"}),
}


def _make(name: str, base: type[ClassicalCodec], options: dict[str, Any]) -> type[ClassicalCodec]:
    settings = ", ".join(f"{k}={v}" for k, v in options.items())
    cls = type(f"{base.__name__}_{name.replace('-', '_')}", (base,), {
        "__doc__": f"{base.__name__} with {settings} (a speed preset; same format).",
        "__module__": __name__,
        "defaults": {**base.defaults, **options},
        "quality_help": f"{base.quality_help}; {settings}",
    })
    return register(name)(cls)


PRESET_CLASSES = {name: _make(name, base, opts) for name, (base, opts) in PRESETS.items()}
