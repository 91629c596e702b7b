"""The one contract every learned pair model keeps, so one codec class (../codec.py) codes them all.

A pair model is an `nn.Module` that also derives from `PairModel` and provides:

    arch          its architecture name: the zoo key, the registered codec name and the weights
                  file's name, all one word (hyperprior, conditional, joint)
    stride        inputs are replicate-padded to a multiple of it (STRIDE)
    stream_parts  how many byte strings one modality's stream holds (the packer's part count)
    affine_size   float32 values per affine vector sent beside the streams (0: none)

    compress(x_rgb, x_ir, rgb_hw, ir_hw, quality)
        x_rgb (B, 3, H, W), x_ir (B, 1, H', W'): a batch of same-size pairs in [0, 1], padded to
        `stride`; rgb_hw, ir_hw: their true sizes; quality: one float in [0, 1].
        -> {"strings": {"rgb": parts, "ir": parts}, "affine": (gamma, beta) or None, ...}
        where `parts` lists the modality's `stream_parts` strings in stream order (hyper-latent
        first), each a list of B bytes (CompressAI's layout), and gamma, beta are (B,
        affine_size) tensors. Models may return more keys (e.g. y_hat, for tests).

    decompress(strings, rgb_hw, ir_hw, quality, affine=None)
        strings as `compress` wrote them (the same batch layout); affine as sent, or None.
        -> {"rgb": (B, 3, H, W), "ir": (B, 1, H', W')}: padded reconstructions in [0, 1].

    tune_for(device)
        layout changes for coding on `device` that cannot move the latents (so never the bytes).

Latent grids follow from the true image size alone (`latent_grids`), so streams store no shapes.
"""
from __future__ import annotations

import torch
from torch import Tensor

#: Every pair model pads its inputs to this multiple; the latent y is at 1/16, the hyper-latent z at 1/64.
STRIDE = 64
LATENT_STRIDE = 16
HYPER_STRIDE = 64


def padded(n: int, stride: int = STRIDE) -> int:
    return -(-n // stride) * stride


def latent_grids(hw: tuple[int, int], stride: int = STRIDE) -> dict[str, tuple[int, int]]:
    """Grid sizes of the latent ("y") and hyper-latent ("hyper", CompressAI's key) of an image of
    true size hw once padded to `stride`."""
    ph, pw = padded(hw[0], stride), padded(hw[1], stride)
    return {"y": (ph // LATENT_STRIDE, pw // LATENT_STRIDE), "hyper": (ph // HYPER_STRIDE, pw // HYPER_STRIDE)}


class PairModel:
    """Mixin of the contract above (defaults and the signatures); see the module docstring."""

    arch: str = ""
    stride: int = STRIDE
    affine_size: int = 0

    @property
    def stream_parts(self) -> int:
        raise NotImplementedError

    def compress(self, x_rgb: Tensor, x_ir: Tensor, rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                 quality: float) -> dict:
        raise NotImplementedError

    def decompress(self, strings: dict[str, list], rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                   quality: float, affine: tuple[Tensor, Tensor] | None = None) -> dict[str, Tensor]:
        raise NotImplementedError

    def tune_for(self, device: torch.device) -> None:
        """Nothing by default."""
