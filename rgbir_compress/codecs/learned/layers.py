"""Blocks shared by the learned architectures (defined once, composed by the models)."""
from __future__ import annotations

import math

import torch
from compressai.models.utils import conv, deconv
from torch import Tensor, nn

from .fixed_point import GAIN_BITS, snap


class QualityGains(nn.Module):
    """Continuous variable rate with gain units (Cui et al., CVPR 2021, "Asymmetric gained deep
    image compression"): one learned gain vector per anchor level for the latent y and the hyper
    latent z, and an inverse gain for each at the decoder. A quality q in [0, 1] picks a point
    between two adjacent anchors by geometric interpolation, so one set of weights covers the
    whole rate range continuously.
    """

    def __init__(self, levels: int, y_channels: int, z_channels: int) -> None:
        super().__init__()
        if levels < 2:
            raise ValueError("need at least two anchor levels")
        self.levels = levels
        # Initialise gains spread in log scale so the anchors start at different rates.
        init = torch.linspace(math.log(0.5), math.log(2.0), levels)[:, None]
        self.y_gain = nn.Parameter(init.exp().repeat(1, y_channels))
        self.y_gain_inv = nn.Parameter((-init).exp().repeat(1, y_channels))
        self.z_gain = nn.Parameter(torch.ones(levels, z_channels))
        self.z_gain_inv = nn.Parameter(torch.ones(levels, z_channels))

    def forward(self, quality: Tensor, tables: tuple[Tensor, ...] | None = None
                ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """quality: (B,) in [0, 1] -> four (B, C, 1, 1) gain tensors (y, z, y_inv, z_inv)."""
        tables = tables or (self.y_gain, self.z_gain, self.y_gain_inv, self.z_gain_inv)
        pos = quality.clamp(0, 1) * (self.levels - 1)
        lo = pos.floor().long().clamp(max=self.levels - 2)
        t = (pos - lo).unsqueeze(1)

        def interp(table: Tensor) -> Tensor:
            a = table[lo].abs() + 1e-6
            b = table[lo + 1].abs() + 1e-6
            return (a.log() * (1 - t) + b.log() * t).exp()[:, :, None, None]

        return tuple(interp(table) for table in tables)

    def at(self, quality: Tensor | float, batch: int, like: Tensor, exact: bool = False) -> tuple[Tensor, ...]:
        """Gains for a scalar (broadcast to `batch`) or per-sample quality, on `like`'s device.

        exact=True (coding): computed in float64 on the CPU and snapped to a 2**-16 grid, so the
        encoder and a decoder on another machine derive the same gains from the same float32
        quality (a last-bit difference in exp/log would have to straddle a grid point: ~1e-11)."""
        if not exact:
            q = torch.as_tensor(quality, dtype=like.dtype, device=like.device).reshape(-1)
            return self(q.expand(batch) if q.numel() == 1 else q)
        q = torch.as_tensor(quality, dtype=torch.float64).reshape(-1)
        q = q.expand(batch) if q.numel() == 1 else q
        tables = tuple(t.detach().to("cpu", torch.float64)
                       for t in (self.y_gain, self.z_gain, self.y_gain_inv, self.z_gain_inv))
        with torch.no_grad():
            return tuple(snap(g, GAIN_BITS).to(like.device, like.dtype) for g in self(q, tables))


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Replicate-pad H and W up to a multiple of the network stride (cropped after decoding)."""
    h, w = x.shape[-2:]
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    return nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")


def hyper_analysis(N: int, M: int) -> nn.Sequential:
    return nn.Sequential(
        conv(M, N, stride=1, kernel_size=3), nn.LeakyReLU(inplace=True),
        conv(N, N), nn.LeakyReLU(inplace=True), conv(N, N),
    )


def hyper_synthesis(N: int, M: int) -> nn.Sequential:
    return nn.Sequential(
        deconv(N, M), nn.LeakyReLU(inplace=True),
        deconv(M, M * 3 // 2), nn.LeakyReLU(inplace=True),
        conv(M * 3 // 2, M * 2, stride=1, kernel_size=3),
    )
