"""Joint RGB-thermal codec with a channel-wise cross-modality entropy model (reference design 2:
"End-to-End RGB-IR Joint Image Compression With Channel-wise Cross-modality Entropy Model"),
sized for two CPU cores.

    colour RGB -> YUV 4:2:0 (BT.601 full range, centred chroma; rgbir_compress/yuv.py)
    Y (H x W)      -- conv5x5/2 --+
    U, V (H/2)     -- conv3x3, one group per plane --+-- concat (H/2) -- trunk -> y_rgb (M, H/16)
    thermal (H x W) -- conv5x5/2 ------------------------------------- trunk -> y_ir (M_ir, H/16)
    trunk: GDN, residual block /2, residual block, residual block /2, Swin stage (window
           self-attention, shifted, at H/8), conv3x3/2
    y_rgb += gate * (CrossAttn(y_rgb, P(y_ir)) - y_rgb) and the same the other way round
           (window cross-attention on the latents, encoder side only; gates start at 0)
    CCEM (channel_context.py): per-modality gain hyperprior, S slices, LCEB, LCFB
    decoders (one per modality, each reads only its own latent): subpel /2, Swin stage,
           residual block x2 up, residual block, deconv x2 + IGDN, then Y deconv x2 and
           U, V conv3x3 at H/2 (colour) or deconv x2 (thermal).
The design fuses Y, U and V only after a full encoder per plane; here the planes meet at H/2
after their own stems, which keeps a third of the encoder cost.

Different sizes per modality: each image is coded at its native size (replicate-padded to a
multiple of 64), so no pixels are invented and bits are spent on the thermal's own resolution.
Wherever one modality's latent-grid map meets the other's (encoder cross-attention, LCFB), the
source map is resampled bilinearly onto the target's latent grid by image geometry (both images
are assumed to show the same registered field of view): target latent cell i has its centre at
(i + 1/2) / h_t of the target image, sampled from the source at the same fraction.
`grid_sample` with fixed coordinates is deterministic, so encoder and decoder agree. Equal sizes
(all training crops) make this the identity.

Loss (design eq. 4): lambda * 255^2 * (MSE_yuv420 + MSE_ir) + bpp_rgb + bpp_ir, where MSE_yuv420
is the mean over all 4:2:0 samples ((4 MSE_Y + MSE_U + MSE_V) / 6). RGB PSNR is reported too.
`lambda_scale` (training only) multiplies the baseline's lambda range (../loss.py): the 4:2:0 MSE
is smaller than an RGB MSE of the same picture (smooth chroma), so at the baseline's lambdas this
codec settles at lower rates than the baseline; the value the shipped weights were trained at is in
docs/model_joint.md.

Two-stage schedule (design III-A): `set_stage("y")` trains the colour branch alone (YUV in,
its hyperprior, slices and LCEB; thermal, cross-attention and LCFB frozen and not run; zeros in
the colour slices' cross-modal slot); `set_stage("joint")` trains everything, warm-started from
stage one. Zero-initialised gates and fusion projections make stage two start exactly where
stage one ended.

Ablations: `lceb` (False: the slice context is two convolutions only), `lcfb` (False: fusion by
concatenation), `direction` ("ir_to_rgb" thermal context for colour, "rgb_to_ir", "none").
Architecture size at the defaults (multiply-accumulates counted with torch FlopCounterMode on
a pair forward, `test_default_size`): 4.57 M parameters (colour transforms 1.18 M, thermal
0.65 M, latent exchange 0.12 M, CCEM 2.62 M of which the two hyperpriors 1.50 M) and 63.5 kMAC
per pixel (colour 35.9, thermal 20.2, CCEM 6.8), against 3.53 M and 46.4 kMAC per pixel for the
hyperprior baseline (N64/M96).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from compressai.layers import GDN, ResidualBlock, ResidualBlockUpsample, ResidualBlockWithStride, subpel_conv3x3
from compressai.models import CompressionModel
from compressai.models.utils import conv, deconv
from torch import Tensor, nn

from ..loss import bpp_per_sample, lambda_of
from ....yuv import rgb_to_yuv420_torch, yuv420_to_rgb_torch
from ..attention import WindowStage
from ..channel_context import DIRECTIONS, CrossModalEntropyModel
from ..layers import QualityGains
from .contract import LATENT_STRIDE, STRIDE, PairModel, latent_grids

STAGES = ("y", "joint")


def resample_latent(t: Tensor, src_hw: tuple[int, int], dst_hw: tuple[int, int],
                    dst_grid: tuple[int, int]) -> Tensor:
    """Map a latent-grid map of an image of native size src_hw onto the latent grid `dst_grid`
    of an image of native size dst_hw covering the same field of view (bilinear, border)."""
    if tuple(src_hw) == tuple(dst_hw) and tuple(t.shape[-2:]) == tuple(dst_grid):
        return t
    axes = []
    for i in (1, 0):  # grid_sample wants (x, y)
        n_dst, n_src = dst_grid[i], t.shape[-2 + i]
        frac = (torch.arange(n_dst, device=t.device, dtype=torch.float64) + 0.5) * LATENT_STRIDE / dst_hw[i]
        axes.append((2 * frac * src_hw[i] / (LATENT_STRIDE * n_src) - 1).to(t.dtype))
    gx, gy = axes
    grid = torch.stack(torch.broadcast_tensors(gx[None, :], gy[:, None]), -1)[None].expand(t.shape[0], -1, -1, -1)
    return F.grid_sample(t, grid, mode="bilinear", padding_mode="border", align_corners=False)


def analysis_trunk(N: int, M: int, heads: int, window: int, depth: int) -> nn.Sequential:
    """H/2 features -> H/16 latent."""
    return nn.Sequential(
        GDN(N), ResidualBlockWithStride(N, N, 2), ResidualBlock(N, N), ResidualBlockWithStride(N, N, 2),
        WindowStage(N, heads, window, depth), conv(N, M, kernel_size=3, stride=2),
    )


def synthesis_trunk(M: int, N: int, heads: int, window: int, depth: int) -> nn.Sequential:
    """H/16 latent -> H/2 features."""
    return nn.Sequential(
        subpel_conv3x3(M, N, 2), WindowStage(N, heads, window, depth), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), deconv(N, N), GDN(N, inverse=True),
    )


class ColourAnalysis(nn.Module):
    """Y at full resolution and U, V at half meet at H/2: Y through a stride-2 stem, U and V
    through a stride-1 stem with one group per plane; their features are concatenated."""

    def __init__(self, N: int, M: int, heads: int, window: int, depth: int) -> None:
        super().__init__()
        uv = max(2, N // 8 * 2)  # even: one half per chroma plane
        self.y_stem = conv(1, N - uv, kernel_size=5, stride=2)
        self.uv_stem = nn.Conv2d(2, uv, 3, padding=1, groups=2)
        self.trunk = analysis_trunk(N, M, heads, window, depth)

    def forward(self, y: Tensor, uv: Tensor) -> Tensor:
        return self.trunk(torch.cat([self.y_stem(y), self.uv_stem(uv)], 1))


class ColourSynthesis(nn.Module):
    """Latent -> Y (full resolution) and U, V (half)."""

    def __init__(self, N: int, M: int, heads: int, window: int, depth: int) -> None:
        super().__init__()
        self.trunk = synthesis_trunk(M, N, heads, window, depth)
        self.y_head = deconv(N, 1)
        self.uv_head = nn.Conv2d(N, 2, 3, padding=1)

    def forward(self, y_hat: Tensor) -> tuple[Tensor, Tensor]:
        f = self.trunk(y_hat)
        return self.y_head(f), self.uv_head(f)


class LatentExchange(nn.Module):
    """Window cross-attention from one modality's latent to the other's (projected to its width),
    behind a per-channel gate that starts at zero."""

    def __init__(self, dim: int, other: int, heads: int, window: int, depth: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(other, dim, 1)
        self.attn = WindowStage(dim, heads, window, depth, cross=True)
        self.gate = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, y: Tensor, other: Tensor) -> Tensor:
        return y + self.gate * (self.attn(y, self.proj(other)) - y)


class JointPair(PairModel, CompressionModel):
    """rgb (B, 3, H, W), ir (B, 1, H', W') in [0, 1], sizes multiples of 64; quality (B,) in [0, 1]."""

    arch = "joint"
    stride = STRIDE

    def __init__(self, N: int = 64, M: int = 96, N_ir: int = 48, M_ir: int = 64, slices: int = 4,
                 ctx: int = 64, heads: int = 4, window: int = 8, swin_depth: int = 2, cross_depth: int = 1,
                 ctx_heads: int = 2, agents: int = 4, lceb: bool = True, lcfb: bool = True,
                 direction: str = "ir_to_rgb", levels: int = 6, lambda_scale: float = 1.0,
                 cross: str = "previous") -> None:
        super().__init__()
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
        self.config = {"N": N, "M": M, "N_ir": N_ir, "M_ir": M_ir, "slices": slices, "ctx": ctx, "heads": heads,
                       "window": window, "swin_depth": swin_depth, "cross_depth": cross_depth,
                       "ctx_heads": ctx_heads, "agents": agents, "lceb": lceb, "lcfb": lcfb,
                       "direction": direction, "levels": levels, "lambda_scale": lambda_scale, "cross": cross}
        self.lambda_scale = lambda_scale  # training only: lambda(q) = lambda_scale * lambda_of(q)
        self.g_a_rgb = ColourAnalysis(N, M, heads, window, swin_depth)
        self.g_s_rgb = ColourSynthesis(N, M, heads, window, swin_depth)
        self.g_a_ir = nn.Sequential(conv(1, N_ir, kernel_size=5, stride=2),
                                    analysis_trunk(N_ir, M_ir, heads, window, swin_depth))
        self.g_s_ir = nn.Sequential(synthesis_trunk(M_ir, N_ir, heads, window, swin_depth), deconv(N_ir, 1))
        self.exchange = nn.ModuleDict({
            "rgb": LatentExchange(M, M_ir, heads, window, cross_depth),
            "ir": LatentExchange(M_ir, M, heads, window, cross_depth),
        })
        self.gains = nn.ModuleDict({"rgb": QualityGains(levels, M, N), "ir": QualityGains(levels, M_ir, N_ir)})
        self.entropy = CrossModalEntropyModel(M, N, M_ir, N_ir, slices, ctx, lceb, lcfb, direction,
                                              ctx_heads, agents, cross)
        self.stage = "joint"

    # -- training stages ------------------------------------------------------------------
    def thermal_and_cross_modules(self) -> list[nn.Module]:
        """What stage one neither runs nor trains."""
        mods: list[nn.Module] = [self.g_a_ir, self.g_s_ir, self.exchange, self.gains["ir"], self.entropy.codecs["ir"]]
        rgb = self.entropy.codecs["rgb"]
        cross = [rgb.side_query, rgb.fusion0, rgb.cross_contexts] if rgb.inclusive else []
        return mods + ([rgb.fusions] if rgb.fusions is not None else []) + cross

    def set_stage(self, stage: str) -> None:
        """'y': the colour branch alone (design stage one); 'joint': everything (stage two)."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
        self.stage = stage
        for p in self.parameters():
            p.requires_grad_(True)
        if stage == "y":
            for mod in self.thermal_and_cross_modules():
                for p in mod.parameters():
                    p.requires_grad_(False)

    # -- shared pieces ----------------------------------------------------------------------
    def _gains(self, m: str, quality: Tensor | float, batch: int, like: Tensor):
        q = torch.as_tensor(quality, dtype=like.dtype, device=like.device).reshape(-1)
        if q.numel() == 1:
            q = q.expand(batch)
        return self.gains[m](q)

    @staticmethod
    def _aligners(rgb_hw, ir_hw, grids: dict[str, tuple[int, int]]):
        """Source -> target latent-grid maps in both directions."""
        return {
            "rgb": lambda t: resample_latent(t, ir_hw, rgb_hw, grids["rgb"]),  # thermal map onto the colour grid
            "ir": lambda t: resample_latent(t, rgb_hw, ir_hw, grids["ir"]),  # colour map onto the thermal grid
        }

    def _analyse(self, rgb: Tensor, ir: Tensor | None, rgb_hw, ir_hw) -> dict[str, Tensor]:
        for name, x in (("colour", rgb), ("thermal", ir)):
            if x is not None and (x.shape[-2] % STRIDE or x.shape[-1] % STRIDE):
                raise ValueError(f"{name} input {tuple(x.shape[-2:])} must be padded to a multiple of {STRIDE}")
        y = {"rgb": self.g_a_rgb(*rgb_to_yuv420_torch(rgb))}
        if ir is None:
            return y
        y["ir"] = self.g_a_ir(ir)
        to = self._aligners(rgb_hw, ir_hw, {m: tuple(y[m].shape[-2:]) for m in y})
        return {"rgb": self.exchange["rgb"](y["rgb"], to["rgb"](y["ir"])),
                "ir": self.exchange["ir"](y["ir"], to["ir"](y["rgb"]))}

    def _entropy_align(self, rgb_hw, ir_hw, grids):
        target = self.entropy.target
        return None if target is None else self._aligners(rgb_hw, ir_hw, grids)[target]

    # -- training ---------------------------------------------------------------------------
    def forward(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        """The training loss and its terms (DDP hooks forward, so the loss is computed here)."""
        joint = self.stage == "joint"
        rgb_hw, ir_hw = tuple(rgb.shape[-2:]), tuple(ir.shape[-2:])
        y = self._analyse(rgb, ir if joint else None, rgb_hw, ir_hw)
        gains = {m: self._gains(m, quality, rgb.shape[0], y[m]) for m in y}
        out = self.entropy(y, gains, self._entropy_align(rgb_hw, ir_hw, {m: tuple(y[m].shape[-2:]) for m in y}))
        lam = self.lambda_scale * lambda_of(quality) * 255**2

        y_ref, uv_ref = rgb_to_yuv420_torch(rgb)
        y_rec, uv_rec = self.g_s_rgb(out["y_hat"]["rgb"])
        sq_y = (y_rec - y_ref).pow(2).flatten(1).sum(1)
        sq_uv = (uv_rec - uv_ref).pow(2).flatten(1).sum(1)
        mse_yuv = (sq_y + sq_uv) / (y_ref[0].numel() + uv_ref[0].numel())
        bpp_rgb = bpp_per_sample(out["likelihoods"]["rgb"], rgb_hw[0] * rgb_hw[1])
        loss = lam * mse_yuv + bpp_rgb
        with torch.no_grad():
            rgb_rec = yuv420_to_rgb_torch(y_rec, uv_rec).clamp(0, 1)
            mse_rgb = (rgb_rec - rgb).pow(2).flatten(1).mean(1)
        terms = {"bpp_rgb": bpp_rgb.mean(), "psnr_yuv": psnr(mse_yuv), "psnr_rgb": psnr(mse_rgb)}
        if joint:
            ir_rec = self.g_s_ir(out["y_hat"]["ir"])
            mse_ir = (ir_rec - ir).pow(2).flatten(1).mean(1)
            bpp_ir = bpp_per_sample(out["likelihoods"]["ir"], ir_hw[0] * ir_hw[1])
            loss = loss + lam * mse_ir + bpp_ir
            terms.update(bpp_ir=bpp_ir.mean(), psnr_ir=psnr(mse_ir))
        return {"loss": loss.mean(), **terms}

    # -- the pair-model contract (contract.py) --------------------------------------------
    @property
    def stream_parts(self) -> int:
        return 1 + self.entropy.slices  # z, then the slices

    def compress(self, x_rgb: Tensor, x_ir: Tensor, rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                 quality: float) -> dict:
        """Strings {m: [z, slice 0..S-1]}, no affine; also "y_hat": {m: ...} (tests)."""
        y = self._analyse(x_rgb, x_ir, rgb_hw, ir_hw)
        gains = {m: self._gains(m, quality, x_rgb.shape[0], y[m]) for m in y}
        out = self.entropy.compress(y, gains,
                                    self._entropy_align(rgb_hw, ir_hw, {m: tuple(y[m].shape[-2:]) for m in y}))
        return {**out, "affine": None}

    def decompress_latents(self, strings: dict[str, list], rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                           quality: float) -> dict[str, Tensor]:
        shapes = {"rgb": latent_grids(rgb_hw), "ir": latent_grids(ir_hw)}
        ref = next(self.parameters())
        n = len(strings["rgb"][0])
        gains_inv = {}
        for m in ("rgb", "ir"):
            _, _, yg_inv, zg_inv = self._gains(m, quality, n, ref)
            gains_inv[m] = (yg_inv, zg_inv)
        align = self._entropy_align(rgb_hw, ir_hw, {m: shapes[m]["y"] for m in shapes})
        return self.entropy.decompress(strings, shapes, gains_inv, align)

    def decompress(self, strings: dict[str, list], rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                   quality: float, affine=None) -> dict[str, Tensor]:
        y_hat = self.decompress_latents(strings, rgb_hw, ir_hw, quality)
        rgb = yuv420_to_rgb_torch(*self.g_s_rgb(y_hat["rgb"])).clamp_(0, 1)
        return {"rgb": rgb, "ir": self.g_s_ir(y_hat["ir"]).clamp_(0, 1)}

    def update(self, scale_table=None, force: bool = True, update_quantiles: bool = False) -> bool:
        """Build the entropy coder's tables (before compress/decompress or shipping)."""
        return super().update(scale_table=scale_table, force=force, update_quantiles=update_quantiles)


def psnr(mse: Tensor) -> Tensor:
    return (10 * torch.log10(1.0 / mse.detach().clamp_min(1e-10))).mean()
