"""RGB <-> YUV 4:2:0 (rgbir_compress/yuv.py): BT.601 full range, centred chroma, box down /
bilinear up. The matrix inverts exactly, 8-bit planes cost at most one level, 4:2:0 keeps uniform
chroma exactly, odd sizes work, and the torch maps the models use equal the numpy ones."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import synthetic_pair
from rgbir_compress import yuv


def test_matrix_inverse_is_exact():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (512, 512, 3)).astype(np.float64) / 255
    back = yuv.yuv444_to_rgb(yuv.rgb_to_yuv444(rgb))
    assert np.abs(back - rgb).max() < 1e-12


def test_uint8_planes_cost_at_most_one_level_in_444():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    planes = np.rint(yuv.rgb_to_yuv444(rgb / 255.0) * 255) / 255
    back = np.clip(np.rint(yuv.yuv444_to_rgb(planes) * 255), 0, 255)
    assert np.abs(back - rgb).max() <= 1


def test_known_jfif_values():
    red = yuv.rgb_to_yuv420(np.array([[[255, 0, 0]]], np.uint8))
    assert (red.y[0, 0], red.u[0, 0], red.v[0, 0]) == (76, 85, 255)  # JPEG's red
    grey = yuv.rgb_to_yuv420(np.full((5, 7, 3), 93, np.uint8))
    assert np.all(grey.y == 93) and np.all(grey.u == 128) and np.all(grey.v == 128)


@pytest.mark.parametrize("hw", [(1, 1), (3, 5), (17, 23), (64, 48)])
def test_grey_survives_420_exactly_at_any_size(hw):
    rng = np.random.default_rng(sum(hw))
    grey = np.repeat(rng.integers(0, 256, hw + (1,), dtype=np.uint8), 3, axis=2)
    planes = yuv.rgb_to_yuv420(grey)
    assert planes.y.shape == hw and planes.u.shape == planes.v.shape == ((hw[0] + 1) // 2, (hw[1] + 1) // 2)
    np.testing.assert_array_equal(yuv.yuv420_to_rgb(planes), grey)


def test_uniform_chroma_survives_float_420_exactly():
    rng = np.random.default_rng(2)
    planes = np.stack([rng.random((21, 30)), np.full((21, 30), 0.4), np.full((21, 30), 0.55)], -1)
    rgb = yuv.yuv444_to_rgb(planes)
    back = yuv.yuv420_float_to_rgb(yuv.rgb_to_yuv420_float(rgb))
    assert np.abs(back - rgb).max() < 1e-12


@pytest.mark.parametrize("hw", [(96, 128), (37, 29)])
def test_uint8_420_round_trip_error(hw):
    rgb, _ = synthetic_pair(*hw, seed=3)
    out = yuv.yuv420_to_rgb(yuv.rgb_to_yuv420(rgb))
    assert out.shape == rgb.shape and out.dtype == np.uint8
    mse = np.mean((out.astype(np.float64) - rgb) ** 2)
    # Sharp-edged synthetic colour (a small frame is mostly edges): 4:2:0 comes to about 26-34 dB here.
    assert 10 * np.log10(255**2 / mse) > 25


def test_chroma_filters():
    c = np.arange(12, dtype=np.float64).reshape(3, 4)
    down = yuv.downsample_chroma(c)
    np.testing.assert_allclose(down, [[2.5, 4.5], [8.5, 10.5]])  # last row replicated
    up = yuv.upsample_chroma(np.array([[0.0, 4.0]]), (2, 4))
    np.testing.assert_allclose(up, [[0, 1, 3, 4], [0, 1, 3, 4]])  # 3/4, 1/4 weights, edges replicated


def test_torch_maps_equal_the_numpy_ones():
    torch = pytest.importorskip("torch")
    rgb, _ = synthetic_pair(48, 64, seed=4)
    ref = yuv.rgb_to_yuv420_float(rgb)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].double() / 255
    y, uv = yuv.rgb_to_yuv420_torch(x)
    np.testing.assert_allclose(y[0, 0].numpy(), ref.y, atol=1e-12)
    np.testing.assert_allclose(uv[0, 0].numpy(), ref.u, atol=1e-12)
    np.testing.assert_allclose(uv[0, 1].numpy(), ref.v, atol=1e-12)
    back = yuv.yuv420_to_rgb_torch(y, uv)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(back, yuv.yuv420_float_to_rgb(ref), atol=1e-12)
    with pytest.raises(ValueError):
        yuv.rgb_to_yuv420_torch(x[..., :63])
