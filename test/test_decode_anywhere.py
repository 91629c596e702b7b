"""Issue 9: bit-exact table selection across configurations, the table digest, safe rANS input,
declared-size limits, and a bounded fuzz run over every decoder."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from conftest import synthetic_pair
from rgbir_compress import container
from rgbir_compress.codecs.base import check_quality
from rgbir_compress.codecs.catalog import stream_codecs
from rgbir_compress.codecs.learned.codec import HyperpriorCodec
from rgbir_compress.codecs.learned.fixed_point import FixedPointStack
from rgbir_compress.codecs.learned.models.hyperprior import hyper_synthesis
from rgbir_compress.codecs.learned.packing import pack_parts, unpack_parts
from rgbir_compress.codecs.learned.zoo import build
from rgbir_compress.errors import DecodeError
from rgbir_compress.eval import consistency, fuzz
from rgbir_compress.frame import ImagePair

STREAM_CODECS = tuple(stream_codecs())


def tiny_pair_module(seed: int = 0):
    torch.manual_seed(seed)
    m = build("hyperprior", N=16, M=24, N_ir=16, M_ir=24)
    m.update(force=True)
    return m.eval()


def image_pair(h=128, w=192, seed=0) -> ImagePair:
    rgb, ir = synthetic_pair(h, w, seed=seed)
    return ImagePair(rgb=rgb, thermal=ir, rgb_encoding="rgb8", thermal_encoding="mono8")


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_fixed_point_hyper_synthesis_is_identical_across_threads_and_dtypes():
    torch.manual_seed(1)
    hs = hyper_synthesis(16, 24)
    x = torch.randn(2, 16, 5, 7) * 3
    torch.set_num_threads(1)
    a = FixedPointStack(hs)(x)
    torch.set_num_threads(2)
    b = FixedPointStack(copy.deepcopy(hs).double())(x.double())
    c = FixedPointStack(copy.deepcopy(hs).to(memory_format=torch.channels_last))(x)
    assert torch.equal(a, b) and torch.equal(a, c)
    with torch.no_grad():
        ref = hs(torch.round(x * 4096) / 4096)  # the float network it approximates
    assert float((a - ref).abs().max()) < 1e-2 * float(ref.abs().max())


def test_stream_decodes_to_the_same_latents_under_other_configurations():
    module = tiny_pair_module()
    pairs = [synthetic_pair(128, 192, seed=s) for s in range(2)]
    torch.set_num_threads(2)
    rows = consistency.run(pairs, module, ["reference", "batch4"], ["reference", "threads1", "float64", "channels_last"])
    exact_rows = {k: v for k, v in rows.items() if k.startswith("exact")}
    assert len(exact_rows) == 8
    for key, row in exact_rows.items():
        assert (row["exact"], row["detected"], row["silent"]) == (4, 0, 0), (key, row)
    for key, row in rows.items():  # the float path is never silent: the digest catches it
        assert row["silent"] == 0 and row["exact"] + row["detected"] == 4, (key, row)


def test_other_tables_are_detected_not_decoded():
    module = tiny_pair_module()
    codec = HyperpriorCodec.from_module(module)
    cp = codec.encode(image_pair(), 0.5)
    other = copy.deepcopy(module)
    with torch.no_grad():  # another machine's hyper-synthesis: other scales
        other.rgb.latent_codec.hyper.h_s[-1].bias.add_(0.5)
    with pytest.raises(DecodeError, match="entropy-model mismatch"):
        HyperpriorCodec.from_module(other).decode(cp)


def test_truncated_and_forged_latent_strings_never_crash():
    codec = HyperpriorCodec.from_module(tiny_pair_module())
    cp = codec.encode(image_pair(), 1.0)
    z, y = unpack_parts(cp.rgb_data, 2, "colour")
    rng = np.random.default_rng(0)
    forged = [y[:4], y[:4] + b"\xff" * 64, y[:4] + bytes(rng.integers(0, 256, 3000, dtype=np.uint8)), y[: len(y) // 2]]
    for bad in forged:
        damaged = dataclasses.replace(cp, rgb_data=pack_parts([z, bad]))
        try:
            out = codec.decode(damaged)
        except DecodeError:
            continue
        assert out.rgb.shape == (128, 192, 3)
    with pytest.raises(DecodeError, match="digest"):
        codec.decode(dataclasses.replace(cp, rgb_data=pack_parts([z, y[:2]])))


def test_quality_is_coded_as_the_container_stores_it():
    q = check_quality(0.3)
    assert q == float(np.float32(0.3)) and q != 0.3
    codec = HyperpriorCodec.from_module(tiny_pair_module())
    cp = container.loads(container.dumps(codec.encode(image_pair(), 0.3)))
    assert cp.quality == q
    codec.decode(cp)


def test_declared_sizes_over_the_limit_are_refused_before_decoding():
    codec = HyperpriorCodec.from_module(tiny_pair_module())
    cp = codec.encode(image_pair(), 0.5)
    huge = dataclasses.replace(cp, rgb_height=8192, rgb_width=8192)
    with pytest.raises(DecodeError, match="exceeds"):
        codec.decode(huge)


def test_batch_encoding_gives_streams_the_single_decoder_reads():
    codec = HyperpriorCodec.from_module(tiny_pair_module())
    pairs = [image_pair(seed=s) for s in range(3)]
    batch = codec.encode_batch(pairs, 0.7)
    single = [codec.encode(p, 0.7) for p in pairs]
    for b, s, p in zip(batch, single, pairs):
        out = codec.decode(container.loads(container.dumps(b)))
        ref = codec.decode(s)
        assert out.rgb.shape == p.rgb.shape
        assert abs(len(b.rgb_data) - len(s.rgb_data)) <= 0.02 * len(s.rgb_data) + 8
        assert np.abs(out.rgb.astype(int) - ref.rgb.astype(int)).mean() < 1.0


def test_bounded_fuzz_finds_no_crash_or_hang():
    codecs = fuzz.open_codecs(["jpeg", "webp", *STREAM_CODECS])  # stream codecs where PyAV is installed
    codecs["hyperprior"] = HyperpriorCodec.from_module(tiny_pair_module())
    result = fuzz.run(15, codecs, hang_s=10)
    assert result["inputs"] > 100
    rejected = sum(r["rejected"] for r in result["rows"].values())
    assert rejected > result["inputs"] // 2  # most damage is caught, with the clear error
    assert result["crashes"] == 0 and result["hangs"] == 0, fuzz.markdown(result)


def test_integer_hyper_synthesis_is_cached_until_the_weights_change():
    hyper = tiny_pair_module().rgb.latent_codec.hyper
    first = hyper._integer_h_s()
    assert hyper._integer_h_s() is first
    with torch.no_grad():
        hyper.h_s[-1].bias.add_(1.0)  # an optimiser step changes weights in place
    assert hyper._integer_h_s() is not first
