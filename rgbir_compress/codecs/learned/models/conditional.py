"""Cross-modal conditional codec (reference design 1: Lu et al., "Learning based Multi-modality
Image and Video Compression", CVPR 2022, as described in a reproduction report of it).

One modality, the *reference*, is coded exactly like the hyperprior baseline
(`VariableRateHyperprior`, so its warm start is the baseline's own weights and its bytes and
PSNR are the baseline's). The other, the *current* modality, is coded with the decoded
reference as context:

    f_ref = E_ref(x_ref_hat)        f_cur = E_cur(x_cur)                 (features, F=64 at 1/2)
    gamma, beta = mean_HW(convs([f_cur, f_ref]))                         (channel alignment)
    ctx = gamma * f_ref + beta                                            (eq. 1; 64 + 64 floats)
    y = g_a([f_cur, ctx])  -> mean-scale hyperprior with gain units (no serial context)
    h = y_hat -> [deconv, IGDN, SAM_j(h, ref_j)] for j = 1..3                (1/8, 1/4, 1/2)
    x_cur_hat = D([h, ctx])                                               (feature decoder)

SAM_j is the spatial alignment module of eqs. (2)-(4): p=2 patch embedding of both maps, two
window cross-attention blocks (M=4, 3 heads, queries from the current modality, keys/values
from the reference decoder's j-th intermediate output at the same scale, relative position
bias, LayerNorm, MLP, residuals; the second block on shifted windows), the inverse embedding,
and (our choice, for a stable start) a residual around the whole module.

gamma and beta travel uncompressed as float32 (Streams.affine_gamma/affine_beta); the decoder
uses the received values, the encoder the same float32 values, training the computed ones.
The current modality's entropy model depends only on its own hyper-latent, so entropy decoding
never depends on floating-point results of the reference branch; those only shape the
reconstruction.

Sizes: each modality is replicate-padded to a multiple of 64 and cropped after decoding. When
the two modalities differ in size, the decoded reference image (cropped to its true size) is
resampled bilinearly (align_corners=False, deterministic) to the current modality's true size
and replicate-padded to its padded grid; each reference decoder feature at scale 1/s is treated
the same way (its valid ceil(h/s) x ceil(w/s) region resampled to the current's). Training
crops have equal sizes, so there this is the identity.

Direction: `reference="rgb"` (RGB helps thermal, the report's choice) or `"ir"` (thermal helps
RGB, the authors' released code's choice); each direction has its own weights.

Ablations: `channel_align=False` uses f_ref itself as context (no coefficients sent);
`spatial_align=False` drops the three SAMs.

Warm start (train/warm_start.py, `init_current_from`): the current modality's coder is laid out so that the
baseline's coder of that modality maps onto it layer for layer (feature extractor = the
baseline's first conv + GDN, the rest of the analysis, the synthesis stages, the last transposed
conv inside the feature decoder, gains and entropy model), and every path that brings in the
reference starts at zero. Training then starts from the baseline's rate-distortion and only has
to learn what the reference adds; a control run (the baseline's coder trained alone for the same
steps, `HyperpriorPair(trainable=...)`) separates that from the effect of training longer.

Architecture size at the defaults (N_ref=64, M_ref=96 = the baseline's widths; N=64, M=96,
F=64, attn_dim=48, 3 heads, 4x4 windows), reference "rgb": 4.19 M parameters, of which 1.77 M are the
reference branch (the baseline's colour coder) and 2.43 M the conditional branch (0.18 M channel
alignment, 0.23 M for the three spatial alignment modules). Multiply-accumulates per pixel
(forward-hook count of convolutions, linear layers and the two attention products at 256x256):
77 k for the conditional branch against 21 k for the reference (baseline) coder, i.e. a pair
costs about 98 kMAC/pixel against 41 k for the hyperprior baseline. Reference "ir": 4.19 M
parameters, 78 k + 20 kMAC/pixel.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as nnf
from compressai.latent_codecs.gain import GainHyperpriorLatentCodec
from compressai.layers import GDN
from compressai.models import CompressionModel
from compressai.models.utils import conv, deconv
from torch import Tensor, nn

from ..loss import rd_loss
from ..attention import PatchEmbed, PatchUnembed, WindowStage
from ..entropy import CheckedGaussianConditionalLatentCodec, ExactGainHyperLatentCodec, SafeEntropyBottleneck
from ..layers import QualityGains, hyper_analysis, hyper_synthesis
from .contract import STRIDE, PairModel, latent_grids, padded
from .hyperprior import VariableRateHyperprior

CHANNELS = {"rgb": 3, "ir": 1}
#: Scales of the three decoder stages that get a spatial alignment module (1/8, 1/4, 1/2).
STAGE_SCALES = (8, 4, 2)


def to_current_grid(t: Tensor, scale: int, src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> Tensor:
    """A reference map at 1/scale onto the current modality's padded grid at 1/scale: the valid
    region is resampled bilinearly to the current's valid size, then replicate-padded."""
    if tuple(src_hw) == tuple(dst_hw):
        return t
    sh, sw = -(-src_hw[0] // scale), -(-src_hw[1] // scale)
    dh, dw = -(-dst_hw[0] // scale), -(-dst_hw[1] // scale)
    gh, gw = padded(dst_hw[0]) // scale, padded(dst_hw[1]) // scale
    t = nnf.interpolate(t[..., :sh, :sw], size=(dh, dw), mode="bilinear", align_corners=False)
    return nnf.pad(t, (0, gw - dw, 0, gh - dh), mode="replicate") if (gh, gw) != (dh, dw) else t


def feature_extractor(in_ch: int, feat: int) -> nn.Sequential:
    """Reference image -> `feat` channels at half resolution."""
    return nn.Sequential(conv(in_ch, feat, 5, 2), nn.LeakyReLU(inplace=True), conv(feat, feat, 3, 1))


def current_feature_extractor(in_ch: int, feat: int) -> nn.Sequential:
    """Current image -> `feat` channels at half resolution: the baseline analysis' first stage
    (conv 5x5/2 + GDN), so it can start from the baseline's weights."""
    return nn.Sequential(conv(in_ch, feat, 5, 2), GDN(feat))


class FeatureDecoder(nn.Module):
    """Half-resolution decoder features and the aligned reference context -> image:
    `out(h + fuse([h, ctx]))`, with `out` the baseline's last transposed convolution. With the
    fusion's last layer at zero this is exactly the baseline's last layer (the warm start)."""

    def __init__(self, N: int, F: int, out_ch: int) -> None:
        super().__init__()
        self.fuse = nn.Sequential(conv(N + F, N, 3, 1), nn.LeakyReLU(inplace=True), conv(N, N, 3, 1))
        self.out = deconv(N, out_ch)

    def forward(self, h: Tensor, ctx: Tensor) -> Tensor:
        return self.out(h + self.fuse(torch.cat([h, ctx], 1)))


class ChannelAlignment(nn.Module):
    """Per-channel affine coefficients from both modalities' features (section 3.2): a few
    convolutions, spatial average pooling -> gamma, beta of `feat` values each per sample.
    Starts near the identity (gamma=1, beta=0)."""

    def __init__(self, feat: int) -> None:
        super().__init__()
        self.feat = feat
        self.body = nn.Sequential(
            conv(2 * feat, feat, 3, 2), nn.LeakyReLU(inplace=True),
            conv(feat, feat, 3, 2), nn.LeakyReLU(inplace=True),
            conv(feat, 2 * feat, 3, 1),
        )
        nn.init.normal_(self.body[-1].weight, std=1e-3)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, f_cur: Tensor, f_ref: Tensor) -> tuple[Tensor, Tensor]:
        a = self.body(torch.cat([f_cur, f_ref], 1)).mean((2, 3))
        return 1 + a[:, : self.feat], a[:, self.feat :]


def apply_affine(f_ref: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
    """Eq. (1): aligned = gamma x f_ref + beta, channel-wise."""
    return gamma.to(f_ref.dtype)[:, :, None, None] * f_ref + beta.to(f_ref.dtype)[:, :, None, None]


class SpatialAlignment(nn.Module):
    """Section 3.3, eqs. (2)-(4): patch embedding (p=2) of the current and the reference
    decoder features, window cross-attention blocks (plain, then shifted), inverse embedding."""

    def __init__(self, ch: int, ref_ch: int, dim: int, heads: int, window: int, depth: int = 2,
                 mlp_ratio: float = 2.0, patch: int = 2) -> None:
        super().__init__()
        self.embed = PatchEmbed(ch, dim, patch)
        self.embed_ref = PatchEmbed(ref_ch, dim, patch)
        self.blocks = WindowStage(dim, heads, window, depth, mlp_ratio, cross=True)
        self.unembed = PatchUnembed(dim, ch, patch)

    def forward(self, h: Tensor, ref: Tensor) -> Tensor:
        return h + self.unembed(self.blocks(self.embed(h), self.embed_ref(ref)))


class ConditionalCoder(CompressionModel):
    """The current modality, coded with the decoded reference (image and decoder features)."""

    def __init__(self, in_ch: int, ref_in_ch: int, ref_N: int, N: int = 64, M: int = 96, F: int = 64,
                 attn_dim: int = 48, heads: int = 3, window: int = 4, mlp_ratio: float = 2.0,
                 levels: int = 6, channel_align: bool = True, spatial_align: bool = True) -> None:
        super().__init__()
        self.F = F
        self.feat_cur = current_feature_extractor(in_ch, F)
        self.feat_ref = feature_extractor(ref_in_ch, F)
        self.align = ChannelAlignment(F) if channel_align else None
        self.g_a = nn.Sequential(conv(2 * F, N), GDN(N), conv(N, N), GDN(N), conv(N, M))
        self.g_s = nn.ModuleList([
            nn.Sequential(deconv(M, N), GDN(N, inverse=True)),
            nn.Sequential(deconv(N, N), GDN(N, inverse=True)),
            nn.Sequential(deconv(N, N), GDN(N, inverse=True)),
        ])
        self.sam = nn.ModuleList(
            SpatialAlignment(N, ref_N, attn_dim, heads, window, 2, mlp_ratio) for _ in STAGE_SCALES
        ) if spatial_align else None
        self.feature_decoder = FeatureDecoder(N, F, in_ch)
        self.gains = QualityGains(levels, M, N)
        self.latent_codec = GainHyperpriorLatentCodec(
            latent_codec={
                "y": CheckedGaussianConditionalLatentCodec(quantizer="ste"),
                "hyper": ExactGainHyperLatentCodec(SafeEntropyBottleneck(N), hyper_analysis(N, M),
                                                   hyper_synthesis(N, M)),
            }
        )

    # -- the pieces both sides share --------------------------------------------------------------
    def context(self, ref_img: Tensor, f_cur: Tensor | None = None, gamma: Tensor | None = None,
                beta: Tensor | None = None) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Aligned reference features; the encoder computes gamma/beta from f_cur, the decoder
        passes the received ones."""
        f_ref = self.feat_ref(ref_img)
        if self.align is None:
            return f_ref, None, None
        if gamma is None or beta is None:
            if f_cur is None:
                raise ValueError("channel alignment needs the current features or received gamma/beta")
            gamma, beta = self.align(f_cur, f_ref)
        return apply_affine(f_ref, gamma, beta), gamma, beta

    def analysis(self, x: Tensor, ref_img: Tensor) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        f_cur = self.feat_cur(x)
        ctx, gamma, beta = self.context(ref_img, f_cur)
        return self.g_a(torch.cat([f_cur, ctx], 1)), ctx, gamma, beta

    def synthesis(self, y_hat: Tensor, ctx: Tensor, ref_feats: list[Tensor]) -> Tensor:
        h = y_hat
        for j, stage in enumerate(self.g_s):
            h = stage(h)
            if self.sam is not None:
                h = self.sam[j](h, ref_feats[j])
        return self.feature_decoder(h, ctx)

    # -- training, encoding, decoding ---------------------------------------------------------------
    def forward(self, x: Tensor, ref_img: Tensor, ref_feats: list[Tensor], quality: Tensor | float) -> dict:
        y, ctx, gamma, beta = self.analysis(x, ref_img)
        out = self.latent_codec(y, *self.gains.at(quality, x.shape[0], y))
        return {"x_hat": self.synthesis(out["y_hat"], ctx, ref_feats), "likelihoods": out["likelihoods"],
                "gamma": gamma, "beta": beta}

    def compress(self, x: Tensor, ref_img: Tensor, quality: float) -> dict:
        y, _, gamma, beta = self.analysis(x, ref_img)
        out = self.latent_codec.compress(y, *self.gains.at(quality, x.shape[0], y, exact=True))
        return {"strings": out["strings"], "gamma": gamma, "beta": beta}

    def decompress(self, strings: list, shape: dict, ref_img: Tensor, ref_feats: list[Tensor],
                   gamma: Tensor | None, beta: Tensor | None, quality: float) -> Tensor:
        ref = next(self.parameters())
        _, _, yg_inv, zg_inv = self.gains.at(quality, len(strings[0]), ref, exact=True)
        y_hat = self.latent_codec.decompress(strings, shape, yg_inv, zg_inv)["y_hat"]
        ctx, _, _ = self.context(ref_img, gamma=gamma, beta=beta)
        return self.synthesis(y_hat, ctx, ref_feats).clamp_(0, 1)


class ConditionalPair(PairModel, nn.Module):
    """Trainable pair module: rgb (B,3,H,W), ir (B,1,H,W) in [0, 1], quality (B,) in [0, 1].

    The layout lets a training run start both branches from the hyperprior baseline
    (`init_reference_from` / `init_current_from` in the training config, train/warm_start.py).
    freeze_reference: train only the conditional branch (the report's recipe); the reference
    branch then runs in eval mode, i.e. with rounding exactly as when coding.
    """

    arch = "conditional"
    stride = STRIDE
    stream_parts = 2  # z, y of each modality, as the baseline's

    def __init__(self, reference: str = "rgb", N_ref: int = 64, M_ref: int = 96, N: int = 64, M: int = 96,
                 F: int = 64, attn_dim: int = 48, heads: int = 3, window: int = 4, mlp_ratio: float = 2.0,
                 levels: int = 6, channel_align: bool = True, spatial_align: bool = True,
                 freeze_reference: bool = False) -> None:
        super().__init__()
        if reference not in CHANNELS:
            raise ValueError(f"reference must be 'rgb' or 'ir', got {reference!r}")
        self.reference = reference
        self.current = "ir" if reference == "rgb" else "rgb"
        self.freeze_reference = bool(freeze_reference)
        self.config = {"reference": reference, "N_ref": N_ref, "M_ref": M_ref, "N": N, "M": M, "F": F,
                       "attn_dim": attn_dim, "heads": heads, "window": window, "mlp_ratio": mlp_ratio,
                       "levels": levels, "channel_align": bool(channel_align),
                       "spatial_align": bool(spatial_align), "freeze_reference": self.freeze_reference}
        self.ref = VariableRateHyperprior(CHANNELS[reference], N_ref, M_ref, levels)
        self.cur = ConditionalCoder(CHANNELS[self.current], CHANNELS[reference], N_ref, N, M, F, attn_dim,
                                    heads, window, mlp_ratio, levels, channel_align, spatial_align)
        if self.freeze_reference:
            self.ref.requires_grad_(False)

    @property
    def channel_align(self) -> bool:
        return self.cur.align is not None

    @property
    def affine_size(self) -> int:
        """Floats sent per coefficient vector (0 without channel alignment)."""
        return self.cur.F if self.channel_align else 0

    def train(self, mode: bool = True) -> "ConditionalPair":
        super().train(mode)
        if self.freeze_reference:
            self.ref.eval()
        return self

    # -- reference branch: the baseline's coder, exposing its decoder's intermediate maps -----------
    def _ref_synthesis(self, y_hat: Tensor) -> tuple[Tensor, list[Tensor]]:
        h, feats = y_hat, []
        for layer in self.ref.g_s:
            h = layer(h)
            if isinstance(layer, GDN):
                feats.append(h)
        return h, feats[: len(STAGE_SCALES)]

    def _ref_forward(self, x: Tensor, quality: Tensor) -> dict:
        y = self.ref.g_a(x)
        out = self.ref.latent_codec(y, *self.ref.gains.at(quality, x.shape[0], y))
        x_hat, feats = self._ref_synthesis(out["y_hat"])
        return {"x_hat": x_hat, "likelihoods": out["likelihoods"], "feats": feats}

    def _ref_for_current(self, x_hat: Tensor, feats: list[Tensor], ref_hw, cur_hw):
        img = to_current_grid(x_hat.clamp(0, 1), 1, ref_hw, cur_hw)
        return img, [to_current_grid(f, s, ref_hw, cur_hw) for f, s in zip(feats, STAGE_SCALES)]

    def split(self, rgb, ir):
        """(reference, current) of a pair given as (rgb, ir)."""
        return (rgb, ir) if self.reference == "rgb" else (ir, rgb)

    # -- training ---------------------------------------------------------------------------------
    def forward(self, rgb: Tensor, ir: Tensor, quality: Tensor) -> dict[str, Tensor]:
        """The training loss (DDP hooks forward, so the loss is computed here). The affine
        coefficients' fixed 2*F*32 bits do not depend on the weights; they are reported as
        bpp_affine and left out of the loss and of bpp_<current>."""
        x_ref, x_cur = self.split(rgb, ir)
        with torch.no_grad() if self.freeze_reference else nullcontext():
            ref = self._ref_forward(x_ref, quality)
        ref_img, feats = self._ref_for_current(ref["x_hat"], ref["feats"], x_ref.shape[-2:], x_cur.shape[-2:])
        cur = self.cur(x_cur, ref_img, feats, quality)
        r = rd_loss(x_ref, ref, quality)
        c = rd_loss(x_cur, cur, quality)
        loss = c["loss"] if self.freeze_reference else c["loss"] + r["loss"]
        n, _, h, w = x_cur.shape
        return {
            "loss": loss,
            f"bpp_{self.reference}": r["bpp"], f"psnr_{self.reference}": r["psnr"],
            f"bpp_{self.current}": c["bpp"], f"psnr_{self.current}": c["psnr"],
            "bpp_affine": x_cur.new_tensor(2 * self.affine_size * 32 / (h * w)),
        }

    def aux_loss(self) -> Tensor:
        aux = self.cur.aux_loss()
        return aux if self.freeze_reference else aux + self.ref.aux_loss()

    def update(self, force: bool = True) -> None:
        """Build the entropy coder's CDF tables (before compress/decompress or shipping)."""
        self.ref.update(force=force)
        self.cur.update(force=force)

    # -- the pair-model contract (contract.py): the reference is coded first -------------------------
    def compress(self, x_rgb: Tensor, x_ir: Tensor, rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                 quality: float) -> dict:
        """The current modality is conditioned on the reference exactly as the decoder will
        reconstruct it (y_hat from the entropy coder, not the encoder's y)."""
        (x_ref, x_cur), (ref_hw, cur_hw) = self.split(x_rgb, x_ir), self.split(rgb_hw, ir_hw)
        out = self.ref.compress(x_ref, quality)  # the baseline coder's own encoder
        x_hat, _ = self._ref_synthesis(out["y_hat"])
        ref_img, _ = self._ref_for_current(x_hat, [], ref_hw, cur_hw)
        cur = self.cur.compress(x_cur, ref_img, quality)
        (y_ref, z_ref), (y_cur, z_cur) = out["strings"], cur["strings"]
        rgb, ir = self.split([z_ref, y_ref], [z_cur, y_cur])  # split is its own inverse
        return {"strings": {"rgb": rgb, "ir": ir},
                "affine": None if cur["gamma"] is None else (cur["gamma"], cur["beta"])}

    def decompress(self, strings: dict[str, list], rgb_hw: tuple[int, int], ir_hw: tuple[int, int],
                   quality: float, affine: tuple[Tensor, Tensor] | None = None) -> dict[str, Tensor]:
        (z_ref, y_ref), (z_cur, y_cur) = self.split(strings["rgb"], strings["ir"])
        ref_hw, cur_hw = self.split(rgb_hw, ir_hw)
        gamma, beta = affine or (None, None)
        ref = next(self.parameters())
        _, _, yg_inv, zg_inv = self.ref.gains.at(quality, len(y_ref), ref, exact=True)
        y_hat = self.ref.latent_codec.decompress([y_ref, z_ref], latent_grids(ref_hw), yg_inv, zg_inv)["y_hat"]
        x_hat, feats = self._ref_synthesis(y_hat)
        ref_img, feats = self._ref_for_current(x_hat, feats, ref_hw, cur_hw)
        cur = self.cur.decompress([y_cur, z_cur], latent_grids(cur_hw), ref_img, feats, gamma, beta, quality)
        rgb, ir = self.split(x_hat.clamp_(0, 1), cur)
        return {"rgb": rgb, "ir": ir}
