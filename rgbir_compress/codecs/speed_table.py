"""Measured speed and rate-distortion of the codecs `codec: auto` chooses from (issue 18).

A Python module rather than a data file so that it ships with every install (setup.cfg packages
only weights/ as data). Measured by tools/bench_presets.py (docs/realtime.md):
* bd_rgb / bd_thermal: BD-rate (%) against JPEG on PSNR, 10 val/m3fd pairs resized to 640x512,
  qualities 0.1..0.8, from the bytes written (negative = fewer bits at equal PSNR);
* encode_ms / decode_ms: one 640x512 rgb8 + mono8 pair at quality 0.5, median of 5 after a
  warm-up, pinned to one core (taskset -c 0) of the 2-core development machine (x86_64, load
  average about 2 from other jobs). codecs/auto.py scales them by pixel count and checks the
  choice with a short calibration on the machine it runs on.
"""
from __future__ import annotations

from dataclasses import dataclass

REFERENCE_SIZE = (640, 512)  # (width, height) the ms were measured at

#: Shipped learned codecs in order of preference where CUDA runs them (README: the hyperprior
#: is the best shipped learned codec per pair; conditional is no better and twice as slow).
LEARNED = ("hyperprior",)


@dataclass(frozen=True)
class Entry:
    codec: str
    bd_rgb: float
    bd_thermal: float
    encode_ms: float
    decode_ms: float

    @property
    def rd_score(self) -> float:
        """Mean BD-rate of the two modalities: the ranking auto uses (lower is better)."""
        return (self.bd_rgb + self.bd_thermal) / 2

    @property
    def pair_ms(self) -> float:
        return self.encode_ms + self.decode_ms


CPU: tuple[Entry, ...] = (
    Entry("jpeg", 0.0, 0.0, 2.1, 1.6),
    Entry("webp-m0", -8.4, 2.2, 11.8, 4.6),
    Entry("webp-m2", -19.8, -12.3, 19.9, 7.5),
    Entry("webp", -27.2, -24.7, 45.5, 5.2),
    Entry("jpegxl-e1", -17.9, -16.8, 15.7, 13.2),
    Entry("jpegxl-e3", -26.3, -24.8, 20.1, 17.3),
    Entry("avif-s9", -31.6, -35.5, 26.1, 9.4),
    Entry("avif-s8", -35.5, -35.4, 58.2, 13.8),
    Entry("hevc-ultrafast", -37.5, -42.1, 138.6, 20.8),
)
