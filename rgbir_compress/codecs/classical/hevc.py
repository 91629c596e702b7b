"""HEVC intra (x265) in a HEIF file, through pillow-heif (libheif): the BPG-style classical anchor.

Colour is coded as YCbCr 4:2:0, thermal as monochrome 4:0:0 (libheif hands "L" images to x265
as I400). The native setting is x265's CRF, passed straight to x265 (`x265:crf`); libheif's own
`quality` is set to its equivalent (libheif maps quality to CRF = (100 - quality) / 2), so both
agree whatever order libheif applies them in. The HEIF boxes cost about 400 bytes per image,
and they are counted like every other byte written.
pillow-heif is an optional extra (`pip install rgbir_compress[heif]`); it is imported on use.
"""
from __future__ import annotations

import io
import re

import numpy as np

from ...errors import DecodeError
from .base import ClassicalCodec
from .quality_map import QualityMap


def _pillow_heif():
    try:
        import pillow_heif
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("codec 'hevc' needs pillow-heif: pip install pillow-heif") from exc
    return pillow_heif


def _x265_version(info: dict) -> str:
    """'x265 HEVC encoder (4.3+1-e9b8812)' -> '4.3+1-e9b8812'; '' when libheif has no x265."""
    name = info.get("encoders", {}).get("x265", "")
    match = re.search(r"\(([^)]*)\)", name)
    return match.group(1) if match else ""


class HevcCodec(ClassicalCodec):
    quality_map = QualityMap("x265 CRF", 51, 0, digits=1)
    #: preset: x265 speed preset (libheif's default is slow); tune psnr, because the anchors are
    #: judged by PSNR (libheif's default tune=ssim costs PSNR at equal rate).
    defaults = {"preset": "slow", "tune": "psnr"}

    @classmethod
    def library_version(cls) -> str:
        heif = _pillow_heif()
        info = heif.libheif_info()
        return f"pillow-heif-{heif.__version__}/libheif-{info['libheif']}/x265-{_x265_version(info)}"

    def _encode(self, image: np.ndarray, mode: str, crf: float) -> bytes:
        heif = _pillow_heif()
        if not _x265_version(heif.libheif_info()):
            raise RuntimeError("codec 'hevc' needs a libheif with the x265 encoder (pillow-heif wheels have it)")
        h, w = image.shape[:2]
        quality = int(round(min(100.0, max(0.0, 100.0 - 2.0 * crf))))
        params = {"x265:crf": f"{crf:g}", "preset": self.options["preset"], "tune": self.options["tune"]}
        buf = io.BytesIO()
        heif.from_bytes(mode, (w, h), np.ascontiguousarray(image).tobytes()).save(
            buf, format="HEIF", quality=quality, chroma=420, enc_params=params
        )
        return buf.getvalue()

    def _decode(self, data: bytes, hw: tuple[int, int], mode: str) -> np.ndarray:
        heif_file = _pillow_heif().open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        # Check the header before decoding, so a corrupt size is refused without the allocation.
        if heif_file.size != (hw[1], hw[0]) or heif_file.mode != mode:
            raise DecodeError(
                f"hevc: stream holds a {heif_file.size[0]}x{heif_file.size[1]} {heif_file.mode} image, "
                f"expected {hw[1]}x{hw[0]} {mode}"
            )
        return np.array(heif_file, dtype=np.uint8, copy=True)

    def encode_colour(self, rgb: np.ndarray, setting: int | float) -> bytes:
        return self._encode(rgb, "RGB", float(setting))

    def encode_gray(self, gray: np.ndarray, setting: int | float) -> bytes:
        return self._encode(gray, "L", float(setting))

    def decode_colour(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return self._decode(data, hw, "RGB")

    def decode_gray(self, data: bytes, hw: tuple[int, int]) -> np.ndarray:
        return self._decode(data, hw, "L")

