"""Channel-wise Cross-modality Entropy Model (CCEM): each modality's latent in S channel slices,
coded with a gain-controlled hyperprior and the slices before it, and one modality's slices
also with the other modality's slice context.

Per modality m (colour "rgb", thermal "ir") and slice k = 0 .. S-1 (gained latent y_m * g_m):
    side_m  = h_s(z_hat_m)                                   hyperprior (own z, own bitstream)
    ctx_m,k = LCEB(conv(cat(y_hat_m,0 .. y_hat_m,k-1)))       k >= 1 (conv only when lceb=False)
    crs_k   = LCFB(ctx_t,k, align(ctx_s,k))                  target modality t only, k >= 1
    (mu, sigma)_m,k = EP_m,k(cat(side_m, ctx_m,k[, crs_k]))   slice 0: EP_m,0(side_m)
The *source* s of the cross-modal context is the thermal for direction "ir_to_rgb" (the
design's choice) and the colour for "rgb_to_ir"; "none" has no cross-modal context.

`cross` says which source slices the target's slice k sees:
    "previous"   crs_k = LCFB(ctx_t,k, align(ctx_s,k)), k >= 1: the source's own context of its
                 slices < k (the first shipped design). Slice 0 of the target, which carries the
                 largest share of its bits (docs/model_joint.md), gets no cross-modal context.
    "inclusive"  crs_k = LCFB(q_t,k, align(X_k(y_hat_s,0 .. y_hat_s,k))), every k: a context net of
                 the target's own over the source's slices up to and including k, so the target's
                 slice 0 sees the source's slice 0. q_t,0 is a projection of the target's hyperprior
                 side information, q_t,k = ctx_t,k for k >= 1.

Exact dependency order, so that both modalities decode in parallel and the thermal never waits
for the colour: slice k of either modality depends on its own hyperprior and on slices 0 .. k-1
of *both* modalities, never on slice k or later of the other. ctx_s,k is exactly the context the
source computes for its own slice k (from its slices < k), so the cross-modal term costs one
fusion per slice. Schedule: z_rgb || z_ir, then for k = 0 .. S-1: slice k of rgb || slice k of
ir, then g_s(rgb) || g_s(ir). With cross="inclusive" the target's slice k waits for the source's
slice k instead (a pipeline one slice deep; the source still never waits for the target). (Here the two lanes run one after the other in one process; no
lane ever reads the other's pixels or synthesis features.)

What CompressAI provides and is used: `EntropyBottleneck`, `GainHyperLatentCodec` (z with gain
units), `GaussianConditionalLatentCodec` (one per slice: entropy parameters, Gaussian
conditional, STE quantiser, rANS strings). `ChannelGroupsLatentCodec` is not used: its context
function sees only its own modality's slices, and the slice loop here must interleave two
modalities and share the source's per-slice context. Written by hand: that loop, the slice
context nets and the fusion slot.
"""
from __future__ import annotations

from typing import Callable

import torch
from compressai.latent_codecs.gain import GainHyperLatentCodec
from torch import Tensor, nn

from .context_blocks import LCEB, LCFB, ConcatFusion
from .entropy import CheckedGaussianConditionalLatentCodec, SafeEntropyBottleneck
from .layers import hyper_analysis, hyper_synthesis

MODALITIES = ("rgb", "ir")
CROSS = ("previous", "inclusive")
DIRECTIONS = {"ir_to_rgb": ("ir", "rgb"), "rgb_to_ir": ("rgb", "ir"), "none": None}  # (source, target)
#: (y_gain, z_gain, y_gain_inv, z_gain_inv), each (B, C, 1, 1)
Gains = tuple[Tensor, Tensor, Tensor, Tensor]
Align = Callable[[Tensor], Tensor]


def slice_sizes(channels: int, slices: int) -> list[int]:
    """Near-equal split, the remainder going to the first slices."""
    if not 1 <= slices <= channels:
        raise ValueError(f"cannot split {channels} latent channels into {slices} slices")
    base, extra = divmod(channels, slices)
    return [base + (k < extra) for k in range(slices)]


def entropy_parameters(in_ch: int, out_ch: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, hidden, 1), nn.GELU(), nn.Conv2d(hidden, hidden, 1), nn.GELU(), nn.Conv2d(hidden, out_ch, 1)
    )


class SliceContext(nn.Sequential):
    """Previous slices -> a `ctx`-wide context: two 3x3 convolutions (local), then LCEB (global)."""

    def __init__(self, in_ch: int, ctx: int, lceb: bool, heads: int) -> None:
        layers: list[nn.Module] = [nn.Conv2d(in_ch, ctx, 3, padding=1), nn.GELU(), nn.Conv2d(ctx, ctx, 3, padding=1)]
        if lceb:
            layers.append(LCEB(ctx, heads))
        super().__init__(*layers)


def make_fusion(kind: str, ctx: int, heads: int, agents: int) -> nn.Module:
    return LCFB(ctx, heads, agents) if kind == "lcfb" else ConcatFusion(ctx)


class ModalityChannelCodec(nn.Module):
    """One modality's hyperprior and slices; `fusion` ("lcfb", "concat" or "none") adds the
    cross-modal slot of a target modality, fed as `cross` says (module docstring) from a source
    of `src_M` latent channels."""

    def __init__(self, M: int, N: int, slices: int, ctx: int, lceb: bool, fusion: str,
                 heads: int, agents: int, cross: str = "previous", src_M: int = 0) -> None:
        super().__init__()
        if cross not in CROSS:
            raise ValueError(f"cross must be one of {CROSS}, got {cross!r}")
        self.sizes = slice_sizes(M, slices)
        self.fusion = fusion
        self.inclusive = cross == "inclusive" and fusion != "none"
        self.hyper = GainHyperLatentCodec(SafeEntropyBottleneck(N), hyper_analysis(N, M), hyper_synthesis(N, M))
        self.contexts = nn.ModuleList(
            SliceContext(sum(self.sizes[:k]), ctx, lceb, heads) for k in range(1, slices)
        )
        if fusion in ("lcfb", "concat"):
            self.fusions = nn.ModuleList(make_fusion(fusion, ctx, heads, agents) for _ in range(1, slices))
        elif fusion == "none":
            self.fusions = None
        else:
            raise ValueError(f"fusion must be 'lcfb', 'concat' or 'none', got {fusion!r}")
        side = 2 * M
        if self.inclusive:  # slice 0's query, its fusion, and one source context net per slice
            src_sizes = slice_sizes(src_M, slices)
            self.side_query = nn.Conv2d(side, ctx, 1)
            self.fusion0 = make_fusion(fusion, ctx, heads, agents)
            self.cross_contexts = nn.ModuleList(
                SliceContext(sum(src_sizes[: k + 1]), ctx, lceb, heads) for k in range(slices))
        hidden = max(2 * ctx, 4 * max(self.sizes))
        self.slices = nn.ModuleList()
        for k, size in enumerate(self.sizes):
            in_ch = side if k == 0 else side + ctx * (2 if self.fusions is not None else 1)
            in_ch += ctx if (k == 0 and self.inclusive) else 0
            self.slices.append(CheckedGaussianConditionalLatentCodec(
                entropy_parameters=entropy_parameters(in_ch, 2 * size, hidden), quantizer="ste"))

    def context(self, k: int, hats: list[Tensor]) -> Tensor | None:
        """Context of slice k from this modality's decoded slices 0 .. k-1 (None for k = 0)."""
        return None if k == 0 else self.contexts[k - 1](torch.cat(hats[:k], 1))

    def cross_context(self, k: int, src_hats: list[Tensor]) -> Tensor:
        """("inclusive") the target's context of the source's decoded slices 0 .. k."""
        return self.cross_contexts[k](torch.cat(src_hats[: k + 1], 1))

    def params(self, k: int, side: Tensor, ctx: Tensor | None, src_ctx: Tensor | None) -> Tensor:
        """Input of slice k's entropy parameters. A target whose source is absent (stage one
        trains the colour alone) gets zeros in the cross-modal slot."""
        if k == 0 and not self.inclusive:
            return side
        query, fusion = (self.side_query(side), self.fusion0) if k == 0 else (ctx, None)
        parts = [side] if k == 0 else [side, ctx]
        if self.fusions is not None:
            fusion = fusion or self.fusions[k - 1]
            parts.append(fusion(query, src_ctx) if src_ctx is not None else torch.zeros_like(query))
        return torch.cat(parts, 1)

    def seed_cross_contexts(self, source: "ModalityChannelCodec") -> None:
        """Warm start of an "inclusive" target from a "previous" model: X_k starts as the source's
        own context net of slice k (its slices < k), with zero weights on the extra slice k, so
        the warm-started model codes exactly as the stored one until training moves it."""
        for k in range(1, len(self.cross_contexts)):
            own, src = self.cross_contexts[k].state_dict(), source.contexts[k - 1].state_dict()
            for name, value in src.items():
                if own[name].shape == value.shape:
                    own[name] = value.clone()
                else:  # the first convolution: zero-pad the input channels of slice k
                    own[name] = torch.zeros_like(own[name])
                    own[name][:, : value.shape[1]] = value
            self.cross_contexts[k].load_state_dict(own)


class CrossModalEntropyModel(nn.Module):
    """CCEM over the modalities present in the call (both, or the colour alone in stage one).

    Latents `y` arrive un-gained; the model applies the gains, codes, and returns
    y_hat = y_hat_gained * y_gain_inv. `align` maps a source-grid map onto the target's latent
    grid (identity when both images have one size)."""

    def __init__(self, M_rgb: int, N_rgb: int, M_ir: int, N_ir: int, slices: int = 4, ctx: int = 64,
                 lceb: bool = True, lcfb: bool = True, direction: str = "ir_to_rgb", heads: int = 2,
                 agents: int = 4, cross: str = "previous") -> None:
        super().__init__()
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
        self.slices = slices
        pair = DIRECTIONS[direction]
        self.source, self.target = pair if pair else (None, None)
        self.inclusive = cross == "inclusive" and pair is not None
        dims = {"rgb": (M_rgb, N_rgb), "ir": (M_ir, N_ir)}
        self.codecs = nn.ModuleDict({
            m: ModalityChannelCodec(*dims[m], slices, ctx, lceb,
                                    ("lcfb" if lcfb else "concat") if m == self.target else "none", heads, agents,
                                    cross, dims[self.source][0] if m == self.target else 0)
            for m in MODALITIES
        })

    def _loop(self, side: dict[str, Tensor], leaf: Callable[[str, int, Tensor], Tensor],
              align: Align | None) -> dict[str, Tensor]:
        """The slice schedule shared by training, encoding and decoding; `leaf(m, k, params)`
        codes slice k of modality m and returns its decoded (gained) values."""
        hats: dict[str, list[Tensor]] = {m: [] for m in side}
        order = sorted(side, key=lambda m: m == self.target)  # "inclusive": the source's slice k first
        for k in range(self.slices):
            ctx = {m: self.codecs[m].context(k, hats[m]) for m in side}  # slices < k only
            for m in order:
                src = None
                if m == self.target and self.source in side and self.inclusive:
                    src = self.codecs[m].cross_context(k, hats[self.source])  # source slices <= k
                elif m == self.target and k > 0 and self.source in ctx:
                    src = ctx[self.source]
                if src is not None and align is not None:
                    src = align(src)
                params = self.codecs[m].params(k, side[m], ctx[m], src)
                hats[m].append(leaf(m, k, params))
        return {m: torch.cat(h, 1) for m, h in hats.items()}

    def forward(self, y: dict[str, Tensor], gains: dict[str, Gains], align: Align | None = None) -> dict:
        """Training: noisy likelihoods, STE-quantised latents."""
        side, lik_z, lik_y = {}, {}, {m: [] for m in y}
        for m in y:
            out = self.codecs[m].hyper(y[m], gains[m][1], gains[m][3])
            side[m], lik_z[m] = out["params"], out["likelihoods"]["z"]
        parts = {m: (y[m] * gains[m][0]).split(self.codecs[m].sizes, 1) for m in y}

        def leaf(m: str, k: int, params: Tensor) -> Tensor:
            out = self.codecs[m].slices[k](parts[m][k], params)
            lik_y[m].append(out["likelihoods"]["y"])
            return out["y_hat"]

        hats = self._loop(side, leaf, align)
        return {
            "y_hat": {m: hats[m] * gains[m][2] for m in y},
            "likelihoods": {m: {"y": torch.cat(lik_y[m], 1), "z": lik_z[m]} for m in y},
        }

    def compress(self, y: dict[str, Tensor], gains: dict[str, Gains], align: Align | None = None) -> dict:
        """-> strings {m: [z, slice 0, ..., slice S-1]} (each a list over the batch) and y_hat."""
        side, strings = {}, {}
        for m in y:
            out = self.codecs[m].hyper.compress(y[m], gains[m][1], gains[m][3])
            side[m], strings[m] = out["params"], [out["strings"][0]]
        parts = {m: (y[m] * gains[m][0]).split(self.codecs[m].sizes, 1) for m in y}

        def leaf(m: str, k: int, params: Tensor) -> Tensor:
            out = self.codecs[m].slices[k].compress(parts[m][k], params)
            strings[m].append(out["strings"][0])
            return out["y_hat"]

        hats = self._loop(side, leaf, align)
        return {"strings": strings, "y_hat": {m: hats[m] * gains[m][2] for m in y}}

    def decompress(self, strings: dict[str, list], shapes: dict[str, dict[str, tuple[int, int]]],
                   gains_inv: dict[str, tuple[Tensor, Tensor]], align: Align | None = None) -> dict[str, Tensor]:
        """strings as written by `compress`; shapes {m: contract.latent_grids(hw)}; gains_inv {m: (y_inv, z_inv)}."""
        side = {}
        for m, parts in strings.items():
            if len(parts) != 1 + self.slices:
                raise ValueError(f"{m}: expected {1 + self.slices} strings (z + slices), got {len(parts)}")
            side[m] = self.codecs[m].hyper.decompress([parts[0]], shapes[m]["hyper"], gains_inv[m][1])["params"]

        def leaf(m: str, k: int, params: Tensor) -> Tensor:
            return self.codecs[m].slices[k].decompress([strings[m][1 + k]], shapes[m]["y"], params)["y_hat"]

        hats = self._loop(side, leaf, align)
        return {m: hats[m] * gains_inv[m][0] for m in strings}
