"""One codec class for every learned pair model (models/contract.py), behind the PairCodec interface.

Bitstream of one modality (the bytes in rgb_data / thermal_data): the model's parts for it,
hyper-latent first, length-prefixed (packing.py); the hyperprior and conditional models write
`len(z) z y`, the joint model `len(z) z len(y_0) y_0 ... y_{S-1}`. Each y string starts with the
4-byte digest of its probability tables (entropy.py). Latent grids follow from the image sizes in
the message, and affine coefficients, where a model sends them, travel as float32 in
affine_gamma/affine_beta (the decoder uses exactly the received values). The model_id is
`NAME@<weights digest>+b<BITSTREAM>`: a stream decodes only with the same weights and the same
bitstream revision.

The registered names differ only in the weights they load (`rgbir_compress/weights/NAME.pth`),
the architecture those weights must hold (of the same name) and their quality help.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from ...errors import DecodeError
from ..base import PairCodec, Streams
from .layers import pad_to_multiple
from .loss import RATE_HELP
from .models.contract import STRIDE
from .packing import pack_parts, unpack_parts
from .weights import digest, load_module, weights_path

BITSTREAM = 2  # 1: no table digest, float entropy parameters; 2: digest + exact integer path
MODALITIES = (("rgb", "colour"), ("ir", "thermal"))


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


class LearnedCodec(PairCodec):
    """A pair model (of the architecture named like the codec) from its weights file or in memory."""

    stride: ClassVar[int] = STRIDE
    max_pixels = 3840 * 2160  # 4K UHD: bounds the synthesis transform's memory

    def __init__(self, device: str = "auto", weights: str | None = None, threads: int = 0, module=None) -> None:
        # explicit parameters: codecs/factory.py passes only the options a constructor names
        if threads:
            torch.set_num_threads(threads)
        if module is None:
            path = weights_path(self.name, weights)
            module, self.meta = load_module(path)
            self._model_id = f"{self.name}@{digest(path)}+b{BITSTREAM}"
        else:
            self.meta = {}
            self._model_id = f"{self.name}@untracked"
        self._attach(module, pick_device(device))
        self.module.tune_for(self.device)

    @classmethod
    def from_module(cls, module) -> "LearnedCodec":
        """Wrap an in-memory model as it is (validation during training); its model_id is 'untracked'."""
        obj = cls.__new__(cls)
        obj.meta, obj._model_id = {}, f"{cls.name}@untracked"
        obj._attach(module, torch.device("cpu"))
        return obj

    def _attach(self, module, device: torch.device) -> None:
        if getattr(module, "arch", None) != self.name:
            raise TypeError(f"{self.name} needs a {self.name} pair model, got {type(module).__name__} "
                            f"(architecture {getattr(module, 'arch', None)!r})")
        self.device = device
        self.module = module.to(device).eval()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def batches(self) -> bool:
        return self.device.type == "cuda"  # one network pass for several pairs pays on a GPU

    def runs_on(self) -> str:
        return str(self.device)

    def realtime_note(self) -> str | None:
        if self.device.type != "cpu":
            return None
        return (f"learned codec {self.name!r} runs on the CPU (no CUDA device): expect a few pairs per second "
                f"at camera sizes (docs/realtime.md); codec:=auto keeps the frame rate on this machine")

    def _input(self, imgs: list[np.ndarray]) -> torch.Tensor:
        """Padded batch on the codec's device in the module's dtype (float64 in the consistency bench)."""
        dtype = next(self.module.parameters()).dtype
        return torch.cat([pad_to_multiple(to_tensor(i, self.device), self.module.stride) for i in imgs]).to(dtype)

    def encode_streams(self, rgb, thermal, quality) -> Streams:
        return self.encode_streams_batch([rgb], [thermal], quality)[0]

    @torch.inference_mode()
    def encode_streams_batch(self, rgbs, thermals, quality) -> list[Streams]:
        """Pairs of one size (colour and thermal) in one network pass per size."""
        groups: dict[tuple, list[int]] = {}
        for i, (r, t) in enumerate(zip(rgbs, thermals)):
            groups.setdefault((r.shape, t.shape), []).append(i)
        out: list[Streams] = [None] * len(rgbs)  # type: ignore[list-item]
        for idx in groups.values():
            res = self.module.compress(self._input([rgbs[i] for i in idx]), self._input([thermals[i] for i in idx]),
                                       rgbs[idx[0]].shape[:2], thermals[idx[0]].shape[:2], quality)
            for k, i in enumerate(idx):
                out[i] = self._streams(res, k)
        return out

    @staticmethod
    def _streams(res: dict, k: int) -> Streams:
        """Sample k of a compress result as bytes."""
        rgb, ir = (pack_parts([part[k] for part in res["strings"][m]]) for m, _ in MODALITIES)
        if res["affine"] is None:
            return Streams(rgb, ir)
        gamma, beta = (a[k].float().cpu().numpy().astype(np.float32) for a in res["affine"])
        return Streams(rgb, ir, gamma, beta)

    def _affine(self, streams: Streams) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The received coefficients as (1, n) tensors, checked against the model's affine_size."""
        n = self.module.affine_size
        gamma = np.asarray(streams.affine_gamma, np.float32).ravel()
        beta = np.asarray(streams.affine_beta, np.float32).ravel()
        if gamma.size != n or beta.size != n:
            raise DecodeError(f"{self.name}: expected {n} affine gamma and beta values, got "
                              f"{gamma.size} and {beta.size}")
        if n == 0:
            return None
        if not (np.isfinite(gamma).all() and np.isfinite(beta).all()):
            raise DecodeError(f"{self.name}: affine coefficients are not finite")
        return (torch.from_numpy(gamma.copy())[None].to(self.device),
                torch.from_numpy(beta.copy())[None].to(self.device))

    @torch.inference_mode()
    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        n = self.module.stream_parts
        strings = {m: [[p] for p in unpack_parts(data, n, f"{self.name} {label}")]
                   for (m, label), data in zip(MODALITIES, (streams.rgb_data, streams.thermal_data))}
        out = self.module.decompress(strings, rgb_hw, thermal_hw, quality, self._affine(streams))
        return to_image(out["rgb"], rgb_hw), to_image(out["ir"], thermal_hw)


class HyperpriorCodec(LearnedCodec):
    """Baseline: a mean-scale hyperprior per modality (models/hyperprior.py), nothing shared."""

    name = "hyperprior"
    quality_help = RATE_HELP


class ConditionalCodec(LearnedCodec):
    """Cross-modal conditional codec after Lu et al., "Learning based Multi-modality Image and
    Video Compression" (CVPR 2022): the reference modality is coded by the baseline hyperprior,
    the other conditioned on its reconstruction (models/conditional.py). The direction is part of
    the weights; 2 x 64 affine coefficients travel beside the streams."""

    name = "conditional"
    quality_help = f"{RATE_HELP}; reference modality (from the weights) coded first"


class JointCodec(LearnedCodec):
    """Joint codec after "End-to-End RGB-IR Joint Image Compression With Channel-wise
    Cross-modality Entropy Model": YUV 4:2:0 colour + thermal, channel-wise cross-modal entropy
    model (models/joint.py). One modality's stream decodes only together with the other's."""

    name = "joint"
    quality_help = (f"{RATE_HELP}, times the weights' lambda_scale; "
                    "colour coded as YUV 4:2:0 (BT.601 full range)")
