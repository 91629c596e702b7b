"""RGB <-> YUV 4:2:0: the colour space the joint codec codes in and measures distortion in.

The conversion, exactly (values in [0, 1]; x 255 gives the 8-bit JPEG/JFIF planes):

* Matrix: ITU-R BT.601, **full range** (JFIF): Kr = 0.299, Kb = 0.114, Kg = 1 - Kr - Kb;
      Y  = Kr R + Kg G + Kb B
      Cb = (B - Y) / (2 (1 - Kb)) + 128/255
      Cr = (R - Y) / (2 (1 - Kr)) + 128/255
  Y spans [0, 1]; Cb, Cr span [128/255 - 0.5, 128/255 + 0.5], so grey (R = G = B) has
  Cb = Cr = 128 exactly in 8 bits. The inverse is the exact algebraic inverse:
      R = Y + 2 (1 - Kr) (Cr - 128/255),  B = Y + 2 (1 - Kb) (Cb - 128/255),  G = (Y - Kr R - Kb B) / Kg.
* Chroma siting: **centred**, as in JPEG/JFIF and MPEG-1 (not the left / co-sited siting of MPEG-2
  and H.264's default): each chroma sample sits at the centre of its 2x2 block of luma samples.
* Downsampling: the 2x2 box mean (the exact area average for centred siting). Odd sizes: the
  last row / column is replicated first, so a plane of H x W luma has ceil(H/2) x ceil(W/2) chroma.
* Upsampling: bilinear for centred siting, i.e. weights 3/4 and 1/4 along each axis with edge
  samples replicated (libjpeg's "fancy upsampling", and exactly torch's
  `interpolate(scale_factor=2, mode="bilinear", align_corners=False)`), then cropped to H x W.

Only the chroma subsampling (and 8-bit rounding of the planes) loses information: float RGB ->
YUV 4:4:4 -> RGB is exact to float precision, and an image of uniform chroma (any grey image, for
one) survives float 4:2:0 exactly. The numpy
functions serve metrics and tests; the `*_torch` ones are the same maps, differentiable, for the
models (even H and W there: the codecs pad to their stride first).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported only by the functions that need it
    from torch import Tensor

KR, KB = 0.299, 0.114
KG = 1.0 - KR - KB
#: Chroma offset in [0, 1] units: 128 in 8 bits.
CHROMA_OFFSET = 128.0 / 255.0
CB_SCALE = 2.0 * (1.0 - KB)  # 1.772
CR_SCALE = 2.0 * (1.0 - KR)  # 1.402


@dataclass
class Yuv420:
    """Planar 4:2:0: y (H, W), u and v (ceil(H/2), ceil(W/2)); uint8 or float in [0, 1]."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray


# -- numpy ------------------------------------------------------------------------------------
def rgb_to_yuv444(rgb: np.ndarray) -> np.ndarray:
    """Float RGB (..., 3) in [0, 1] -> float YCbCr (..., 3), BT.601 full range."""
    rgb = np.asarray(rgb, np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = KR * r + KG * g + KB * b
    return np.stack([y, (b - y) / CB_SCALE + CHROMA_OFFSET, (r - y) / CR_SCALE + CHROMA_OFFSET], axis=-1)


def yuv444_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """Exact inverse of `rgb_to_yuv444` (no clipping)."""
    yuv = np.asarray(yuv, np.float64)
    y = yuv[..., 0]
    r = y + CR_SCALE * (yuv[..., 2] - CHROMA_OFFSET)
    b = y + CB_SCALE * (yuv[..., 1] - CHROMA_OFFSET)
    g = (y - KR * r - KB * b) / KG
    return np.stack([r, g, b], axis=-1)


def downsample_chroma(c: np.ndarray) -> np.ndarray:
    """(H, W) -> (ceil(H/2), ceil(W/2)): 2x2 box mean, last row/column replicated when odd."""
    h, w = c.shape
    c = np.pad(np.asarray(c, np.float64), ((0, h % 2), (0, w % 2)), mode="edge")
    return 0.25 * (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2])


def _upsample_axis(c: np.ndarray, axis: int) -> np.ndarray:
    """x2 along `axis` for centred siting: out[2i] = 3/4 c[i] + 1/4 c[i-1], out[2i+1] = 3/4 c[i] +
    1/4 c[i+1], neighbours beyond the edge replicated."""
    c = np.moveaxis(c, axis, 0)
    prev = np.concatenate([c[:1], c[:-1]])
    nxt = np.concatenate([c[1:], c[-1:]])
    out = np.empty((2 * c.shape[0],) + c.shape[1:], np.float64)
    out[0::2] = 0.75 * c + 0.25 * prev
    out[1::2] = 0.75 * c + 0.25 * nxt
    return np.moveaxis(out, 0, axis)


def upsample_chroma(c: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """(ceil(H/2), ceil(W/2)) -> (H, W): bilinear for centred siting, cropped."""
    up = _upsample_axis(_upsample_axis(np.asarray(c, np.float64), 0), 1)
    return up[: hw[0], : hw[1]]


def rgb_to_yuv420_float(rgb: np.ndarray) -> Yuv420:
    """uint8 or float RGB (H, W, 3) -> float planes in [0, 1] (no rounding)."""
    x = np.asarray(rgb, np.float64) / (255.0 if np.asarray(rgb).dtype == np.uint8 else 1.0)
    yuv = rgb_to_yuv444(x)
    return Yuv420(yuv[..., 0], downsample_chroma(yuv[..., 1]), downsample_chroma(yuv[..., 2]))


def yuv420_float_to_rgb(yuv: Yuv420) -> np.ndarray:
    """Float planes -> float RGB (H, W, 3), not clipped."""
    hw = yuv.y.shape
    planes = np.stack([yuv.y, upsample_chroma(yuv.u, hw), upsample_chroma(yuv.v, hw)], axis=-1)
    return yuv444_to_rgb(planes)


def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def rgb_to_yuv420(rgb: np.ndarray) -> Yuv420:
    """uint8 RGB (H, W, 3) -> uint8 planes (JFIF values, rounded half to even, clipped)."""
    f = rgb_to_yuv420_float(rgb)
    return Yuv420(_to_u8(f.y), _to_u8(f.u), _to_u8(f.v))


def yuv420_to_rgb(yuv: Yuv420) -> np.ndarray:
    """uint8 (or float in [0, 1]) planes -> uint8 RGB (H, W, 3)."""
    scale = 255.0 if yuv.y.dtype == np.uint8 else 1.0
    f = Yuv420(*(np.asarray(p, np.float64) / scale for p in (yuv.y, yuv.u, yuv.v)))
    return _to_u8(yuv420_float_to_rgb(f))


# -- torch (the models) -----------------------------------------------------------------------
def rgb_to_yuv420_torch(rgb: "Tensor") -> tuple["Tensor", "Tensor"]:
    """(B, 3, H, W) in [0, 1], H and W even -> Y (B, 1, H, W) and CbCr (B, 2, H/2, W/2)."""
    import torch
    import torch.nn.functional as F

    if rgb.shape[-2] % 2 or rgb.shape[-1] % 2:
        raise ValueError(f"4:2:0 in the model needs even sizes (pad first), got {tuple(rgb.shape[-2:])}")
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    y = KR * r + KG * g + KB * b
    cb = (b - y) / CB_SCALE + CHROMA_OFFSET
    cr = (r - y) / CR_SCALE + CHROMA_OFFSET
    return y, F.avg_pool2d(torch.cat([cb, cr], 1), 2)


def yuv420_to_rgb_torch(y: "Tensor", uv: "Tensor") -> "Tensor":
    """Inverse of `rgb_to_yuv420_torch` up to the chroma subsampling: (B, 3, H, W), not clipped."""
    import torch
    import torch.nn.functional as F

    c = F.interpolate(uv, size=y.shape[-2:], mode="bilinear", align_corners=False)
    r = y + CR_SCALE * (c[:, 1:2] - CHROMA_OFFSET)
    b = y + CB_SCALE * (c[:, 0:1] - CHROMA_OFFSET)
    g = (y - KR * r - KB * b) / KG
    return torch.cat([r, g, b], 1)
