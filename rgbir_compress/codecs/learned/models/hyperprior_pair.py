"""The hyperprior baseline as one trainable pair model: a colour hyperprior and a thermal
hyperprior that share nothing (the anchor the cross-modal codecs are measured against)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..loss import rd_loss
from .contract import PairModel, latent_grids
from .hyperprior import VariableRateHyperprior

TRAINABLE = ("both", "rgb", "ir")
MODALITIES = ("rgb", "ir")


class HyperpriorPair(PairModel, nn.Module):
    """rgb: (B,3,H,W), ir: (B,1,H,W) in [0, 1]; quality: (B,) in [0, 1].

    trainable: "both", or one modality whose coder alone trains (the other is frozen and not
    run). One-modality runs are the controls of the conditional codec: the same warm start and
    the same steps, without the reference, so a measured gain is the reference's, not the
    extra training's."""

    arch = "hyperprior"
    stride = VariableRateHyperprior.stride
    stream_parts = 2  # z, y

    def __init__(self, N: int = 64, M: int = 96, N_ir: int = 64, M_ir: int = 96, levels: int = 6,
                 trainable: str = "both") -> None:
        super().__init__()
        if trainable not in TRAINABLE:
            raise ValueError(f"trainable must be one of {TRAINABLE}, got {trainable!r}")
        self.config = {"N": N, "M": M, "N_ir": N_ir, "M_ir": M_ir, "levels": levels}
        self.trainable = trainable
        self.rgb = VariableRateHyperprior(3, N, M, levels)
        self.ir = VariableRateHyperprior(1, N_ir, M_ir, levels)
        for name in MODALITIES:
            if trainable not in ("both", name):
                getattr(self, name).requires_grad_(False)

    def branches(self) -> list[str]:
        return list(MODALITIES) if self.trainable == "both" else [self.trainable]

    def forward(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        """The training loss (DDP hooks forward, so the loss is computed here)."""
        return self.training_loss(rgb, ir, quality)

    def training_loss(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        images = {"rgb": rgb, "ir": ir}
        out: dict[str, Tensor] = {}
        loss = 0
        for name in self.branches():
            x = images[name]
            t = rd_loss(x, getattr(self, name)(x, quality), quality)
            loss = loss + t["loss"]
            out[f"bpp_{name}"], out[f"psnr_{name}"] = t["bpp"], t["psnr"]
        return {"loss": loss, **out}

    def aux_loss(self) -> Tensor:
        return sum(getattr(self, name).aux_loss() for name in self.branches())

    def update(self, force: bool = True) -> None:
        """Build the entropy coder's CDF tables (before compress/decompress or shipping)."""
        self.rgb.update(force=force)
        self.ir.update(force=force)

    # -- the pair-model contract (contract.py) ------------------------------------------------------
    def compress(self, x_rgb: Tensor, x_ir: Tensor, rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                 quality: float) -> dict:
        strings = {}
        for m, x in zip(MODALITIES, (x_rgb, x_ir)):
            y, z = getattr(self, m).compress(x, quality)["strings"]
            strings[m] = [z, y]
        return {"strings": strings, "affine": None}

    def decompress(self, strings: dict[str, list], rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                   quality: float, affine=None) -> dict[str, Tensor]:
        out = {}
        for m, hw in zip(MODALITIES, (rgb_hw, ir_hw)):
            z, y = strings[m]
            out[m] = getattr(self, m).decompress([y, z], latent_grids(hw, self.stride), quality)["x_hat"]
        return out

    def tune_for(self, device: torch.device) -> None:
        """CPU: synthesis in channels_last, oneDNN's faster convolutions (docs/realtime.md). The
        analysis stays as it is, because its float rounding decides the latents and so the
        bitstream; a synthesis change moves decoded pixels by at most one level."""
        if device.type == "cpu":
            for m in MODALITIES:
                getattr(self, m).g_s.to(memory_format=torch.channels_last)
