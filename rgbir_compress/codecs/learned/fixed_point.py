"""Exact integer evaluation of the small networks that choose the probability tables.

Why: a learned decoder picks each symbol's table from float network outputs. GPU vs CPU, thread
count, BLAS kernel or TF32 change the last bits of those outputs, a scale near a table boundary
then selects another table, and every later symbol decodes to garbage without an error (CompressAI
issues #279, #309). Balle, Johnston and Minnen ("Integer networks for data compression", ICLR 2019)
remove the problem with integer arithmetic; this module applies the idea after training:

* weights are rounded to integers with a per-layer power-of-two scale (15 magnitude bits),
  activations live on a 2**-12 grid and are clamped to |a| < 4096 (24 significant bits, so they are
  also exact float32 values);
* every product and partial sum is then an integer below 2**53, so float64 convolution gives the
  same exact result in any summation order, on any machine; rescaling divides by a power of two and
  rounds, LeakyReLU multiplies by a dyadic slope and floors: all exact.

It always runs on the CPU: the hyper-synthesis works at 1/64 of the image size, so that is cheap,
and it keeps GPU convolution algorithms (Winograd/FFT) out of the exact path.
Written by hand: no library offers post-training integer evaluation of a PyTorch conv stack.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ACT_BITS = 12                 # fractional bits of every activation
ACT_LIMIT = float(2 ** 24)    # |activation| bound in grid units (value 4096)
WEIGHT_BITS = 15              # magnitude bits of the largest weight of a layer
SLOPE_BITS = 16               # LeakyReLU slope as an integer over 2**16
GAIN_BITS = 16                # gains (variable rate) are snapped to a 2**-16 grid


def snap(x: Tensor, bits: int) -> Tensor:
    """Round to the 2**-bits grid in float64 on the CPU (round half to even, exact)."""
    return torch.round(x.detach().to("cpu", torch.float64) * 2.0 ** bits) / 2.0 ** bits


def _integer_weights(layer: nn.Module) -> tuple[Tensor, Tensor, float]:
    """(integer weight, integer bias at the accumulator's scale, 2**-shift back to the grid)."""
    w = layer.weight.detach().to("cpu", torch.float64)
    top = float(w.abs().max())
    shift = WEIGHT_BITS - (math.frexp(top)[1] if top > 0 else 0)  # |w| * 2**shift < 2**15
    weight = torch.round(w * 2.0 ** shift)
    bias = layer.bias.detach().to("cpu", torch.float64) if layer.bias is not None else torch.zeros(
        w.shape[1] if isinstance(layer, nn.ConvTranspose2d) else w.shape[0], dtype=torch.float64)
    bias = torch.round(bias * 2.0 ** (shift + ACT_BITS))
    return weight, bias, 2.0 ** -shift


class FixedPointStack:
    """Integer twin of an nn.Sequential of Conv2d / ConvTranspose2d / LeakyReLU (/ ReLU) layers,
    converted once from the float weights at construction."""

    def __init__(self, seq: nn.Sequential) -> None:
        self.ops: list = []
        for layer in seq:
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                if layer.groups != 1 or layer.dilation not in ((1, 1), 1):
                    raise TypeError(f"unsupported convolution for the exact path: {layer}")
                self.ops.append((layer, *_integer_weights(layer)))
            elif isinstance(layer, nn.LeakyReLU):
                self.ops.append(("leaky", float(round(layer.negative_slope * 2 ** SLOPE_BITS))))
            elif isinstance(layer, nn.ReLU):
                self.ops.append(("leaky", 0.0))
            else:
                raise TypeError(f"layer {type(layer).__name__} has no exact integer form")

    def __call__(self, x: Tensor) -> Tensor:
        """x: values already on the 2**-12 grid (any device) -> float32 output on that grid."""
        device = x.device
        a = torch.round(x.detach().to("cpu", torch.float64) * 2.0 ** ACT_BITS)
        a.clamp_(-ACT_LIMIT, ACT_LIMIT)
        for op in self.ops:
            if op[0] == "leaky":
                neg = torch.floor(a * op[1] / 2.0 ** SLOPE_BITS)
                a = torch.where(a < 0, neg, a)
                continue
            layer, weight, bias, rescale = op
            if isinstance(layer, nn.ConvTranspose2d):
                acc = F.conv_transpose2d(a, weight, bias, layer.stride, layer.padding, layer.output_padding)
            else:
                acc = F.conv2d(a, weight, bias, layer.stride, layer.padding)
            a = torch.floor(acc * rescale + 0.5).clamp_(-ACT_LIMIT, ACT_LIMIT)
        return (a / 2.0 ** ACT_BITS).to(device, torch.float32)  # < 2**24 grid units: exact in float32
