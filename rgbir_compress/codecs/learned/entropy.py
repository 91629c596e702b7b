"""Entropy-coding pieces every learned architecture shares: decode-anywhere safety in one place.

* `CheckedGaussianConditionalLatentCodec` (the y latents of every model): each string starts with
  a 4-byte CRC-32 of the probability-table indices the encoder used. The decoder recomputes the
  indices and compares *before* decoding, so a machine that would pick other tables raises
  DecodeError instead of returning a wrong image. Cost: 4 bytes per string (one per modality for
  the hyperprior; one per slice and modality for the joint codec).
* `SafeEntropyBottleneck` (the z latents) and the checked codec above hand CompressAI's rANS
  decoder a zero-padded copy of the string: that decoder does no bounds checks and reads up to a
  word per symbol past the end of a truncated or forged string.
* `ExactGainHyperLatentCodec`: the hyper path whose output chooses the tables runs in exact
  integer arithmetic (fixed_point.py), so encoder and decoder agree bit for bit on any device.
* The encoder no longer entropy-decodes its own y string to get y_hat: rounding gives the same
  values, without CompressAI's latent codec decoding it again (docs/results_rd.md).

Training (forward) is untouched: these classes only override compress/decompress.
"""
from __future__ import annotations

import struct
import zlib

import torch
from compressai.entropy_models import EntropyBottleneck
from compressai.latent_codecs import GaussianConditionalLatentCodec
from compressai.latent_codecs.gain import GainHyperLatentCodec
from torch import Tensor

from ...errors import DecodeError
from .fixed_point import FixedPointStack

DIGEST_BYTES = 4
_PAD_FLOOR = 64


def table_digest(indexes: Tensor) -> int:
    """CRC-32 of one sample's table indices (C, H, W) as little-endian int16."""
    return zlib.crc32(indexes.detach().to("cpu", torch.int16).contiguous().numpy().astype("<i2").tobytes())


def padded(data: bytes, symbols: int) -> bytes:
    """`data` plus enough zero bytes that the rANS decoder never reads past the buffer on
    truncated or forged input: one 32-bit word per symbol, twice the data (bypass runs), slack."""
    return data + bytes(4 * symbols + 2 * len(data) + _PAD_FLOOR)


def fast_indexes(gc, scales: Tensor) -> Tensor:
    """`GaussianConditional.build_indexes` in one vectorised search instead of a Python loop of
    three tensor ops per table entry (64 entries: ~190 full passes over the latent, a large share
    of CPU coding time). Same integers: both count the table entries (all but the last) that lie
    strictly below the bounded scale, compared in the scales' dtype (an exact upcast)."""
    scales = gc.lower_bound_scale(scales).contiguous()
    table = gc.scale_table[:-1].to(device=scales.device, dtype=scales.dtype)
    return torch.bucketize(scales, table, right=False).int()


class SafeEntropyBottleneck(EntropyBottleneck):
    """EntropyBottleneck whose decoder only ever sees zero-padded strings."""

    def decompress(self, strings, size):
        per_sample = self._quantized_cdf.size(0) * int(torch.tensor(size).prod())
        return super().decompress([padded(s, per_sample) for s in strings], size)


class CheckedGaussianConditionalLatentCodec(GaussianConditionalLatentCodec):
    """Gaussian-conditional y coding with a table-index digest in front of each string."""

    def compress(self, y: Tensor, ctx_params: Tensor) -> dict:
        scales, means = self._chunk(self.entropy_parameters(ctx_params))
        gc = self.gaussian_conditional
        indexes = fast_indexes(gc, scales)
        strings = gc.compress(y, indexes, means)
        strings = [struct.pack("<I", table_digest(indexes[i])) + s for i, s in enumerate(strings)]
        y_hat = gc.quantize(y, "dequantize", means)  # what the decoder reconstructs, no rANS decode
        return {"strings": [strings], "shape": y.shape[2:4], "y_hat": y_hat}

    def decompress(self, strings: list, shape, ctx_params: Tensor, **kwargs) -> dict:
        (y_strings,) = strings
        scales, means = self._chunk(self.entropy_parameters(ctx_params))
        gc = self.gaussian_conditional
        indexes = fast_indexes(gc, scales)
        if tuple(indexes.shape[2:4]) != tuple(shape):
            raise DecodeError(f"latent grid {tuple(indexes.shape[2:4])} does not match the declared {tuple(shape)}")
        payloads = []
        for i, s in enumerate(y_strings):
            if len(s) < DIGEST_BYTES:
                raise DecodeError(f"latent string of {len(s)} bytes has no table digest")
            (sent,) = struct.unpack("<I", s[:DIGEST_BYTES])
            mine = table_digest(indexes[i])
            if sent != mine:
                raise DecodeError(
                    f"entropy-model mismatch: the encoder's probability tables (digest {sent:08x}) "
                    f"differ from this decoder's ({mine:08x}); decoding would give a wrong image"
                )
            payloads.append(padded(s[DIGEST_BYTES:], indexes[i].numel()))
        return {"y_hat": gc.decompress(payloads, indexes, means=means)}


class ExactGainHyperLatentCodec(GainHyperLatentCodec):
    """Gain-controlled hyper branch whose parameters come from integer arithmetic.

    `gain_inv` must be exact and identical at both ends (QualityGains.at(exact=True)); z_hat *
    gain_inv is formed in float64 (exact for a float32 z_hat and a 2**-16-grid gain) and snapped
    onto the integer path's 2**-12 input grid by FixedPointStack. `exact = False` restores the float
    hyper-synthesis CompressAI uses (kept for the consistency bench's comparison)."""

    exact = True

    def _params(self, z_hat: Tensor, gain_inv: Tensor) -> Tensor:
        """Entropy parameters, identical on every machine when exact."""
        if not self.exact:
            return self.h_s(z_hat.to(gain_inv.dtype) * gain_inv)
        x = z_hat.detach().to("cpu", torch.float64) * gain_inv.detach().to("cpu", torch.float64)
        return self._integer_h_s()(x).to(gain_inv.dtype)

    def _integer_h_s(self) -> FixedPointStack:
        """The integer twin of h_s, rebuilt only when its weights change (training steps, copies,
        dtype moves change the storage or its version), not on every coded image."""
        key = tuple((p.data_ptr(), p._version) for p in self.h_s.parameters())
        cached = self.__dict__.get("_integer_cache")
        if cached is None or cached[0] != key:
            cached = self.__dict__["_integer_cache"] = (key, FixedPointStack(self.h_s))
        return cached[1]

    def compress(self, y: Tensor, gain: Tensor, gain_inv: Tensor) -> dict:
        eb = self.entropy_bottleneck
        z = self.h_a(y) * gain
        strings = eb.compress(z)
        medians = eb._get_medians().detach().reshape(1, -1, 1, 1)
        z_hat = torch.round(z - medians).to("cpu") + medians.to("cpu")  # = the decoder's symbols + medians
        return {"strings": [strings], "shape": z.shape[2:4],
                "params": self._params(z_hat.to(gain_inv.device), gain_inv).to(y.device)}

    def decompress(self, strings: list, shape, gain_inv: Tensor, **kwargs) -> dict:
        (z_strings,) = strings
        z_hat = self.entropy_bottleneck.decompress(z_strings, shape).to(gain_inv.device)
        return {"params": self._params(z_hat, gain_inv).to(gain_inv.device)}
