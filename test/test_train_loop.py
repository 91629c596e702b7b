"""Issue 5: a tiny training run on synthetic pairs writes its checkpoint, logs and loadable
weights, and a run stopped and resumed from its checkpoint ends in exactly the state of one that
ran straight through."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import synthetic_pair
from train_support import TINY_CONFIG, tiny_overrides, write_synthetic_set

from rgbir_compress.train.checkpoint import load_checkpoint, load_sched_state
from rgbir_compress.train.config import TrainConfig
from rgbir_compress.train.loop import lr_factor, train


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return write_synthetic_set(tmp_path_factory.mktemp("synth"))


def _same(a, b) -> bool:
    """Deep equality of checkpoint pieces: tensors bit for bit, containers element by element."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def test_tiny_run_writes_checkpoint_logs_and_weights(manifest, tmp_path):
    from rgbir_compress.codecs.learned.codec import HyperpriorCodec
    from rgbir_compress.frame import ImagePair

    out = tmp_path / "run"
    cfg = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, out, steps=4))
    result = train(cfg, quiet=True)
    assert result.step == 4
    for name in ("checkpoint.pth", "log.csv", "config.json", "val.jsonl", "weights.pth"):
        assert (out / name).is_file(), name
    assert len((out / "log.csv").read_text().splitlines()) == 1 + 4  # header + log_every=1
    val = json.loads((out / "val.jsonl").read_text().splitlines()[-1])
    assert val["step"] == 4 and val["q0_bpp_rgb"] > 0 and val["q1_bpp_ir"] > 0
    ck = load_checkpoint(out / "checkpoint.pth")
    assert {"model", "opt", "aux_opt", "sched", "step", "rng"} <= set(ck) and ck["step"] == 4

    codec = HyperpriorCodec(device="cpu", weights=str(out / "weights.pth"))
    rgb, ir = synthetic_pair(70, 90, seed=9)
    cp = codec.encode(ImagePair(rgb, ir), 0.5)
    dec = codec.decode(cp)
    assert dec.rgb.shape == rgb.shape and dec.thermal.shape == ir.shape
    assert cp.model_id.startswith("hyperprior@") and "untracked" not in cp.model_id


def test_resume_reproduces_an_uninterrupted_run_exactly(manifest, tmp_path):
    common = dict(steps=6, lr_drop_at="[0.5]", log_every=100, ckpt_every=100, val_manifest="''")
    straight = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, tmp_path / "a", **common))
    train(straight, quiet=True)

    stopped = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, tmp_path / "b", **common))
    assert train(stopped, max_steps=3, quiet=True).step == 3
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pth")["step"] == 3
    # The second half loads its batches in a worker process: crops do not depend on that.
    resumed = TrainConfig.from_yaml(TINY_CONFIG, tiny_overrides(manifest, tmp_path / "b", workers=1, **common))
    assert train(resumed, quiet=True).step == 6

    a = load_checkpoint(tmp_path / "a" / "checkpoint.pth")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.pth")
    assert a["model"].keys() == b["model"].keys()
    differing = [k for k in a["model"] if not torch.equal(a["model"][k], b["model"][k])]
    assert not differing, differing[:5]
    for key in ("opt", "aux_opt", "sched", "step"):
        assert _same(a[key], b[key]), key
    assert a["opt"]["param_groups"][0]["lr"] == pytest.approx(1e-5)  # dropped x0.1 at step 3


def test_lr_schedule_is_a_function_of_the_step():
    assert [lr_factor(s, 10, [0.8, 0.95]) for s in (0, 7, 8, 9)] == pytest.approx([1, 1, 0.1, 0.01])
    # A checkpoint of the former MultiStepLR schedule loads into the step-driven one.
    p = torch.nn.Parameter(torch.zeros(1))
    old = torch.optim.lr_scheduler.MultiStepLR(torch.optim.Adam([p], lr=1.0), milestones=[8], gamma=0.1)
    for _ in range(5):
        old.optimizer.step()
        old.step()
    opt = torch.optim.Adam([p], lr=1.0)
    new = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, 10, [0.8]))
    load_sched_state(new, old.state_dict())
    assert new.last_epoch == 5
    for _ in range(3):
        opt.step()
        new.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
