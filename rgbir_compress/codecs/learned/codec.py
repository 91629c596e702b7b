"""Learned pair codecs behind the common PairCodec interface.

Bitstream of one modality (the bytes in rgb_data / thermal_data):
    u32 little-endian length of the hyper-latent (z) string, the z string, the y string
    (which starts with the 4-byte digest of its probability tables, see entropy.py).
Latent shapes follow from the image size declared in the message, so nothing else is stored.
The model_id is `NAME@<weights digest>+b<BITSTREAM>`: a stream decodes only with the same weights
and the same bitstream revision.
"""
from __future__ import annotations

import struct

import numpy as np
import torch

from ...errors import DecodeError
from ..base import PairCodec, Streams
from .layers import pad_to_multiple
from .weights import digest, load_module, weights_path

BITSTREAM = 2  # 1: no table digest, float entropy parameters; 2: digest + exact integer path


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def to_tensor(img: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.array(img, copy=True))  # own, writable memory for torch
    t = t[None, None] if img.ndim == 2 else t.permute(2, 0, 1)[None]
    return t.to(device).float().div_(255)


def to_image(t: torch.Tensor, hw: tuple[int, int]) -> np.ndarray:
    t = t[0, :, : hw[0], : hw[1]].mul(255).round_().clamp_(0, 255).byte().cpu()
    return t[0].numpy() if t.shape[0] == 1 else t.permute(1, 2, 0).contiguous().numpy()


def pack(strings: list) -> bytes:
    (y,), (z,) = strings
    return struct.pack("<I", len(z)) + z + y


def unpack(data: bytes) -> list:
    if len(data) < 4:
        raise DecodeError(f"learned bitstream of {len(data)} bytes is too short")
    (nz,) = struct.unpack("<I", data[:4])
    if nz > len(data) - 4:
        raise DecodeError(f"learned bitstream declares a {nz}-byte hyper-latent but has {len(data) - 4} bytes")
    return [[data[4 + nz :]], [data[4 : 4 + nz]]]


class LearnedPairCodec(PairCodec):
    """A pair module with `.rgb` and `.ir` per-modality coders (compress/decompress with quality)."""

    weights_name = ""
    stride = 64
    max_pixels = 3840 * 2160  # 4K UHD; the synthesis transform needs ~2 GB at this size

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0, module=None) -> None:
        self.device = pick_device(device)
        if threads:
            torch.set_num_threads(threads)
        if module is None:
            path = weights_path(self.weights_name or self.name, weights)
            module, self.meta = load_module(path)
            self._model_id = f"{self.name}@{digest(path)}+b{BITSTREAM}"
        else:
            self.meta = {}
            self._model_id = f"{self.name}@untracked"
        self.module = module.to(self.device).eval()

    @classmethod
    def from_module(cls, module) -> "LearnedPairCodec":
        """Wrap an in-memory model (validation during training); its model_id is 'untracked'."""
        obj = cls.__new__(cls)
        LearnedPairCodec.__init__(obj, device="cpu", module=module)
        return obj

    @property
    def model_id(self) -> str:
        return self._model_id

    def _input(self, imgs: list[np.ndarray]) -> torch.Tensor:
        """Padded batch on the codec's device in the module's dtype (float64 in the consistency bench)."""
        dtype = next(self.module.parameters()).dtype
        return torch.cat([pad_to_multiple(to_tensor(i, self.device), self.stride) for i in imgs]).to(dtype)

    @torch.inference_mode()
    def _encode_many(self, coder, imgs: list[np.ndarray], quality: float) -> list[bytes]:
        """Same-size images in one network pass; others one by one."""
        if len({i.shape for i in imgs}) > 1:
            return [b for i in imgs for b in self._encode_many(coder, [i], quality)]
        y, z = coder.compress(self._input(imgs), quality)["strings"]
        return [pack([[yi], [zi]]) for yi, zi in zip(y, z)]

    def _encode_one(self, coder, img: np.ndarray, quality: float) -> bytes:
        return self._encode_many(coder, [img], quality)[0]

    @torch.inference_mode()
    def _decode_one(self, coder, data: bytes, hw: tuple[int, int], quality: float) -> np.ndarray:
        ph, pw = -(-hw[0] // self.stride) * self.stride, -(-hw[1] // self.stride) * self.stride
        shape = {"y": (ph // 16, pw // 16), "hyper": (ph // 64, pw // 64)}
        x_hat = coder.decompress(unpack(data), shape, quality)["x_hat"]
        return to_image(x_hat, hw)


class HyperpriorCodec(LearnedPairCodec):
    """Independent baseline: mean-scale hyperprior per modality, continuous rate (gain units)."""

    name = "hyperprior"
    quality_help = "continuous rate through gain units: lambda 0.0018 (q=0) .. 0.0483 (q=1), log-linear"

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0, module=None) -> None:
        # explicit parameters: codecs/factory.py passes only the options a constructor names
        super().__init__(device=device, weights=weights, threads=threads, module=module)
        if self.device.type == "cpu":
            # Synthesis in channels_last: oneDNN's faster CPU convolutions (issue 18, docs/realtime.md).
            # Decoder only: the analysis transform stays as it was, because its float rounding
            # decides the latents and so the bitstream; a synthesis change moves decoded pixels by
            # at most 1 level, as the consistency bench's channels_last decoder already does.
            for coder in (self.module.rgb, self.module.ir):
                coder.g_s.to(memory_format=torch.channels_last)

    def encode_streams(self, rgb, thermal, quality) -> Streams:
        return Streams(self._encode_one(self.module.rgb, rgb, quality),
                       self._encode_one(self.module.ir, thermal, quality))

    def encode_streams_batch(self, rgbs, thermals, quality) -> list[Streams]:
        return [Streams(r, t) for r, t in zip(self._encode_many(self.module.rgb, rgbs, quality),
                                                self._encode_many(self.module.ir, thermals, quality))]

    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        return (self._decode_one(self.module.rgb, streams.rgb_data, rgb_hw, quality),
                self._decode_one(self.module.ir, streams.thermal_data, thermal_hw, quality))


class ConditionalCodec(LearnedPairCodec):
    """Cross-modal conditional codec (Lu et al., CVPR 2022): the reference modality is coded by
    the baseline hyperprior, the other conditioned on its reconstruction. The direction is part
    of the weights (`module.reference`). gamma/beta travel as float32 in affine_gamma/affine_beta
    and the decoder uses exactly the received values."""

    name = "conditional"
    weights_name = "conditional"
    quality_help = ("continuous rate through gain units, lambda 0.0018 (q=0) .. 0.0483 (q=1), "
                    "log-linear; reference modality (from the weights) coded first")

    def _pair(self):
        if not hasattr(self.module, "reference"):
            raise TypeError(f"{self.name} needs a conditional pair module, got {type(self.module).__name__}")
        return self.module

    def _coefficients(self, streams: Streams) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        n = self._pair().affine_size
        gamma = np.asarray(streams.affine_gamma, np.float32).ravel()
        beta = np.asarray(streams.affine_beta, np.float32).ravel()
        if gamma.size != n or beta.size != n:
            raise DecodeError(f"{self.name}: expected {n} affine gamma and beta values, got "
                              f"{gamma.size} and {beta.size}")
        if n == 0:
            return None, None
        if not (np.isfinite(gamma).all() and np.isfinite(beta).all()):
            raise DecodeError(f"{self.name}: affine coefficients are not finite")
        return (torch.from_numpy(gamma.copy())[None].to(self.device),
                torch.from_numpy(beta.copy())[None].to(self.device))

    @torch.inference_mode()
    def encode_streams(self, rgb, thermal, quality) -> Streams:
        m = self._pair()
        ref_img, cur_img = m.split(rgb, thermal)
        x_ref = self._input([ref_img])
        x_cur = self._input([cur_img])
        out = m.compress(x_ref, x_cur, ref_img.shape[:2], cur_img.shape[:2], quality)
        ref_data, cur_data = pack(out["ref_strings"]), pack(out["cur_strings"])
        rgb_data, thermal_data = m.split(ref_data, cur_data)  # split is its own inverse
        if out["gamma"] is None:
            return Streams(rgb_data, thermal_data)
        return Streams(rgb_data, thermal_data,
                       out["gamma"][0].float().cpu().numpy().astype(np.float32),
                       out["beta"][0].float().cpu().numpy().astype(np.float32))

    @torch.inference_mode()
    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        m = self._pair()
        gamma, beta = self._coefficients(streams)
        ref_hw, cur_hw = m.split(rgb_hw, thermal_hw)
        ref_data, cur_data = m.split(streams.rgb_data, streams.thermal_data)
        x_ref, x_cur = m.decompress(unpack(ref_data), unpack(cur_data), ref_hw, cur_hw, gamma, beta, quality)
        return m.split(to_image(x_ref, ref_hw), to_image(x_cur, cur_hw))
