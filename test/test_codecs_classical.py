"""Classical codecs: quality maps as data, rate monotone in quality, options, and decoders that
answer altered or foreign bitstreams with DecodeError (or a correctly-shaped image), never a crash."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import synthetic_pair
from rgbir_compress import container
from rgbir_compress.codecs import registry
from rgbir_compress.codecs.catalog import CODECS
from rgbir_compress.codecs.classical import ClassicalCodec, QualityMap
from rgbir_compress.errors import DecodeError
from rgbir_compress.frame import ImagePair

EXPECTED = ("avif", "hevc", "jpeg", "jpegxl", "webp")


def _registered_classical() -> list[str]:
    return [name for name in registry.names() if CODECS[name].target.startswith("rgbir_compress.codecs.classical.")]


CLASSICAL = _registered_classical()


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(peak**2 / max(mse, 1e-10))


@pytest.fixture(scope="module")
def codecs() -> dict[str, ClassicalCodec]:
    return {name: registry.create(name) for name in CLASSICAL}


@pytest.fixture(scope="module")
def encoded(codecs):
    """One pair (colour and thermal of different sizes) encoded by every codec at q=0.5."""
    rgb, ir = synthetic_pair(40, 56, 24, 30, seed=5)
    return {name: (c.encode(ImagePair(rgb, ir), 0.5), rgb, ir) for name, c in codecs.items()}


def test_the_expected_codecs_are_registered():
    assert set(EXPECTED) <= set(CLASSICAL)


# -- quality maps ----------------------------------------------------------------------------------
def test_quality_map_linear_log_and_rounding():
    m = QualityMap("x", 5, 95)
    assert (m(0), m(0.5), m(1)) == (5, 50, 95) and isinstance(m(0.3), int)
    assert m(-1) == 5 and m(2) == 95  # clamped
    lg = QualityMap("d", 16.0, 0.25, scale="log", digits=3)
    assert lg(0) == 16.0 and lg(1) == 0.25 and lg(0.5) == pytest.approx(2.0)
    assert "log-linear" in lg.describe() and "16 (q=0)" in lg.describe()
    with pytest.raises(ValueError):
        QualityMap("bad", 0.0, 1.0, scale="log")


@pytest.mark.parametrize("name", CLASSICAL)
def test_quality_help_describes_the_map(name):
    cls = registry.get_class(name)
    # speed presets (catalog.py entries with options) append their encoder settings after the map
    assert cls.quality_help.startswith(cls.quality_map.describe())
    assert "(q=0)" in cls.quality_help and "(q=1)" in cls.quality_help


@pytest.mark.parametrize("name", CLASSICAL)
def test_native_setting_is_monotone_in_quality(name):
    qmap = registry.get_class(name).quality_map
    values = np.array([qmap(q) for q in np.linspace(0, 1, 101)], dtype=float)
    steps = np.diff(values) * np.sign(qmap.at1 - qmap.at0)
    assert np.all(steps >= 0), f"{name}: native setting not monotone in q"
    assert values[0] == pytest.approx(qmap.at0) and values[-1] == pytest.approx(qmap.at1)


@pytest.mark.parametrize("name", CLASSICAL)
def test_bytes_and_psnr_rise_with_quality(codecs, name):
    rgb, ir = synthetic_pair(64, 80, 48, 60, seed=11)
    codec = codecs[name]
    sizes, quality = [], []
    for q in (0.1, 0.5, 0.9):
        cp = codec.encode(ImagePair(rgb, ir), q)
        out = codec.decode(cp)
        sizes.append((len(cp.rgb_data), len(cp.thermal_data)))
        quality.append((psnr(rgb, out.rgb), psnr(ir, out.thermal)))
    for modality in (0, 1):
        col = [s[modality] for s in sizes]
        assert col[0] < col[1] < col[2], f"{name}: bytes not increasing with q: {sizes}"
        assert quality[2][modality] > quality[0][modality], f"{name}: PSNR not rising with q: {quality}"


# -- identity and options --------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSICAL)
def test_model_id_names_library_and_version(codecs, name):
    model_id = codecs[name].model_id
    assert model_id == type(codecs[name]).library_version()
    assert any(ch.isdigit() for ch in model_id) and "-" in model_id


@pytest.mark.parametrize("name", CLASSICAL)
def test_unknown_option_names_the_valid_ones(name):
    with pytest.raises(TypeError, match="valid"):
        registry.create(name, no_such_option=1)


def test_encoder_options_override_defaults():
    rgb, ir = synthetic_pair(48, 64, seed=2)
    plain = registry.create("jpeg", optimize=False).encode(ImagePair(rgb, ir), 0.5)
    optimized = registry.create("jpeg").encode(ImagePair(rgb, ir), 0.5)
    assert len(optimized.rgb_data) < len(plain.rgb_data)
    assert registry.create("avif", speed=9).options["speed"] == 9


# -- decoders facing bad input ---------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSICAL)
def test_other_library_version_still_decodes(codecs, encoded, name):
    """A standard format written by another library version decodes (model_id is provenance)."""
    cp, _, _ = encoded[name]
    out = codecs[name].decode(dataclasses.replace(cp, model_id=cp.model_id + "-other"))
    assert out.rgb.shape[:2] == (cp.rgb_height, cp.rgb_width)


@pytest.mark.parametrize("name", CLASSICAL)
def test_foreign_and_degenerate_streams_raise_decode_error(codecs, encoded, name):
    codec = codecs[name]
    cp, _, _ = encoded[name]
    other = encoded["jpeg" if name != "jpeg" else "webp"][0]
    bad_inputs = {
        "empty colour": dataclasses.replace(cp, rgb_data=b""),
        "empty thermal": dataclasses.replace(cp, thermal_data=b""),
        "random colour": dataclasses.replace(cp, rgb_data=bytes(range(256)) * 3),
        "other codec's colour": dataclasses.replace(cp, rgb_data=other.rgb_data),
        "streams swapped": dataclasses.replace(cp, rgb_data=cp.thermal_data, thermal_data=cp.rgb_data),
        "colour size off by one": dataclasses.replace(cp, rgb_width=cp.rgb_width + 1),
        "thermal size off by one": dataclasses.replace(cp, thermal_height=cp.thermal_height - 1),
        "affine coefficients": dataclasses.replace(
            cp, affine_gamma=np.ones(3, np.float32), affine_beta=np.zeros(3, np.float32)
        ),
        "other codec name": dataclasses.replace(cp, codec="not-" + name),
    }
    for label, bad in bad_inputs.items():
        with pytest.raises(DecodeError):
            codec.decode(bad)
            pytest.fail(f"{name}: {label} decoded without DecodeError")


_MUTATION = st.tuples(
    st.sampled_from(["rgb_data", "thermal_data"]),
    st.sampled_from(["flip", "truncate", "overwrite", "insert"]),
    st.integers(0, 10**6),
    st.binary(min_size=1, max_size=16),
)


def _mutate(data: bytes, kind: str, where: int, junk: bytes) -> bytes:
    buf = bytearray(data)
    i = where % len(buf)
    if kind == "flip":
        buf[i] ^= 1 << (junk[0] % 8)
    elif kind == "truncate":
        del buf[i:]
    elif kind == "overwrite":
        buf[i : i + len(junk)] = junk
    else:
        buf[i:i] = junk
    return bytes(buf)


@pytest.mark.parametrize("name", CLASSICAL)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_MUTATION)
def test_altered_bitstream_with_valid_crc_never_crashes(codecs, encoded, name, mutation):
    """The container's CRC is recomputed over the altered stream, so only the codec stands guard."""
    field, kind, where, junk = mutation
    cp, rgb, ir = encoded[name]
    altered = dataclasses.replace(cp, **{field: _mutate(getattr(cp, field), kind, where, junk)})
    received = container.loads(container.dumps(altered))
    try:
        out = codecs[name].decode(received)
    except DecodeError:
        return
    assert out.rgb.shape == rgb.shape and out.rgb.dtype == np.uint8
    assert out.thermal.shape == ir.shape and out.thermal.dtype == ir.dtype
