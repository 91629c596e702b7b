"""Issue 22: one learned-model contract. Every pair architecture codes through the one codec class
(batched and single), streams use the one packer, latent grids come from one function, quality
help from loss.py, and the architecture's old name `independent` still loads."""
from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from conftest import synthetic_pair
from rgbir_compress.codecs import registry
from rgbir_compress.codecs.learned import zoo
from rgbir_compress.codecs.learned.codec import ConditionalCodec, HyperpriorCodec, LearnedCodec
from rgbir_compress.codecs.learned.loss import RATE_HELP
from rgbir_compress.codecs.learned.models.contract import PairModel, latent_grids
from rgbir_compress.codecs.learned.packing import pack_parts, unpack_parts
from rgbir_compress.codecs.learned.weights import atomic_save, export_weights
from rgbir_compress.errors import DecodeError
from rgbir_compress.frame import ImagePair

SMALL = {
    "hyperprior": {"N": 16, "M": 24, "N_ir": 16, "M_ir": 24, "levels": 3},
    "conditional": {"N_ref": 16, "M_ref": 24, "N": 16, "M": 24, "F": 16, "attn_dim": 12, "heads": 3, "levels": 3},
    "joint": {"N": 16, "M": 24, "N_ir": 16, "M_ir": 16, "slices": 3, "ctx": 16, "heads": 2, "window": 4,
              "swin_depth": 2, "cross_depth": 1, "ctx_heads": 2, "agents": 2, "levels": 3},
}


def small(arch: str, seed: int = 0):
    torch.manual_seed(seed)
    model = zoo.build(arch, **SMALL[arch]).eval()
    model.update(force=True)
    return model


def test_every_architecture_is_a_pair_model_of_a_registered_codec_of_its_name():
    assert set(zoo.ARCHITECTURES) == set(SMALL)
    for arch in zoo.ARCHITECTURES:
        cls = registry.get_class(arch)
        assert issubclass(cls, LearnedCodec) and cls.name == arch
        assert cls.quality_help.startswith(RATE_HELP)
        model = small(arch)
        assert isinstance(model, PairModel) and model.arch == arch


@pytest.mark.parametrize("arch", sorted(SMALL))
def test_batch_encoding_decodes_like_single_encoding(arch):
    codec = registry.get_class(arch).from_module(small(arch))
    pairs = [ImagePair(*synthetic_pair(40, 52, 30, 36, seed=s)) for s in range(2)]
    pairs.append(ImagePair(*synthetic_pair(33, 47, seed=5)))  # another size: its own pass
    batch = codec.encode_batch(pairs, 0.6)
    for cp, pair in zip(batch, pairs):
        single = codec.encode(pair, 0.6)
        assert cp.affine_gamma.size == codec.module.affine_size
        assert abs(len(cp.rgb_data) - len(single.rgb_data)) <= 0.05 * len(single.rgb_data) + 8
        a, b = codec.decode(cp), codec.decode(single)
        assert a.rgb.shape == pair.rgb.shape and a.thermal.shape == pair.thermal.shape
        assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 1.0
        assert np.abs(a.thermal.astype(int) - b.thermal.astype(int)).mean() < 1.0


def test_one_packer_and_its_errors():
    z, y = b"zz", b"yyyy"
    assert pack_parts([z, y]) == struct.pack("<I", len(z)) + z + y
    parts = [b"", b"a", b"bcd", b"tail"]
    assert unpack_parts(pack_parts(parts), 4, "test") == parts
    with pytest.raises(DecodeError, match="ends before part 1"):
        unpack_parts(pack_parts(parts)[:5], 4, "test")
    with pytest.raises(DecodeError, match="declares a 3-byte part 2"):
        unpack_parts(pack_parts(parts)[:14], 4, "test")


def test_latent_grids_follow_the_padded_size():
    assert latent_grids((100, 150)) == {"y": (8, 12), "hyper": (2, 3)}
    assert latent_grids((1, 1)) == {"y": (4, 4), "hyper": (1, 1)}


def test_a_codec_refuses_another_architecture():
    with pytest.raises(TypeError, match="conditional pair model"):
        ConditionalCodec.from_module(small("hyperprior"))


def test_weights_and_checkpoints_under_the_old_name_still_load(tmp_path):
    """`arch: independent` (the shipped hyperprior.pth and older runs) reads as hyperprior."""
    from rgbir_compress.train.warm_start import baseline_branch

    model = small("hyperprior")
    assert zoo.build("independent", **SMALL["hyperprior"]).arch == "hyperprior"
    path = export_weights(model, tmp_path / "new.pth")
    blob = torch.load(path, map_location="cpu", weights_only=False)
    assert blob["arch"] == "hyperprior"
    atomic_save({**blob, "arch": "independent"}, tmp_path / "old.pth")
    old, new = (HyperpriorCodec(device="cpu", weights=str(tmp_path / f)) for f in ("old.pth", "new.pth"))
    pair = ImagePair(*synthetic_pair(40, 52, seed=2))
    assert old.encode(pair, 0.5).rgb_data == new.encode(pair, 0.5).rgb_data
    assert baseline_branch(tmp_path / "old.pth", "ir", "init_reference_from")
