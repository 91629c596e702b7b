"""Blocks shared by the learned architectures (defined once, composed by the models)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


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

    def forward(self, quality: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """quality: (B,) in [0, 1] -> four (B, C, 1, 1) gain tensors (y, z, y_inv, z_inv)."""
        pos = quality.clamp(0, 1) * (self.levels - 1)
        lo = pos.floor().long().clamp(max=self.levels - 2)
        t = (pos - lo).unsqueeze(1)

        def interp(table: Tensor) -> Tensor:
            a = table[lo].abs() + 1e-6
            b = table[lo + 1].abs() + 1e-6
            return (a.log() * (1 - t) + b.log() * t).exp()[:, :, None, None]

        return interp(self.y_gain), interp(self.z_gain), interp(self.y_gain_inv), interp(self.z_gain_inv)


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Replicate-pad H and W up to a multiple of the network stride (cropped after decoding)."""
    h, w = x.shape[-2:]
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    return nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")
