"""Learned pair codecs behind the common PairCodec interface.

Bitstream of one modality (the bytes in rgb_data / thermal_data):
    u32 little-endian length of the hyper-latent (z) string, the z string, the y string.
Latent shapes follow from the image size declared in the message, so nothing else is stored.
"""
from __future__ import annotations

import struct

import numpy as np
import torch

from ...errors import DecodeError
from ..base import PairCodec, Streams
from .layers import pad_to_multiple
from .weights import digest, load_module, weights_path


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def to_tensor(img: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(img))
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

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0, module=None) -> None:
        self.device = pick_device(device)
        if threads:
            torch.set_num_threads(threads)
        if module is None:
            path = weights_path(self.weights_name or self.name, weights)
            module, self.meta = load_module(path)
            self._model_id = f"{self.name}@{digest(path)}"
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

    @torch.inference_mode()
    def _encode_one(self, coder, img: np.ndarray, quality: float) -> bytes:
        x = pad_to_multiple(to_tensor(img, self.device), self.stride)
        return pack(coder.compress(x, quality)["strings"])

    @torch.inference_mode()
    def _decode_one(self, coder, data: bytes, hw: tuple[int, int], quality: float) -> np.ndarray:
        ph, pw = -(-hw[0] // self.stride) * self.stride, -(-hw[1] // self.stride) * self.stride
        shape = {"y": (ph // 16, pw // 16), "hyper": (ph // 64, pw // 64)}
        x_hat = coder.decompress(unpack(data), shape, quality)["x_hat"]
        return to_image(x_hat, hw)

    def encode_streams(self, rgb, thermal, quality) -> Streams:
        return Streams(self._encode_one(self.module.rgb, rgb, quality),
                       self._encode_one(self.module.ir, thermal, quality))

    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        return (self._decode_one(self.module.rgb, streams.rgb_data, rgb_hw, quality),
                self._decode_one(self.module.ir, streams.thermal_data, thermal_hw, quality))


class HyperpriorCodec(LearnedPairCodec):
    """Independent baseline: mean-scale hyperprior per modality, continuous rate (gain units)."""

    name = "hyperprior"
    quality_help = "continuous rate through gain units: lambda 0.0018 (q=0) .. 0.0483 (q=1), log-linear"
