"""Distortion metrics on uint8/uint16 arrays."""
from __future__ import annotations

import numpy as np

from .frame import ImagePair


def psnr(ref: np.ndarray, test: np.ndarray, peak: float | None = None) -> float:
    """PSNR in dB over all channels; peak defaults to the dtype's maximum (255, 65535)."""
    if ref.shape != test.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {test.shape}")
    if peak is None:
        peak = float(np.iinfo(ref.dtype).max) if np.issubdtype(ref.dtype, np.integer) else 1.0
    mse = np.mean((ref.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))


def thermal_peak(thermal: np.ndarray) -> float:
    """PSNR peak for thermal: 255 for mono8; for mono16 the frame's own range of counts, because
    a radiometric frame uses a few thousand of the 65535 counts (the span the codecs actually code)
    and dB over 65535 would flatter."""
    if thermal.dtype == np.uint16:
        return float(max(int(thermal.max()) - int(thermal.min()), 1))
    return 255.0


def pair_psnr(ref: ImagePair, out: ImagePair) -> tuple[float, float]:
    """PSNR of a decoded pair against the original: colour (peak 255, the three colour channels of
    any encoding) and thermal (peak `thermal_peak`)."""
    return (psnr(ref.rgb[..., :3], out.rgb[..., :3]),
            psnr(ref.thermal, out.thermal, peak=thermal_peak(ref.thermal)))


def psnr_yuv420(ref: np.ndarray, test: np.ndarray) -> float:
    """PSNR in dB of two uint8 RGB images in the YUV 4:2:0 domain (BT.601 full range, float planes,
    rgbir_compress/yuv.py): MSE = (4 MSE_Y + MSE_U + MSE_V) / 6, the mean over all 4:2:0 samples,
    as the joint codec's design measures colour distortion. Peak 1 (planes in [0, 1])."""
    from .yuv import rgb_to_yuv420_float

    if ref.shape != test.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {test.shape}")
    a, b = rgb_to_yuv420_float(ref), rgb_to_yuv420_float(test)
    mse = (4 * np.mean((a.y - b.y) ** 2) + np.mean((a.u - b.u) ** 2) + np.mean((a.v - b.v) ** 2)) / 6
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


#: MS-SSIM's five scales with an 11-pixel window need a smaller side above (11 - 1) * 2**4.
MS_SSIM_MIN_SIDE = 161


def ms_ssim(ref: np.ndarray, test: np.ndarray, peak: float | None = None) -> float | None:
    """MS-SSIM (pytorch-msssim, standard 5 scales) over all channels, or None when the image is
    too small for five scales: a reduced-scale variant would not be comparable to published values.
    torch is imported here, so metrics.psnr stays usable without it."""
    if ref.shape != test.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {test.shape}")
    if min(ref.shape[:2]) < MS_SSIM_MIN_SIDE:
        return None
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    if peak is None:
        peak = float(np.iinfo(ref.dtype).max) if np.issubdtype(ref.dtype, np.integer) else 1.0

    def tensor(img: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(img).astype(np.float32))
        return t[None, None] if img.ndim == 2 else t.permute(2, 0, 1)[None]

    # One thread: a single image gains little from more, and when the CPU is shared (training in
    # the background) torch's thread pool spins against the other job. Restored afterwards, so
    # codec timings keep the caller's setting.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            return float(_ms_ssim(tensor(ref), tensor(test), data_range=peak))
    finally:
        torch.set_num_threads(threads)
