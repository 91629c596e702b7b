"""Issue 7: the joint codec (YUV 4:2:0 colour + thermal, channel-wise cross-modality entropy
model). Untrained small widths: it builds, trains in both stages through the real trainer,
round-trips through the container and the message at odd and unequal sizes, its slices decode to
exactly the encoder's quantised latents, the slice dependencies are the stated ones, and every
ablation builds."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from conftest import synthetic_pair
from train_support import TINY_CONFIG, tiny_overrides, write_synthetic_set

from rgbir_compress import container
from rgbir_compress.codecs.learned import zoo
from rgbir_compress.codecs.learned.codec import JointCodec
from rgbir_compress.container import message
from rgbir_compress.errors import DecodeError
from rgbir_compress.frame import ImagePair

TINY = {"N": 16, "M": 24, "N_ir": 16, "M_ir": 16, "slices": 3, "ctx": 16, "heads": 2, "window": 4,
        "swin_depth": 2, "cross_depth": 1, "ctx_heads": 2, "agents": 2, "levels": 3}
ABLATIONS = [{"lceb": False}, {"lcfb": False}, {"direction": "rgb_to_ir"}, {"direction": "none"},
             {"lceb": False, "lcfb": False}, {"cross": "inclusive"}, {"cross": "inclusive", "lcfb": False},
             {"cross": "inclusive", "direction": "rgb_to_ir"}]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Two threads on two busy cores run several times slower than one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def build(**over):
    torch.manual_seed(0)
    return zoo.build("joint", **{**TINY, **over})


def ready(model):
    model.eval()
    model.update(force=True)
    return model


@pytest.fixture(scope="module")
def codec():
    return JointCodec.from_module(ready(build()))


def test_forward_backward_reaches_every_trainable_parameter():
    model = build()
    out = model(torch.rand(2, 3, 64, 128), torch.rand(2, 1, 64, 128), torch.tensor([0.1, 0.9]))
    assert {"loss", "bpp_rgb", "psnr_yuv", "psnr_rgb", "bpp_ir", "psnr_ir"} <= set(out)
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    missing = [n for n, p in model.named_parameters()
               if p.requires_grad and p.grad is None and not n.endswith(".quantiles")]
    assert not missing, missing[:5]  # DDP needs every trainable parameter used
    assert torch.isfinite(model.aux_loss())


def test_stage_one_trains_the_colour_alone_and_stage_two_starts_where_it_ended():
    model = build()
    rgb, ir, q = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64), torch.tensor([0.3, 0.7])
    model.set_stage("y")
    frozen = {id(p) for mod in model.thermal_and_cross_modules() for p in mod.parameters()}
    assert all(not p.requires_grad for p in model.parameters() if id(p) in frozen)
    out = model(rgb, ir, q)
    assert "bpp_ir" not in out
    out["loss"].backward()
    assert all(p.grad is not None for n, p in model.named_parameters()
               if p.requires_grad and not n.endswith(".quantiles"))
    model.eval()
    with torch.no_grad():
        y_terms = model(rgb, ir, q)
        model.set_stage("joint")
        joint_terms = model(rgb, ir, q)
    # Zero gates and zero fusion projections: switching the thermal on leaves the colour unchanged.
    for key in ("bpp_rgb", "psnr_yuv", "psnr_rgb"):
        assert torch.equal(y_terms[key], joint_terms[key]), key
    with pytest.raises(ValueError):
        model.set_stage("ir")


@pytest.mark.parametrize("sizes", [((37, 29), (37, 29)), ((70, 90), (50, 61)), ((33, 47), (65, 129)),
                                   ((1, 3), (2, 1))])
def test_container_round_trip_at_odd_and_unequal_sizes(codec, sizes):
    (h, w), (th, tw) = sizes
    rgb, ir = synthetic_pair(h, w, th, tw, seed=h + th, mono16=th == 65)
    pair = ImagePair(rgb, ir, thermal_encoding="mono16" if ir.dtype == np.uint16 else "mono8")
    cp = codec.encode(pair, 0.6)
    assert cp.codec == "joint" and cp.model_id == "joint@untracked" and len(cp.rgb_data) and len(cp.thermal_data)
    out = codec.decode(container.loads(container.dumps(cp)))
    assert out.rgb.shape == rgb.shape and out.rgb.dtype == np.uint8
    assert out.thermal.shape == ir.shape and out.thermal.dtype == ir.dtype
    again = codec.decode(cp)
    np.testing.assert_array_equal(out.rgb, again.rgb)  # decoding is deterministic
    np.testing.assert_array_equal(out.thermal, again.thermal)


def test_message_round_trip(codec):
    rgb, ir = synthetic_pair(66, 81, 40, 52, seed=3)
    cp = codec.encode(ImagePair(rgb, ir), 0.7)
    back = message.from_message(message.to_message(cp, SimpleNamespace, SimpleNamespace, SimpleNamespace))
    a, b = codec.decode(back), codec.decode(cp)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.thermal, b.thermal)


def test_truncated_streams_raise_decode_error(codec):
    rgb, ir = synthetic_pair(40, 40, seed=4)
    cp = codec.encode(ImagePair(rgb, ir), 0.5)
    cp.thermal_data = cp.thermal_data[:3]
    with pytest.raises(DecodeError):
        codec.decode(cp)


@pytest.mark.parametrize("cross", ["previous", "inclusive"])
@pytest.mark.parametrize("direction", ["ir_to_rgb", "rgb_to_ir"])
def test_slices_decode_to_the_encoder_latents(direction, cross):
    model = ready(build(direction=direction, cross=cross))
    rgb_hw, ir_hw = (100, 150), (50, 61)
    rgb, ir = torch.rand(1, 3, 128, 192), torch.rand(1, 1, 64, 64)
    with torch.inference_mode():
        enc = model.compress(rgb, ir, rgb_hw, ir_hw, 0.4)
        dec = model.decompress_latents(enc["strings"], rgb_hw, ir_hw, 0.4)
        for m in ("rgb", "ir"):
            assert len(enc["strings"][m]) == 1 + TINY["slices"]
            assert torch.equal(dec[m], enc["y_hat"][m]), m
        # The source modality decodes from its own strings alone: it never waits for the other.
        source = model.entropy.source
        alone = model.entropy.decompress(
            {source: enc["strings"][source]}, {source: model_latent_shapes(rgb_hw, ir_hw)[source]},
            {source: model._gains(source, 0.4, 1, rgb)[2:]}, None)
        assert torch.equal(alone[source], enc["y_hat"][source])


def model_latent_shapes(rgb_hw, ir_hw):
    from rgbir_compress.codecs.learned.models.contract import latent_grids

    return {"rgb": latent_grids(rgb_hw), "ir": latent_grids(ir_hw)}


@pytest.mark.parametrize("cross,reach", [("previous", 0), ("inclusive", 1)])
def test_colour_slice_k_depends_on_the_stated_thermal_slices(cross, reach):
    """Gradients of each colour slice's likelihood with respect to the thermal latent: nonzero
    exactly on thermal slices < k ("previous") or <= k ("inclusive", slice 0 included), and the
    thermal never depends on the colour."""
    model = build(cross=cross)
    rgb_codec = model.entropy.codecs["rgb"]
    extra = [rgb_codec.fusion0] if cross == "inclusive" else []
    for mod in [*rgb_codec.fusions, *extra]:  # zero-initialised: give them weights
        torch.nn.init.normal_(mod.proj.weight, std=0.1)
    model.eval()
    y_rgb = torch.randn(1, TINY["M"], 4, 4, requires_grad=True)
    y_ir = torch.randn(1, TINY["M_ir"], 4, 4, requires_grad=True)
    gains = {m: model._gains(m, 0.5, 1, y_rgb) for m in ("rgb", "ir")}
    out = model.entropy({"rgb": y_rgb * 4, "ir": y_ir * 4}, gains)
    sizes_rgb, sizes_ir = model.entropy.codecs["rgb"].sizes, model.entropy.codecs["ir"].sizes
    edges = np.cumsum([0] + sizes_ir)
    for k, lik in enumerate(out["likelihoods"]["rgb"]["y"].split(sizes_rgb, 1)):
        (g,) = torch.autograd.grad(lik.log().sum(), y_ir, retain_graph=True, allow_unused=True)
        per_slice = [0.0 if g is None else g[:, edges[j]:edges[j + 1]].abs().sum().item() for j in range(len(sizes_ir))]
        assert all(v > 0 for v in per_slice[: k + reach]), (k, per_slice)
        assert all(v == 0 for v in per_slice[k + reach:]), (k, per_slice)
    lik_ir = out["likelihoods"]["ir"]
    (g,) = torch.autograd.grad(lik_ir["y"].log().sum() + lik_ir["z"].log().sum(), y_rgb, allow_unused=True)
    assert g is None or not g.abs().sum()


@pytest.mark.parametrize("over", ABLATIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_ablations_build_and_code(over):
    model = build(**over)
    out = model(torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64), torch.tensor([0.5]))
    out["loss"].backward()
    codec = JointCodec.from_module(ready(model))
    rgb, ir = synthetic_pair(40, 50, 30, 36, seed=6)
    dec = codec.decode(codec.encode(ImagePair(rgb, ir), 0.5))
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="direction"):
        build(direction="sideways")
    with pytest.raises(ValueError, match="slices"):
        build(slices=40)


def test_two_stage_training_through_the_trainer(tmp_path):
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.loop import train

    manifest = write_synthetic_set(tmp_path / "synth", n_train=2, n_val=1)
    model_cfg = "{" + ", ".join(f"{k}: {v}" for k, v in TINY.items()) + "}"
    common = {"arch": "joint", "model": model_cfg, "steps": 3, "ckpt_every": 3}
    stage_y = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, tmp_path / "y", stage="y", **common))
    first = train(stage_y, quiet=True)
    assert first.step == 3
    fresh = build()
    for (name, a), b in zip(first.model.g_a_ir.state_dict().items(), fresh.g_a_ir.state_dict().values()):
        assert torch.equal(a.cpu(), b), f"stage one changed the thermal encoder ({name})"
    assert "bpp_ir" not in (tmp_path / "y" / "log.csv").read_text()

    stage_joint = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(
        manifest, tmp_path / "joint", stage="joint", init_from=tmp_path / "y" / "checkpoint.pth", **common))
    second = train(stage_joint, quiet=True)
    assert second.step == 3
    for name in ("checkpoint.pth", "val.jsonl", "weights.pth"):
        assert (tmp_path / "joint" / name).is_file(), name
    assert "bpp_ir" in (tmp_path / "joint" / "log.csv").read_text()
    codec = JointCodec(device="cpu", weights=str(tmp_path / "joint" / "weights.pth"))
    assert codec.model_id.startswith("joint@") and "untracked" not in codec.model_id
    rgb, ir = synthetic_pair(45, 61, seed=7)
    dec = codec.decode(codec.encode(ImagePair(rgb, ir), 0.5))
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape


def test_ablation_warm_start_keeps_what_fits(tmp_path):
    """An ablation fine-tuned from the full model's weights: every tensor it shares (name and
    shape) comes from them, the swapped fusion block keeps its initialisation, and a file of
    another architecture is refused."""
    from rgbir_compress.codecs.learned.weights import TABLE_SUFFIXES
    from rgbir_compress.train.warm_start import load_matching_state

    full = build()
    with torch.no_grad():  # "trained": unlike any fresh initialisation (build() reseeds)
        for p in full.parameters():
            p.add_(1.0)
    path = tmp_path / "full.pth"
    torch.save({"state_dict": full.state_dict()}, path)
    variant = build(lcfb=False)
    fresh = load_matching_state(variant, path)
    assert fresh and all("fusion" in name for name in fresh), fresh
    own = variant.state_dict()
    shared = [k for k in own if k not in fresh and not k.endswith(TABLE_SUFFIXES)]
    assert shared and all(torch.equal(own[k], full.state_dict()[k]) for k in shared)
    torch.save({"state_dict": {"other.weight": torch.zeros(3)}}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="no tensor"):
        load_matching_state(build(), tmp_path / "other.pth")


def test_default_size():
    """The shipped width: parameters and multiply-accumulates per pixel (pair forward)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = zoo.build("joint").eval()
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.rand(1, 3, 128, 128), torch.rand(1, 1, 128, 128), torch.tensor([0.5]))
    kmac_per_pixel = counter.get_total_flops() / 2 / (128 * 128) / 1e3
    assert 3e6 < params < 6e6, params
    assert 40 < kmac_per_pixel < 90, kmac_per_pixel


def test_inclusive_warm_start_from_a_previous_model_codes_as_it_did(tmp_path):
    """cross="inclusive" warm-started from a trained "previous" model (grown slice-0 inputs
    zero-padded, the cross-context nets seeded from the source's slice contexts, zero fusion
    projections): the same loss and terms at step 0, so a fine-tune measures what it learns."""
    from rgbir_compress.train.warm_start import load_matching_state, seed_new_parts

    old = build()
    with torch.no_grad():  # "trained": every weight away from its initialisation
        for p in old.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = tmp_path / "old.pth"
    torch.save({"state_dict": old.state_dict()}, path)
    new = build(cross="inclusive")
    fresh = load_matching_state(new, path)
    assert "entropy.codecs.rgb.slices.0.entropy_parameters.0.weight" not in fresh  # grown, zero-padded
    seed_new_parts(new, fresh)
    x, t, q = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64), torch.tensor([0.1, 0.8])
    old.eval(), new.eval()
    with torch.no_grad():
        a, b = old(x, t, q), new(x, t, q)
    for key in a:
        assert torch.allclose(a[key], b[key], rtol=1e-5, atol=1e-6), key
