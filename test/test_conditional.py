"""Issue 6: the cross-modal conditional codec (channel + spatial alignment), with untrained small
widths: both directions train and round-trip through the container and the ROS message, the
affine coefficients are present (64 + 64 float32) and used by the decoder, odd and unequal sizes
work, the ablation switches build and run, and the training loop trains it."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from conftest import synthetic_pair
from train_support import TINY_CONFIG, tiny_overrides, write_synthetic_set

from rgbir_compress import container
from rgbir_compress.codecs import registry
from rgbir_compress.codecs.learned.attention import WindowStage, shifted_window_mask
from rgbir_compress.codecs.learned.codec import ConditionalCodec, HyperpriorCodec
from rgbir_compress.codecs.learned.zoo import build
from rgbir_compress.container import message
from rgbir_compress.errors import DecodeError
from rgbir_compress.frame import ImagePair, Stamp

SMALL = {"N_ref": 16, "M_ref": 24, "N": 16, "M": 24, "F": 64, "attn_dim": 12, "heads": 3, "levels": 3}
DIRECTIONS = ("rgb", "ir")


def make_model(reference: str = "rgb", seed: int = 0, **overrides):
    """A small conditional model; init_reference_from / init_current_from warm-start it the way a
    training config does (train/warm_start.py)."""
    from rgbir_compress.train.warm_start import build_warm_started

    torch.manual_seed(seed)
    return build_warm_started("conditional", {**SMALL, "reference": reference, **overrides})


def make_codec(model) -> ConditionalCodec:
    m = copy.deepcopy(model).eval()
    m.update(force=True)
    return ConditionalCodec.from_module(m)


@pytest.fixture(scope="module", params=DIRECTIONS)
def codec(request) -> ConditionalCodec:
    return make_codec(make_model(request.param))


def current_image(codec: ConditionalCodec, pair: ImagePair) -> np.ndarray:
    return pair.thermal if codec.module.reference == "rgb" else pair.rgb


def reference_image(codec: ConditionalCodec, pair: ImagePair) -> np.ndarray:
    return pair.rgb if codec.module.reference == "rgb" else pair.thermal


@pytest.mark.parametrize("reference", DIRECTIONS)
def test_forward_backward_reaches_every_conditional_part(reference):
    model = make_model(reference).train()
    rgb, ir = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64)
    out = model(rgb, ir, torch.tensor([0.1, 0.9]))
    current = "ir" if reference == "rgb" else "rgb"
    assert {"loss", "bpp_rgb", "psnr_rgb", "bpp_ir", "psnr_ir", "bpp_affine"} <= set(out)
    assert torch.isfinite(out["loss"])
    assert float(out["bpp_affine"]) == pytest.approx(2 * 64 * 32 / (64 * 64))
    (out["loss"] + model.aux_loss()).backward()
    cur = model.cur
    for part in (cur.feat_cur, cur.feat_ref, cur.align, cur.sam, cur.feature_decoder, cur.g_a, model.ref.g_a):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters()), part
    assert out[f"bpp_{current}"] > 0 and out[f"bpp_{reference}"] > 0


def test_container_round_trip_carries_and_uses_the_coefficients(codec):
    rgb, ir = synthetic_pair(70, 90, seed=1)
    cp = codec.encode(ImagePair(rgb, ir), 0.5)
    assert cp.codec == "conditional" and cp.model_id == "conditional@untracked"
    assert cp.affine_gamma.dtype == np.float32 and cp.affine_gamma.shape == (64,)
    assert cp.affine_beta.dtype == np.float32 and cp.affine_beta.shape == (64,)
    assert cp.byte_count().total == len(cp.rgb_data) + len(cp.thermal_data) + 512 == cp.byte_count().rgb + cp.byte_count().thermal
    back = container.loads(container.dumps(cp))
    np.testing.assert_array_equal(back.affine_gamma, cp.affine_gamma)
    np.testing.assert_array_equal(back.affine_beta, cp.affine_beta)
    dec = codec.decode(back)
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape
    again = codec.decode(cp)
    np.testing.assert_array_equal(dec.rgb, again.rgb)
    np.testing.assert_array_equal(dec.thermal, again.thermal)

    # Altered coefficients change the conditioned modality only: the decoder uses what it receives.
    altered = copy.copy(cp)
    altered.affine_gamma = cp.affine_gamma * 3 + 0.5
    altered.affine_beta = cp.affine_beta - 2.0
    dec2 = codec.decode(altered)
    assert not np.array_equal(current_image(codec, dec2), current_image(codec, dec))
    np.testing.assert_array_equal(reference_image(codec, dec2), reference_image(codec, dec))


def test_decoder_rejects_bad_coefficients(codec):
    rgb, ir = synthetic_pair(64, 64, seed=2)
    cp = codec.encode(ImagePair(rgb, ir), 0.3)
    for gamma in (cp.affine_gamma[:10], np.zeros(0, np.float32), np.full(64, np.nan, np.float32)):
        bad = copy.copy(cp)
        bad.affine_gamma = gamma
        with pytest.raises(DecodeError):
            codec.decode(bad)


def test_message_round_trip_with_a_stand_in_class(codec):
    rgb, ir = synthetic_pair(66, 81, seed=3)
    cp = codec.encode(ImagePair(rgb, ir, stamp=Stamp(5, 6), frame_id="cam"), 0.7)
    msg = message.to_message(cp, SimpleNamespace, SimpleNamespace, SimpleNamespace)
    msg.affine_gamma = [float(v) for v in msg.affine_gamma]  # rclpy hands float32[] over as a sequence
    back = message.from_message(msg)
    assert back.stamp == Stamp(5, 6) and back.frame_id == "cam"
    np.testing.assert_array_equal(back.affine_gamma, cp.affine_gamma)
    a, b = codec.decode(back), codec.decode(cp)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.thermal, b.thermal)


def test_message_round_trip_with_the_ros_message(codec):
    try:
        from builtin_interfaces.msg import Time
        from std_msgs.msg import Header

        from rgbir_compress.msg import CompressedRGBIR
    except ImportError:
        pytest.skip("the generated rgbir_compress.msg is not importable")
    rgb, ir = synthetic_pair(64, 80, seed=4)
    cp = codec.encode(ImagePair(rgb, ir), 0.2)
    back = message.from_message(message.to_message(cp, CompressedRGBIR, Header, Time))
    np.testing.assert_array_equal(back.affine_beta, cp.affine_beta)
    a, b = codec.decode(back), codec.decode(cp)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.thermal, b.thermal)


@pytest.mark.parametrize("sizes", [((70, 90), (50, 66)), ((33, 47), (65, 129)), ((1, 3), (2, 1))])
def test_odd_and_unequal_sizes(codec, sizes):
    (h, w), (th, tw) = sizes
    rgb, ir = synthetic_pair(h, w, th, tw, seed=5, mono16=True)
    pair = ImagePair(rgb, ir, thermal_encoding="mono16")
    dec = codec.decode(container.loads(container.dumps(codec.encode(pair, 0.4))))
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape and dec.thermal.dtype == np.uint16


@pytest.mark.parametrize("channel_align,spatial_align", [(False, True), (True, False), (False, False)])
def test_ablation_switches(channel_align, spatial_align):
    model = make_model("rgb", channel_align=channel_align, spatial_align=spatial_align)
    assert (model.cur.align is not None) == channel_align and (model.cur.sam is not None) == spatial_align
    out = model.train()(torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64), torch.tensor([0.5]))
    out["loss"].backward()
    codec = make_codec(model)
    rgb, ir = synthetic_pair(40, 72, seed=6)
    cp = codec.encode(ImagePair(rgb, ir), 0.5)
    assert cp.affine_gamma.size == cp.affine_beta.size == (64 if channel_align else 0)
    dec = codec.decode(container.loads(container.dumps(cp)))
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape


@pytest.fixture(scope="module")
def baseline_weights(tmp_path_factory):
    from rgbir_compress.train.checkpoint import export_weights

    torch.manual_seed(1)
    baseline = build("hyperprior", N=16, M=24, N_ir=16, M_ir=24, levels=3)
    return export_weights(baseline, tmp_path_factory.mktemp("baseline") / "hyperprior.pth")


@pytest.mark.parametrize("reference", DIRECTIONS)
def test_reference_branch_is_the_baseline(tmp_path, baseline_weights, reference):
    """Warm start from the hyperprior baseline's weights: the reference modality's stream and
    reconstruction are then byte-identical to the baseline codec's, and freezing keeps it so."""
    path = baseline_weights
    model = make_model(reference, init_reference_from=str(path), freeze_reference=True)
    assert "init_reference_from" not in model.config and model.config["freeze_reference"]
    assert not any(p.requires_grad for p in model.ref.parameters())
    model.train()
    assert not model.ref.training and model.cur.training
    base = HyperpriorCodec(device="cpu", weights=str(path))
    codec = make_codec(model)
    rgb, ir = synthetic_pair(48, 80, seed=7)
    a, b = codec.encode(ImagePair(rgb, ir), 0.6), base.encode(ImagePair(rgb, ir), 0.6)
    field = "rgb_data" if reference == "rgb" else "thermal_data"
    assert getattr(a, field) == getattr(b, field)
    da, db = codec.decode(a), base.decode(b)
    np.testing.assert_array_equal(reference_image(codec, da), reference_image(codec, db))
    with pytest.raises(ValueError, match="does not fit"):
        make_model(reference, N_ref=32, init_reference_from=str(path))
    with pytest.raises(FileNotFoundError):
        make_model(reference, init_reference_from=str(tmp_path / "missing.pth"))


@pytest.mark.parametrize("reference", DIRECTIONS)
def test_current_branch_starts_as_the_baseline(baseline_weights, reference):
    """init_current_from: the conditional coder starts as the baseline's coder of its modality
    (every reference path at zero), so training starts from the baseline's RD; its widths must fit."""
    from rgbir_compress.codecs.learned.weights import load_model_state

    path = str(baseline_weights)
    model = make_model(reference, F=16, init_reference_from=path, init_current_from=path).eval()
    base = build("hyperprior", N=16, M=24, N_ir=16, M_ir=24, levels=3)
    load_model_state(base, path)
    base.eval()
    torch.manual_seed(3)
    rgb, ir, q = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64), torch.tensor([0.1, 0.9])
    with torch.no_grad():
        x_cur = ir if reference == "rgb" else rgb
        ref_out = model._ref_forward(*model.split(rgb, ir)[:1], q)
        ref_img, feats = model._ref_for_current(ref_out["x_hat"], ref_out["feats"], (64, 64), (64, 64))
        cur = model.cur(x_cur, ref_img, feats, q)
        own = getattr(base, model.current)(x_cur, q)
    torch.testing.assert_close(cur["x_hat"], own["x_hat"], atol=1e-4, rtol=1e-4)
    for key in own["likelihoods"]:
        torch.testing.assert_close(cur["likelihoods"][key], own["likelihoods"][key], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="widths"):
        make_model(reference, F=32, init_current_from=path)  # F must equal N to take g_a's weights


def test_hyperprior_pair_can_train_one_modality():
    """trainable="ir": the control run of the conditional codec trains the thermal coder alone."""
    model = build("hyperprior", N=16, M=24, N_ir=16, M_ir=24, levels=3, trainable="ir")
    assert not any(p.requires_grad for p in model.rgb.parameters())
    assert all(p.requires_grad for p in model.ir.parameters())
    out = model(torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64), torch.tensor([0.2, 0.7]))
    assert set(out) == {"loss", "bpp_ir", "psnr_ir"}
    out["loss"].backward()
    assert all(p.grad is None for p in model.rgb.parameters())
    with pytest.raises(ValueError):
        build("hyperprior", trainable="thermal")


def test_cross_attention_masks_and_shapes():
    # Padding and shifted windows: no query may see a padded key or a key from another region.
    mask = shifted_window_mask(8, 8, 6, 7, 4, (2, 2), torch.device("cpu"))
    assert mask.shape == (4, 16, 16) and (mask.diagonal(dim1=1, dim2=2) == 0).all()
    assert shifted_window_mask(8, 8, 8, 8, 4, (0, 0), torch.device("cpu")) is None
    stage = WindowStage(12, heads=3, window=4, depth=2, cross=True)
    x, ctx = torch.randn(2, 12, 9, 11), torch.randn(2, 12, 9, 11)
    y = stage(x, ctx)
    assert y.shape == x.shape
    ctx2 = ctx.clone()
    ctx2[..., 0, 0] += 10  # keys/values come from the context: changing it changes the output
    assert not torch.allclose(stage(x, ctx2), y)
    with pytest.raises(ValueError):
        stage(x, None)
    assert WindowStage(12, depth=2)(x).shape == x.shape  # the same classes do self-attention


@pytest.mark.parametrize("name,reference", [("conditional", "rgb"), ("conditional_ir2rgb", "ir")])
def test_shipped_training_configs_build(name, reference):
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.warm_start import build_warm_started

    path = TINY_CONFIG.with_name(f"{name}.yaml")
    cfg = TrainConfig.from_yaml(path, ["model.init_reference_from=''", "model.init_current_from=''"])
    model = build_warm_started(cfg.arch, cfg.model)
    assert model.reference == reference and model.affine_size == 64 and model.freeze_reference


def test_three_steps_of_the_training_loop(tmp_path):
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.loop import train

    manifest = write_synthetic_set(tmp_path / "synth", n_train=2, n_val=1)
    model = "{reference: ir, N_ref: 16, M_ref: 24, N: 16, M: 24, F: 64, attn_dim: 12, levels: 3}"
    out = tmp_path / "run"
    cfg = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, out, arch="conditional", model=model,
                                                             steps=3, ckpt_every=3))
    result = train(cfg, quiet=True)
    assert result.step == 3 and (out / "weights.pth").is_file() and (out / "val.jsonl").is_file()
    codec = registry.create("conditional", device="cpu", weights=str(out / "weights.pth"))
    assert codec.module.reference == "ir" and codec.model_id.startswith("conditional@")
    rgb, ir = synthetic_pair(50, 70, seed=8)
    cp = codec.encode(ImagePair(rgb, ir), 0.5)
    assert cp.affine_gamma.size == 64
    assert codec.decode(cp).rgb.shape == rgb.shape
