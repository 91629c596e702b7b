"""The independent baseline as one trainable pair module: a colour hyperprior and a thermal
hyperprior that share nothing (the anchor the cross-modal codecs are measured against)."""
from __future__ import annotations

from torch import Tensor, nn

from ..loss import rd_loss
from .hyperprior import VariableRateHyperprior

TRAINABLE = ("both", "rgb", "ir")


class IndependentPair(nn.Module):
    """rgb: (B,3,H,W), ir: (B,1,H,W) in [0, 1]; quality: (B,) in [0, 1].

    trainable: "both", or one modality whose coder alone trains (the other is frozen and not
    run). One-modality runs are the controls of the conditional codec: the same warm start and
    the same steps, without the reference, so a measured gain is the reference's, not the
    extra training's."""

    stride = VariableRateHyperprior.stride

    def __init__(self, N: int = 64, M: int = 96, N_ir: int = 64, M_ir: int = 96, levels: int = 6,
                 trainable: str = "both") -> None:
        super().__init__()
        if trainable not in TRAINABLE:
            raise ValueError(f"trainable must be one of {TRAINABLE}, got {trainable!r}")
        self.config = {"N": N, "M": M, "N_ir": N_ir, "M_ir": M_ir, "levels": levels}
        self.trainable = trainable
        self.rgb = VariableRateHyperprior(3, N, M, levels)
        self.ir = VariableRateHyperprior(1, N_ir, M_ir, levels)
        for name in ("rgb", "ir"):
            if trainable not in ("both", name):
                getattr(self, name).requires_grad_(False)

    def branches(self) -> list[str]:
        return ["rgb", "ir"] if self.trainable == "both" else [self.trainable]

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
