"""The independent baseline as one trainable pair module: a colour hyperprior and a thermal
hyperprior that share nothing (the anchor the cross-modal codecs are measured against)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ....train.loss import rd_loss
from .hyperprior import VariableRateHyperprior


class IndependentPair(nn.Module):
    """rgb: (B,3,H,W), ir: (B,1,H,W) in [0, 1]; quality: (B,) in [0, 1]."""

    stride = VariableRateHyperprior.stride

    def __init__(self, N: int = 64, M: int = 96, N_ir: int = 64, M_ir: int = 96, levels: int = 6) -> None:
        super().__init__()
        self.config = {"N": N, "M": M, "N_ir": N_ir, "M_ir": M_ir, "levels": levels}
        self.rgb = VariableRateHyperprior(3, N, M, levels)
        self.ir = VariableRateHyperprior(1, N_ir, M_ir, levels)

    def forward(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        """The training loss (DDP hooks forward, so the loss is computed here)."""
        return self.training_loss(rgb, ir, quality)

    def training_loss(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        r = rd_loss(rgb, self.rgb(rgb, quality), quality)
        t = rd_loss(ir, self.ir(ir, quality), quality)
        return {
            "loss": r["loss"] + t["loss"],
            "bpp_rgb": r["bpp"], "psnr_rgb": r["psnr"],
            "bpp_ir": t["bpp"], "psnr_ir": t["psnr"],
        }

    def aux_loss(self) -> Tensor:
        return self.rgb.aux_loss() + self.ir.aux_loss()

    def update(self, force: bool = True) -> None:
        """Build the entropy coder's CDF tables (before compress/decompress or shipping)."""
        self.rgb.update(force=force)
        self.ir.update(force=force)
