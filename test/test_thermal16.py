"""mono16 radiometric thermal: the mapping to 8 bits and back is bounded in original counts, the
range travels in the stream, and a codec's error scales back to counts by (hi - lo) / 255."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import synthetic_pair
from rgbir_compress import container
from rgbir_compress.codecs import registry, thermal16
from rgbir_compress.frame import ImagePair


def mapping_bound(lo: int, hi: int) -> float:
    """Half an 8-bit step in counts, plus the final rounding to integer counts."""
    return (hi - lo) / 510 + 0.5


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.uint16, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)))
def test_mapping_roundtrip_error_bound(frame):
    t8, lo, hi = thermal16.to_8bit(frame)
    assert t8.dtype == np.uint8 and t8.shape == frame.shape
    assert 0 <= lo < hi <= 65535
    back = thermal16.from_8bit(t8, lo, hi)
    assert back.dtype == np.uint16 and back.shape == frame.shape
    err = np.abs(back.astype(np.int64) - frame.astype(np.int64))
    assert err.max() <= mapping_bound(lo, hi)


@pytest.mark.parametrize("value", [0, 1, 20000, 65534, 65535])
def test_constant_frames_come_back_exactly(value):
    frame = np.full((5, 7), value, np.uint16)
    t8, lo, hi = thermal16.to_8bit(frame)
    np.testing.assert_array_equal(thermal16.from_8bit(t8, lo, hi), frame)


def test_range_endpoints_are_exact():
    frame = np.array([[7000, 9000], [8000, 7000]], np.uint16)  # a Boson-like 14-bit scene
    t8, lo, hi = thermal16.to_8bit(frame)
    assert (lo, hi) == (7000, 9000) and t8.min() == 0 and t8.max() == 255
    back = thermal16.from_8bit(t8, lo, hi)
    assert back[0, 0] == 7000 and back[0, 1] == 9000


@pytest.mark.parametrize("name", ["jpeg", "hevc"])
def test_codec_error_in_original_units(name):
    """The codec codes exactly to_8bit(frame); its 8-bit error maps back scaled by (hi - lo)/255."""
    rgb, ir = synthetic_pair(48, 64, 40, 52, seed=4, mono16=True)
    codec = registry.create(name)
    cp = codec.encode(ImagePair(rgb, ir), 0.8)
    assert (cp.thermal_lo, cp.thermal_hi) == (int(ir.min()), int(ir.max()))
    out = codec.decode(container.loads(container.dumps(cp)))
    assert out.thermal.dtype == np.uint16 and out.thermal.shape == ir.shape

    t8, lo, hi = thermal16.to_8bit(ir)
    cp8 = codec.encode(ImagePair(rgb, t8), 0.8)
    assert cp8.thermal_data == cp.thermal_data and (cp8.thermal_lo, cp8.thermal_hi) == (0, 0)
    dec8 = codec.decode(cp8).thermal
    err8 = np.abs(dec8.astype(np.int64) - t8.astype(np.int64))
    err16 = np.abs(out.thermal.astype(np.int64) - ir.astype(np.int64))
    assert err16.max() <= err8.max() * (hi - lo) / 255 + mapping_bound(lo, hi)
    rmse8 = np.sqrt(np.mean(err8.astype(float) ** 2))
    rmse16 = np.sqrt(np.mean(err16.astype(float) ** 2))
    assert rmse16 <= rmse8 * (hi - lo) / 255 + mapping_bound(lo, hi)
