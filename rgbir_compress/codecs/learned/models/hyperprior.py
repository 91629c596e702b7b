"""The baseline coder of one modality: a mean-scale hyperprior (Minnen et al., "Joint
Autoregressive and Hierarchical Priors for Learned Image Compression", NeurIPS 2018, without the
serial autoregressive context, which decodes symbol by symbol) with continuous variable rate
through gain units. One class serves RGB (3 channels) and thermal (1 channel); the pair of them
is models/hyperprior_pair.py.

Built from CompressAI parts: GDN, conv/deconv, EntropyBottleneck, GaussianConditional and the
gain-controlled hyperprior latent codec, with rANS coding; the entropy parameters are computed in
exact integer arithmetic when coding (entropy.py), so any machine decodes what any other encoded.
"""
from __future__ import annotations

from compressai.latent_codecs.gain import GainHyperpriorLatentCodec
from compressai.layers import GDN
from compressai.models import CompressionModel
from compressai.models.utils import conv, deconv
from torch import Tensor, nn

from ..entropy import CheckedGaussianConditionalLatentCodec, ExactGainHyperLatentCodec, SafeEntropyBottleneck
from ..layers import QualityGains, hyper_analysis, hyper_synthesis


def analysis(in_ch: int, N: int, M: int) -> nn.Sequential:
    return nn.Sequential(conv(in_ch, N), GDN(N), conv(N, N), GDN(N), conv(N, N), GDN(N), conv(N, M))


def synthesis(out_ch: int, N: int, M: int) -> nn.Sequential:
    return nn.Sequential(
        deconv(M, N), GDN(N, inverse=True), deconv(N, N), GDN(N, inverse=True),
        deconv(N, N), GDN(N, inverse=True), deconv(N, out_ch),
    )


class VariableRateHyperprior(CompressionModel):
    """x in [0, 1] of shape (B, C, H, W) with H, W multiples of `stride`; quality (B,) in [0, 1]."""

    stride = 64

    def __init__(self, in_channels: int = 3, N: int = 64, M: int = 96, levels: int = 6) -> None:
        super().__init__()
        self.config = {"in_channels": in_channels, "N": N, "M": M, "levels": levels}
        self.g_a = analysis(in_channels, N, M)
        self.g_s = synthesis(in_channels, N, M)
        self.gains = QualityGains(levels, M, N)
        self.latent_codec = GainHyperpriorLatentCodec(
            latent_codec={
                "y": CheckedGaussianConditionalLatentCodec(quantizer="ste"),
                "hyper": ExactGainHyperLatentCodec(
                    SafeEntropyBottleneck(N), hyper_analysis(N, M), hyper_synthesis(N, M)
                ),
            }
        )

    def forward(self, x: Tensor, quality: Tensor | float) -> dict:
        y = self.g_a(x)
        out = self.latent_codec(y, *self.gains.at(quality, x.shape[0], y))
        return {"x_hat": self.g_s(out["y_hat"]), "likelihoods": out["likelihoods"]}

    def compress(self, x: Tensor, quality: float) -> dict:
        y = self.g_a(x)
        out = self.latent_codec.compress(y, *self.gains.at(quality, x.shape[0], y, exact=True))
        return {"strings": out["strings"], "shape": out["shape"], "y_hat": out["y_hat"]}

    def decompress(self, strings: list, shape: dict, quality: float) -> dict:
        ref = next(self.parameters())
        _, _, yg_inv, zg_inv = self.gains.at(quality, len(strings[0]), ref, exact=True)
        y_hat = self.latent_codec.decompress(strings, shape, yg_inv, zg_inv)["y_hat"]
        return {"x_hat": self.g_s(y_hat).clamp_(0, 1), "y_hat": y_hat}
