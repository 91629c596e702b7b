"""The two context blocks of the channel-wise cross-modality entropy model (CCEM, reference
design 2: "End-to-End RGB-IR Joint Image Compression With Channel-wise Cross-modality Entropy
Model"), on (B, C, h, w) latent-grid maps.

LCEB, Low-frequency Context Extraction Block: "Lite Transformer" style global block, the kind
the design's reference [21] (CDDFuse) uses for its base (low-frequency) encoder:
    x = x + Proj(ChannelAttention(LN(x)));   x = x + GatedDWFFN(LN(x))
Channel attention (transposed attention) builds a per-head d x d attention matrix from q and k
L2-normalised over *all* positions, so every output position mixes information from the whole
map (global, low-frequency by construction) at a cost linear in the number of positions.

LCFB, Low-frequency Context Fusion Block: agent attention (Han et al., "Agent Attention: On the
Integration of Softmax and Linear Attention", ECCV 2024) across
modalities, equation (2) of the design. Queries come from the target modality's context X_t,
keys and values from the source modality's context X_s:
    Q = X_t W_Q,   K = X_s W_K,   V = X_s W_V,   A = Pool(Q)           (n = a x a agent tokens)
    V_A = softmax(A K^T / sqrt(d) + B_1) V                             (agent aggregation)
    O   = softmax(Q A^T / sqrt(d) + B_2) V_A + DWC(V)                   (agent broadcast)
B_1, B_2 are learned position biases (one a x a agent grid per head against a g x g grid of
positions, bilinearly resized to the map: works at any latent size); DWC is a 3x3 depth-wise
convolution. The output projection starts at zero, so a colour branch trained alone (stage one)
is unchanged when the block is switched on for stage two.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over channels at every position of a (B, C, h, w) map."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ChannelAttention(nn.Module):
    """Multi-head transposed attention: softmax(q_hat k_hat^T * t) v with q, k normalised over
    positions and t a learned temperature per head."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"LCEB width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, 3 * dim, 1)
        self.qkv_dw = nn.Conv2d(3 * dim, 3 * dim, 3, padding=1, groups=3 * dim)
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dw(self.qkv(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(-1)  # (B, heads, d, d)
        return self.proj((attn @ v).reshape(b, c, h, w))


class GatedDWFFN(nn.Module):
    """Feed-forward with a depth-wise 3x3 convolution and a GELU gate (local detail next to the
    global attention)."""

    def __init__(self, dim: int, ratio: float = 2.0) -> None:
        super().__init__()
        hidden = int(dim * ratio)
        self.inp = nn.Conv2d(dim, 2 * hidden, 1)
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden)
        self.out = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        a, g = self.dw(self.inp(x)).chunk(2, 1)
        return self.out(F.gelu(g) * a)


class LCEB(nn.Module):
    """Low-frequency Context Extraction Block (within one modality): (B, C, h, w) -> same."""

    def __init__(self, dim: int, heads: int = 2, ffn_ratio: float = 2.0) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(dim)
        self.attn = ChannelAttention(dim, heads)
        self.norm2 = LayerNorm2d(dim)
        self.ffn = GatedDWFFN(dim, ffn_ratio)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class LCFB(nn.Module):
    """Low-frequency Context Fusion Block: agent cross-attention from the target modality's
    context `x` to the source modality's context `src` (same grid), eq. (2). -> (B, C, h, w)."""

    def __init__(self, dim: int, heads: int = 2, agents: int = 4, bias_grid: int = 8) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"LCFB width {dim} is not divisible by {heads} heads")
        self.heads, self.agents = heads, agents
        self.norm_q = LayerNorm2d(dim)
        self.norm_kv = LayerNorm2d(dim)
        self.q = nn.Conv2d(dim, dim, 1)
        self.kv = nn.Conv2d(dim, 2 * dim, 1)
        self.dwc = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.proj = nn.Conv2d(dim, dim, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        n = agents * agents
        self.agent_bias = nn.Parameter(torch.zeros(heads, n, bias_grid, bias_grid))  # B_1: agents -> keys
        self.query_bias = nn.Parameter(torch.zeros(heads, n, bias_grid, bias_grid))  # B_2: queries -> agents
        nn.init.trunc_normal_(self.agent_bias, std=0.02)
        nn.init.trunc_normal_(self.query_bias, std=0.02)

    def _bias(self, table: Tensor, h: int, w: int, dtype: torch.dtype) -> Tensor:
        """(heads, n, g, g) -> (heads, n, h*w), resized to the map."""
        return F.interpolate(table, size=(h, w), mode="bilinear", align_corners=False).flatten(2).to(dtype)

    def forward(self, x: Tensor, src: Tensor) -> Tensor:
        if x.shape != src.shape:
            raise ValueError(f"LCFB needs both contexts on one grid: {tuple(x.shape)} vs {tuple(src.shape)}")
        b, c, h, w = x.shape
        d = c // self.heads
        q = self.q(self.norm_q(x))
        k, v = self.kv(self.norm_kv(src)).chunk(2, 1)
        a = F.adaptive_avg_pool2d(q, self.agents)  # (B, C, a, a) agent tokens pooled from the queries

        def tokens(t: Tensor) -> Tensor:  # (B, C, ...) -> (B, heads, N, d)
            return t.reshape(b, self.heads, d, -1).transpose(-2, -1)

        qt, kt, vt, at = tokens(q), tokens(k), tokens(v), tokens(a)
        b1 = self._bias(self.agent_bias, h, w, q.dtype)  # (heads, n, hw)
        b2 = self._bias(self.query_bias, h, w, q.dtype).transpose(-2, -1)  # (heads, hw, n)
        agent_v = F.scaled_dot_product_attention(at, kt, vt, attn_mask=b1[None])  # (B, heads, n, d)
        out = F.scaled_dot_product_attention(qt, at, agent_v, attn_mask=b2[None])  # (B, heads, hw, d)
        out = out.transpose(-2, -1).reshape(b, c, h, w) + self.dwc(v)
        return self.proj(out)


class ConcatFusion(nn.Module):
    """The fusion LCFB replaces (ablation `lcfb=False`): concatenation and a 1x1 convolution.
    Zero-initialised like LCFB's projection."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.mix = nn.Conv2d(2 * dim, dim, 1)
        nn.init.zeros_(self.mix.weight)
        nn.init.zeros_(self.mix.bias)

    def forward(self, x: Tensor, src: Tensor) -> Tensor:
        return self.mix(torch.cat([x, src], 1))
