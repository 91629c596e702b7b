"""Rate-distortion loss with a per-sample lambda (variable-rate training). It lives with the models
because they compute their loss in forward (DDP wraps forward); the trainer only calls forward."""
from __future__ import annotations

import math

import torch
from torch import Tensor

# Lambda range of CompressAI's MSE quality 1..6 (loss = lambda * 255^2 * MSE + bpp).
LAMBDA_MIN = 0.0018
LAMBDA_MAX = 0.0483
#: What quality means for every learned codec (their `quality_help` starts with it).
RATE_HELP = (f"continuous rate through gain units: lambda {LAMBDA_MIN:g} (q=0) .. {LAMBDA_MAX:g} (q=1), "
             "log-linear")


def lambda_of(quality: Tensor, lmin: float = LAMBDA_MIN, lmax: float = LAMBDA_MAX) -> Tensor:
    """Quality in [0, 1] -> lambda, log-linear, the same mapping the gain anchors are trained on."""
    return torch.exp(math.log(lmin) + quality * (math.log(lmax) - math.log(lmin)))


def bpp_per_sample(likelihoods: dict[str, Tensor], num_pixels: int) -> Tensor:
    total = 0
    for lk in likelihoods.values():
        total = total + lk.clamp_min(1e-9).log2().neg().flatten(1).sum(1)
    return total / num_pixels


def rd_loss(x: Tensor, out: dict, quality: Tensor, **lambdas) -> dict[str, Tensor]:
    """Mean over the batch of lambda_i * 255^2 * MSE_i + bpp_i."""
    n, _, h, w = x.shape
    mse = (out["x_hat"] - x).pow(2).flatten(1).mean(1)
    bpp = bpp_per_sample(out["likelihoods"], h * w)
    lam = lambda_of(quality, **lambdas)
    loss = (lam * 255**2 * mse + bpp).mean()
    psnr = (10 * torch.log10(1.0 / mse.detach().clamp_min(1e-10))).mean()
    return {"loss": loss, "mse": mse.mean(), "bpp": bpp.mean(), "psnr": psnr}
