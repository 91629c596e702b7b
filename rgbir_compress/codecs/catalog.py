"""Every codec name and where its class lives: the one table the registry reads.

Entries are import paths ("module:Class"), resolved only when a codec is opened, so listing names
never imports torch (nor imagecodecs). An entry with `options` is a variant of its class: the same
format and bitstream with other encoder defaults, e.g. a speed preset; the registry derives it with
the class's `with_options(name, options)`. A new codec is one line here.

Speed presets make the classical formats fast enough for real time on a small CPU; each is its own
name, so it is chosen like any codec (`codec:=avif-s9`, `--codec jpegxl-e1`), and any decoder of the
base format reads its streams. Their rate-distortion is in rd_table.json, their speed is timed where
they run (auto.py; docs/realtime.md). No `avif-s10`: the wrapped libavif/libaom writes the same
streams at speed 10 as at 9, so it would only be a second name.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class Entry(NamedTuple):
    target: str                        # "package.module:Class"
    options: dict[str, Any] = {}       # encoder options that differ from the class's defaults


_CLASSICAL = "rgbir_compress.codecs.classical"
_LEARNED = "rgbir_compress.codecs.learned"
_VIDEO = "rgbir_compress.codecs.video.pair_codec"

CODECS: dict[str, Entry] = {
    # classical formats (imagecodecs; hevc through pillow-heif, imported when used)
    "jpeg": Entry(f"{_CLASSICAL}.jpeg:JpegCodec"),
    "webp": Entry(f"{_CLASSICAL}.webp:WebpCodec"),
    "avif": Entry(f"{_CLASSICAL}.avif:AvifCodec"),
    "jpegxl": Entry(f"{_CLASSICAL}.jpegxl:JpegxlCodec"),
    "hevc": Entry(f"{_CLASSICAL}.hevc:HevcCodec"),
    # their speed presets
    "webp-m0": Entry(f"{_CLASSICAL}.webp:WebpCodec", {"method": 0}),
    "webp-m2": Entry(f"{_CLASSICAL}.webp:WebpCodec", {"method": 2}),
    "avif-s9": Entry(f"{_CLASSICAL}.avif:AvifCodec", {"speed": 9}),
    "avif-s8": Entry(f"{_CLASSICAL}.avif:AvifCodec", {"speed": 8}),
    "jpegxl-e1": Entry(f"{_CLASSICAL}.jpegxl:JpegxlCodec", {"effort": 1}),
    "jpegxl-e3": Entry(f"{_CLASSICAL}.jpegxl:JpegxlCodec", {"effort": 3}),
    "hevc-ultrafast": Entry(f"{_CLASSICAL}.hevc:HevcCodec", {"preset": "ultrafast"}),
    "hevc-superfast": Entry(f"{_CLASSICAL}.hevc:HevcCodec", {"preset": "superfast"}),
    # learned codecs (torch)
    "hyperprior": Entry(f"{_LEARNED}.codec:HyperpriorCodec"),
    "conditional": Entry(f"{_LEARNED}.codec:ConditionalCodec"),
    "joint": Entry(f"{_LEARNED}.codec:JointCodec"),
    # stream (low-delay video) codecs, PyAV: stateful, key frames every key_interval_s (video/pair_codec.py)
    "h264-stream": Entry(f"{_VIDEO}:H264StreamCodec"),
    "hevc-stream": Entry(f"{_VIDEO}:HevcStreamCodec"),
    "av1-stream": Entry(f"{_VIDEO}:Av1StreamCodec"),
    # picks one of the above per machine
    "auto": Entry("rgbir_compress.codecs.auto:AutoCodec"),
}


def presets() -> dict[str, Entry]:
    """The entries that are variants of another codec's class (name -> entry)."""
    return {name: entry for name, entry in CODECS.items() if entry.options}


def stream_codecs() -> list[str]:
    """The stateful (video) codecs' names, read from the table (nothing imported)."""
    return [name for name, entry in CODECS.items() if entry.target.startswith(_VIDEO + ":")]
