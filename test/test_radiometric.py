"""Full-precision mono16 coding (codecs/radiometric): bit-exact lossless, the max-error bound held on
every pixel (checked by hypothesis over random frames and bounds), corrupt or truncated streams
refused, and the real radiometric frames of ../shared/data/thermal16 where that folder is present."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgbir_compress.codecs.radiometric import BACKENDS, METHODS, decode_mono16, encode_mono16, read_header
from rgbir_compress.codecs.radiometric import header as hdr
from rgbir_compress.errors import DecodeError, EncodeError

THERMAL16 = Path(__file__).resolve().parents[2] / "shared" / "data" / "thermal16"
AVAILABLE = [m for m in METHODS if m == "auto" or BACKENDS[m].available]


def camera_like(h: int, w: int, *, lo: int = 6000, span: int = 3000, fpn: float = 4.0, noise: float = 2.0,
                seed: int = 0) -> np.ndarray:
    """A 14-bit-class frame: a smooth scene with a hot blob, column fixed-pattern noise and
    temporal noise, occupying [lo, lo + span]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    scene = 0.3 * x / max(w, 1) + 0.2 * y / max(h, 1)
    scene += 0.6 * np.exp(-(((x - 0.6 * w) / (0.15 * w + 1)) ** 2 + ((y - 0.4 * h) / (0.2 * h + 1)) ** 2))
    img = lo + span * scene / max(scene.max(), 1e-9)
    img += rng.normal(0, fpn, w)[None, :] + rng.normal(0, noise, (h, w))
    return np.clip(np.rint(img), 0, 65535).astype(np.uint16)


def _frames() -> dict[str, np.ndarray]:
    ramp = np.arange(37 * 23, dtype=np.int64).reshape(37, 23)
    extremes = np.zeros((9, 11), np.uint16)
    extremes[::2, 1::3] = 65535
    return {
        "narrow_14bit": camera_like(60, 80, lo=2623, span=110, fpn=1.0, noise=1.0),
        "wide_14bit": camera_like(60, 80, lo=1500, span=14000, fpn=8.0, noise=4.0, seed=1),
        "column_fpn": camera_like(48, 64, lo=17900, span=1300, fpn=25.0, noise=1.0, seed=2),
        "odd_37x23": camera_like(37, 23, seed=3),
        "flat": np.full((16, 24), 7000, np.uint16),
        "one_pixel": np.array([[12345]], np.uint16),
        "one_row": camera_like(1, 50, seed=4),
        "one_column": camera_like(50, 1, seed=5),
        "zeros": np.zeros((8, 8), np.uint16),
        "all_65535": np.full((8, 8), 65535, np.uint16),
        "zero_and_65535": extremes,
        "full_range_ramp": (ramp * 65535 // ramp.max()).astype(np.uint16),
    }


FRAMES = _frames()


@pytest.mark.parametrize("method", AVAILABLE)
@pytest.mark.parametrize("name", sorted(FRAMES))
def test_lossless_is_bit_exact(name, method):
    img = FRAMES[name]
    enc = encode_mono16(img, 0, method)
    assert not enc.fell_back and enc.max_error == 0 and enc.measured_error == 0
    out = decode_mono16(enc.data, img.shape)
    assert out.dtype == np.uint16 and out.shape == img.shape
    np.testing.assert_array_equal(out, img)
    assert np.array_equal(decode_mono16(enc.data), img)  # the stream alone is enough


@pytest.mark.parametrize("method", AVAILABLE)
@pytest.mark.parametrize("name", ["wide_14bit", "zero_and_65535", "one_pixel", "flat", "full_range_ramp"])
@pytest.mark.parametrize("n", [1, 7, 64])
def test_bound_on_edge_frames(name, method, n):
    img = FRAMES[name]
    enc = encode_mono16(img, n, method)
    err = np.abs(decode_mono16(enc.data, img.shape).astype(np.int64) - img)
    assert err.max() <= enc.max_error <= n


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 40), w=st.integers(1, 40), n=st.integers(1, 64),
       lo=st.integers(0, 65535), span=st.integers(0, 16383), kind=st.sampled_from(["camera", "uniform"]),
       method=st.sampled_from(AVAILABLE))
def test_bound_holds_on_every_pixel(seed, h, w, n, lo, span, kind, method):
    if kind == "camera":
        img = camera_like(h, w, lo=min(lo, 65535 - span), span=span, seed=seed % 1000)
    else:
        img = np.random.default_rng(seed).integers(lo, min(lo + span, 65535) + 1, (h, w)).astype(np.uint16)
    enc = encode_mono16(img, n, method)
    out = decode_mono16(enc.data, img.shape)
    assert np.abs(out.astype(np.int64) - img).max() <= n
    assert enc.measured_error <= enc.max_error <= n


def test_a_path_that_misses_the_bound_falls_back_to_lossless(monkeypatch):
    """The encode-time check, not the back-end's promise, is what guarantees the bound."""
    honest = BACKENDS["jpegxl-e1"]

    def lying_encode(samples, near):  # corrupts the samples it claims to code
        return honest.encode((samples ^ 1).astype(samples.dtype), near)

    monkeypatch.setitem(BACKENDS, "jpegxl-e1", dataclasses.replace(honest, encode=lying_encode))
    img = FRAMES["column_fpn"]
    for n in (0, 3):
        enc = encode_mono16(img, n, "jpegxl-e1")
        assert enc.fell_back and enc.method == "jpegls" and enc.requested == "jpegxl-e1" and enc.max_error == 0
        assert read_header(enc.data).fell_back
        np.testing.assert_array_equal(decode_mono16(enc.data, img.shape), img)


@pytest.fixture(scope="module")
def stream():
    img = FRAMES["odd_37x23"]
    return img, encode_mono16(img, 0).data


def test_every_truncation_is_refused(stream):
    img, data = stream
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            decode_mono16(data[:cut], img.shape)
    with pytest.raises(DecodeError):
        decode_mono16(data + b"\0", img.shape)


def test_every_single_byte_corruption_is_refused(stream):
    img, data = stream
    for pos in range(len(data)):
        for flip in (0x01, 0x80):
            bad = bytearray(data)
            bad[pos] ^= flip
            with pytest.raises(DecodeError):
                decode_mono16(bytes(bad), img.shape)


def test_foreign_and_mismatched_streams_are_refused(stream):
    img, data = stream
    for junk in (b"", b"RM16", b"\x89PNG\r\n\x1a\n" + bytes(40), bytes(100)):
        with pytest.raises(DecodeError):
            decode_mono16(junk)
    with pytest.raises(DecodeError, match="expected"):
        decode_mono16(data, (23, 37))
    head = read_header(data)
    payload = data[hdr.SIZE:]
    with pytest.raises(DecodeError, match="unknown method"):
        decode_mono16(hdr.pack(dataclasses.replace(head, method_id=200), payload))
    with pytest.raises(DecodeError, match="implausible size"):
        decode_mono16(hdr.pack(dataclasses.replace(head, height=100000, width=100000), payload))
    with pytest.raises(DecodeError):  # a consistent header over a payload of the wrong size
        decode_mono16(hdr.pack(dataclasses.replace(head, height=38), payload))


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 1), np.uint16),
                                 np.zeros((0, 4), np.uint16), np.zeros((4, 4), np.int32)])
def test_bad_input_is_refused(bad):
    with pytest.raises(EncodeError):
        encode_mono16(bad, 0)


@pytest.mark.parametrize("n, method", [(-1, "auto"), (40000, "auto"), (1.5, "auto"), (0, "webp")])
def test_bad_settings_are_refused(n, method):
    with pytest.raises(EncodeError):
        encode_mono16(FRAMES["flat"], n, method)


# -- the real radiometric frames (../shared/data/thermal16), skipped where absent --------------------------

def _real_frames() -> list[Path]:
    return sorted((THERMAL16 / "frames").glob("*.png")) if (THERMAL16 / "frames").is_dir() else []


@pytest.fixture(scope="module")
def real_frames():
    paths = _real_frames()
    if not paths:
        pytest.skip("../shared/data/thermal16 is not present")
    from PIL import Image

    return {p.stem: np.asarray(Image.open(p)) for p in paths}


def test_real_frames_lossless_exact(real_frames):
    for name, img in real_frames.items():
        assert img.dtype == np.uint16, name
        enc = encode_mono16(img, 0)
        assert not enc.fell_back, name
        np.testing.assert_array_equal(decode_mono16(enc.data, img.shape), img, err_msg=name)
        assert len(enc.data) < img.nbytes / 1.5, name


@pytest.mark.parametrize("n", [1, 2, 4])
def test_real_frames_hold_the_bound(real_frames, n):
    for name, img in real_frames.items():
        enc = encode_mono16(img, n)
        err = np.abs(decode_mono16(enc.data, img.shape).astype(np.int64) - img).max()
        assert err <= n and not enc.fell_back, name
