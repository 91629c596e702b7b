"""Swin-style window attention (Liu et al., "Swin Transformer: Hierarchical Vision
Transformer using Shifted Windows", ICCV 2021) for the cross-modal codecs.

One `WindowAttention` class does both self-attention (keys and values from the queries' own
tokens) and cross-attention (keys and values from a second, same-sized feature map: the other
modality). Windows of M x M tokens, a learned relative position bias per head, and shifted
windows with the usual attention mask so that tokens brought together by the cyclic shift from
opposite image borders never attend to each other. Maps whose size is not a multiple of M are
zero-padded inside the block and the padded tokens are masked out as keys.

Layout: blocks work on channels-last tokens (B, H, W, C); `WindowStage` wraps a stack of blocks
(shift 0, M/2, 0, ...) for feature maps in (B, C, H, W), and `PatchEmbed` / `PatchUnembed`
move between feature maps and p x p patch tokens with a strided convolution and its transpose.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Bias given to forbidden query/key pairs (finite, as in Swin, so no row is ever all -inf).
MASKED = -100.0


def window_partition(x: Tensor, m: int) -> Tensor:
    """(B, H, W, C) with H, W multiples of m -> (B, nW, m*m, C)."""
    b, h, w, c = x.shape
    x = x.view(b, h // m, m, w // m, m, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // m) * (w // m), m * m, c)


def window_reverse(x: Tensor, m: int, h: int, w: int) -> Tensor:
    """Inverse of window_partition: (B, nW, m*m, C) -> (B, H, W, C)."""
    b, _, _, c = x.shape
    x = x.view(b, h // m, w // m, m, m, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def relative_position_index(m: int) -> Tensor:
    """(m*m, m*m) index into a ((2m-1)^2)-entry bias table: one entry per relative offset."""
    coords = torch.stack(torch.meshgrid(torch.arange(m), torch.arange(m), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (m - 1)
    return rel[..., 0] * (2 * m - 1) + rel[..., 1]


def shifted_window_mask(hp: int, wp: int, h: int, w: int, m: int, shift: tuple[int, int],
                        device: torch.device) -> Tensor | None:
    """(nW, m*m, m*m) additive mask for a padded (hp, wp) map holding an (h, w) valid region and
    rolled by -shift; None when nothing needs masking.

    Each token gets a label: the region of the shifted layout it came from (Swin's nine regions),
    or -1 for padding. A query may attend only to keys with its own label.
    """
    sh, sw = shift
    if sh == 0 and sw == 0 and hp == h and wp == w:
        return None
    labels = torch.zeros(hp, wp, dtype=torch.long, device=device)
    rows = ((0, hp - m), (hp - m, hp - sh), (hp - sh, hp)) if sh else ((0, hp),)
    cols = ((0, wp - m), (wp - m, wp - sw), (wp - sw, wp)) if sw else ((0, wp),)
    region = 0
    for r0, r1 in rows:
        for c0, c1 in cols:
            labels[r0:r1, c0:c1] = region
            region += 1
    valid = torch.zeros(hp, wp, dtype=torch.bool, device=device)
    valid[:h, :w] = True
    valid = torch.roll(valid, shifts=(-sh, -sw), dims=(0, 1))
    labels = torch.where(valid, labels, torch.full_like(labels, -1))
    win = window_partition(labels[None, :, :, None], m)[0, :, :, 0]  # (nW, m*m)
    same = win[:, :, None] == win[:, None, :]
    return torch.zeros(same.shape, device=device).masked_fill_(~same, MASKED)


class WindowAttention(nn.Module):
    """Multi-head attention inside M x M windows with a relative position bias:
    softmax(Q K^T / sqrt(d) + B) V, with Q from `x` and K, V from `context` (cross-attention)
    or from `x` itself (self-attention, context=None). Q, K, V projections are shared by all
    windows."""

    def __init__(self, dim: int, heads: int, window: int, qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention width {dim} is not divisible by {heads} heads")
        self.dim, self.heads, self.window = dim, heads, window
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        self.register_buffer("bias_index", relative_position_index(window), persistent=False)

    def position_bias(self) -> Tensor:
        n = self.window * self.window
        return self.bias_table[self.bias_index.view(-1)].view(n, n, self.heads).permute(2, 0, 1)

    def forward(self, x: Tensor, context: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
        """x, context: (B, nW, N, C) windows; mask: (nW, N, N) additive or None -> (B, nW, N, C)."""
        b, nw, n, c = x.shape
        kv_in = x if context is None else context
        d = c // self.heads
        q = self.q(x).view(b, nw, n, self.heads, d).transpose(2, 3)
        k, v = self.kv(kv_in).view(b, nw, n, 2, self.heads, d).permute(3, 0, 1, 4, 2, 5)
        bias = self.position_bias().to(q.dtype)[None]  # (1, heads, N, N)
        if mask is not None:
            bias = bias + mask.to(q.dtype)[:, None]  # (nW, heads, N, N)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # scale 1/sqrt(d)
        return self.proj(out.transpose(2, 3).reshape(b, nw, n, c))


class Mlp(nn.Sequential):
    def __init__(self, dim: int, ratio: float) -> None:
        hidden = int(dim * ratio)
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class WindowBlock(nn.Module):
    """One transformer block on (B, H, W, C) tokens:
        e = (M)CA(LN(x), LN(context)) + x;   out = MLP(LN(e)) + e
    with windows shifted by `shift` (0 or M // 2). Without a context it is Swin's self-attention
    block."""

    def __init__(self, dim: int, heads: int, window: int = 4, shift: int = 0,
                 mlp_ratio: float = 2.0, cross: bool = False) -> None:
        super().__init__()
        if not 0 <= shift < window:
            raise ValueError(f"shift {shift} must be in [0, window={window})")
        self.window, self.shift, self.cross = window, shift, cross
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim) if cross else None
        self.attn = WindowAttention(dim, heads, window)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio)

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        if self.cross != (context is not None):
            raise ValueError("a cross-attention block needs a context, a self-attention block none")
        if context is not None and context.shape != x.shape:
            raise ValueError(f"context {tuple(context.shape)} must match the queries {tuple(x.shape)}")
        b, h, w, c = x.shape
        m = self.window
        hp, wp = -(-h // m) * m, -(-w // m) * m
        # A map no larger than one window in a direction has nothing to shift there (as in Swin).
        shift = (self.shift if hp > m else 0, self.shift if wp > m else 0)

        def windows(t: Tensor) -> Tensor:
            t = F.pad(t, (0, 0, 0, wp - w, 0, hp - h))
            if shift != (0, 0):
                t = torch.roll(t, shifts=(-shift[0], -shift[1]), dims=(1, 2))
            return window_partition(t, m)

        q = windows(self.norm_q(x))
        kv = windows(self.norm_kv(context)) if context is not None else None
        mask = shifted_window_mask(hp, wp, h, w, m, shift, x.device)
        a = window_reverse(self.attn(q, kv, mask), m, hp, wp)
        if shift != (0, 0):
            a = torch.roll(a, shifts=shift, dims=(1, 2))
        x = x + a[:, :h, :w]
        return x + self.mlp(self.norm_mlp(x))


class WindowStage(nn.Module):
    """`depth` blocks alternating plain and shifted (M // 2) windows, on (B, C, H, W) maps.
    With cross=True every block attends from `x` to the same `context` map."""

    def __init__(self, dim: int, heads: int = 3, window: int = 4, depth: int = 2,
                 mlp_ratio: float = 2.0, cross: bool = False) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            WindowBlock(dim, heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio, cross)
            for i in range(depth)
        )

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        ctx = context.permute(0, 2, 3, 1) if context is not None else None
        for block in self.blocks:
            x = block(x, ctx)
        return x.permute(0, 3, 1, 2)


class PatchEmbed(nn.Conv2d):
    """p x p patches -> one `dim`-wide token each: (B, C, H, W) -> (B, dim, H/p, W/p)."""

    def __init__(self, in_ch: int, dim: int, patch: int = 2) -> None:
        super().__init__(in_ch, dim, kernel_size=patch, stride=patch)


class PatchUnembed(nn.ConvTranspose2d):
    """Inverse of PatchEmbed: (B, dim, h, w) -> (B, out_ch, h*p, w*p)."""

    def __init__(self, dim: int, out_ch: int, patch: int = 2) -> None:
        super().__init__(dim, out_ch, kernel_size=patch, stride=patch)
