"""Every registered codec round-trips a pair through the container: encode -> dumps -> loads ->
decode, at odd sizes, with colour and thermal of different sizes, in every supported encoding;
sizes, dtypes, encodings, stamps and frame ids come back, and classical codecs meet a PSNR floor."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import synthetic_pair
from test_codecs_classical import CLASSICAL, EXPECTED, psnr
from rgbir_compress import container
from rgbir_compress import encodings as enc
from rgbir_compress.codecs import registry
from rgbir_compress.codecs.base import PairCodec
from rgbir_compress.codecs.catalog import stream_codecs
from rgbir_compress.frame import ImagePair, Stamp

# (rgb h, w, thermal h, w): a single pixel, odd sizes, a stride multiple, different sizes per modality.
SIZES = [(1, 1, 1, 1), (17, 23, 17, 23), (64, 64, 64, 64), (101, 77, 101, 77), (128, 160, 64, 80),
         (37, 29, 70, 91)]
# Learned codecs tested with untrained weights (shapes and dtypes only); each codes the architecture of its name.
UNTRAINED = {"hyperprior"}
# Small synthetic pairs are mostly sharp edges and noise, which 4:2:0 chroma cannot keep: the floor
# is set to catch broken codecs (swapped channels give 13 dB, a one-pixel shift 19 dB).
RGB_FLOOR_DB, THERMAL_FLOOR_DB = 24.0, 34.0  # at quality 0.9, on the scene's noisy thermal
# Learned codecs share the encoding handling of the base class and are slow on CPU: two combinations.
LEARNED_ENCODINGS = {("bgra8", "mono16"), ("rgb8", "mono8")}
STAMP, THERMAL_STAMP = Stamp(1_700_000_123, 456_789_012), Stamp(1_700_000_123, 470_000_001)
# Stream (video) codecs round-trip here as well (a fresh stream: its first pair is a key frame).
STREAM = stream_codecs()
LEARNED = [n for n in registry.names() if n not in CLASSICAL and n not in STREAM]

_cache: dict[str, PairCodec] = {}


def make_codec(name: str) -> PairCodec:
    """A codec ready to code: classical ones as registered, learned ones with untrained weights."""
    if name not in _cache:
        if name in CLASSICAL:
            _cache[name] = registry.create(name)
        elif name in STREAM:
            pytest.importorskip("av")
            _cache[name] = registry.create(name, device="cpu")
        elif name in UNTRAINED:
            from rgbir_compress.codecs.learned import zoo

            module = zoo.build(name)
            module.eval()
            module.update(force=True)
            _cache[name] = registry.get_class(name).from_module(module)
        else:
            from rgbir_compress.errors import MissingWeightsError

            try:
                _cache[name] = registry.create(name, device="cpu")
            except MissingWeightsError:
                pytest.skip(f"learned codec {name!r} has no weights here; add it to UNTRAINED")
    return _cache[name]


def make_pair(h, w, th, tw, rgb_encoding="rgb8", thermal_encoding="mono8", seed=0):
    rgb, ir = synthetic_pair(h, w, th, tw, seed=seed, mono16=thermal_encoding == "mono16")
    pair = ImagePair(
        rgb=enc.rgb_to_colour(rgb, rgb_encoding), thermal=ir,
        rgb_encoding=rgb_encoding, thermal_encoding=thermal_encoding,
        stamp=STAMP, frame_id="camera_rgb_optical", thermal_stamp=THERMAL_STAMP, thermal_frame_id="camera_ir",
    )
    return pair, rgb


def roundtrip(codec: PairCodec, pair: ImagePair, quality: float) -> tuple[ImagePair, int]:
    data = container.dumps(codec.encode(pair, quality))
    return codec.decode(container.loads(data)), len(data)


def assert_same_layout(out: ImagePair, pair: ImagePair) -> None:
    assert out.rgb.shape == pair.rgb.shape and out.rgb.dtype == np.uint8
    assert out.thermal.shape == pair.thermal.shape and out.thermal.dtype == pair.thermal.dtype
    assert (out.rgb_encoding, out.thermal_encoding) == (pair.rgb_encoding, pair.thermal_encoding)
    assert (out.stamp, out.frame_id) == (STAMP, "camera_rgb_optical")
    assert (out.thermal_stamp, out.thermal_frame_id) == (THERMAL_STAMP, "camera_ir")
    if out.rgb.shape[2] == 4:
        assert np.all(out.rgb[:, :, 3] == 255)


def test_the_codecs_under_test():
    assert set(EXPECTED) <= set(CLASSICAL) and "hyperprior" in LEARNED


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", registry.names())
def test_roundtrip_sizes(name, size):
    codec = make_codec(name)
    pair, rgb = make_pair(*size, seed=sum(size))
    out, nbytes = roundtrip(codec, pair, 0.9)
    assert_same_layout(out, pair)
    assert nbytes > 0
    if name in CLASSICAL and min(size) >= 17:
        assert psnr(rgb, out.rgb) >= RGB_FLOOR_DB, f"{name} {size}: colour PSNR {psnr(rgb, out.rgb):.1f} dB"
        assert psnr(pair.thermal, out.thermal) >= THERMAL_FLOOR_DB, f"{name} {size}: thermal PSNR too low"


ENCODING_CASES = [
    (name, r, t)
    for name in registry.names()
    for r in enc.COLOUR_ENCODINGS
    for t in enc.THERMAL_ENCODINGS
    if name in CLASSICAL or (r, t) in LEARNED_ENCODINGS
]


@pytest.mark.parametrize(("name", "rgb_encoding", "thermal_encoding"), ENCODING_CASES)
def test_roundtrip_encodings(name, rgb_encoding, thermal_encoding):
    codec = make_codec(name)
    pair, rgb = make_pair(45, 61, 30, 38, rgb_encoding, thermal_encoding, seed=7)
    out, _ = roundtrip(codec, pair, 0.9)
    assert_same_layout(out, pair)
    if name in CLASSICAL:
        assert psnr(rgb, enc.colour_to_rgb(out.rgb, rgb_encoding)) >= RGB_FLOOR_DB
        # mono16 error is judged against the frame's own range, in the original counts
        peak = float(np.ptp(pair.thermal)) if thermal_encoding == "mono16" else 255.0
        assert psnr(pair.thermal, out.thermal, peak=peak) >= THERMAL_FLOOR_DB


@pytest.mark.parametrize("name", CLASSICAL)
def test_fewer_bytes_at_low_quality(name):
    codec = make_codec(name)
    pair, _ = make_pair(64, 80, 48, 60, seed=3)
    low = codec.encode(pair, 0.1)
    high = codec.encode(pair, 0.9)
    assert low.byte_count().total < high.byte_count().total
    assert len(container.dumps(low)) < len(container.dumps(high))
