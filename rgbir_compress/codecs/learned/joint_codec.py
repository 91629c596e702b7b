"""The joint RGB-thermal codec (models/joint.py) behind the PairCodec interface.

Bitstream of one modality (rgb_data, thermal_data): its hyper-latent z string, then its S slice
strings, each but the last preceded by its u32 little-endian length:
    len(z) z len(y_0) y_0 ... len(y_{S-2}) y_{S-2} y_{S-1}
Each modality's bytes are its own rate (z and its slices), so bpp per modality is honest; the
colour stream decodes only together with the thermal stream (its entropy model uses the thermal
slices' context), and vice versa for direction "rgb_to_ir". Latent shapes follow from the image
sizes in the message; colour and thermal may differ in size (each is coded at its native size).
"""
from __future__ import annotations

import struct

import torch

from ...errors import DecodeError
from ..base import Streams
from .codec import LearnedPairCodec, to_image


def pack_parts(parts: list[bytes]) -> bytes:
    out = bytearray()
    for p in parts[:-1]:
        out += struct.pack("<I", len(p)) + p
    return bytes(out + parts[-1])


def unpack_parts(data: bytes, count: int, what: str) -> list[bytes]:
    parts, pos = [], 0
    for i in range(count - 1):
        if pos + 4 > len(data):
            raise DecodeError(f"joint {what} stream of {len(data)} bytes ends before string {i}")
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if pos + n > len(data):
            raise DecodeError(f"joint {what} stream declares a {n}-byte string {i} "
                              f"but has {len(data) - pos} bytes left")
        parts.append(bytes(data[pos : pos + n]))
        pos += n
    parts.append(bytes(data[pos:]))
    return parts


class JointCodec(LearnedPairCodec):
    """Dual-branch joint codec: YUV 4:2:0 colour + thermal, channel-wise cross-modal entropy model."""

    name = "joint"
    weights_name = "joint"
    quality_help = ("continuous rate through gain units: lambda 0.0018 (q=0) .. 0.0483 (q=1) times the "
                    "weights' lambda_scale, log-linear; "
                    "colour coded as YUV 4:2:0 (BT.601 full range)")

    def _model(self):
        if not hasattr(self.module, "entropy") or not hasattr(self.module, "decompress_latents"):
            raise TypeError(f"{self.name} needs a JointPair module, got {type(self.module).__name__}")
        return self.module

    @torch.inference_mode()
    def encode_streams(self, rgb, thermal, quality) -> Streams:
        m = self._model()
        x_rgb = self._input([rgb])
        x_ir = self._input([thermal])
        strings = m.compress(x_rgb, x_ir, rgb.shape[:2], thermal.shape[:2], quality)["strings"]
        return Streams(pack_parts([s[0] for s in strings["rgb"]]), pack_parts([s[0] for s in strings["ir"]]))

    def read_strings(self, streams: Streams) -> dict[str, list[list[bytes]]]:
        count = 1 + self._model().entropy.slices
        return {m: [[p] for p in unpack_parts(data, count, label)]
                for m, data, label in (("rgb", streams.rgb_data, "colour"), ("ir", streams.thermal_data, "thermal"))}

    @torch.inference_mode()
    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        out = self._model().decompress(self.read_strings(streams), rgb_hw, thermal_hw, quality)
        return to_image(out["rgb"], rgb_hw), to_image(out["ir"], thermal_hw)
