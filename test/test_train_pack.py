"""Issue 17: the training pack (one compact file of training + validation pairs), batches cut from a
set held in device memory, the wall-clock budget, and tools/device_train.sh, the one command a lent
GPU machine runs, here on CPU for a few steps on a tiny pack."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image
from train_support import TINY_CONFIG, write_synthetic_set

from conftest import REPO
from rgbir_compress.cli import main
from rgbir_compress.train.data import load_pair, read_manifest
from rgbir_compress.train.device_data import DeviceCrops
from rgbir_compress.train.pack import psnr_u8, read_index, read_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """A pack of 4 synthetic training pairs (PNG: re-coded) + 1 JPEG pair (kept) + 1 val pair."""
    root = tmp_path_factory.mktemp("packdata")
    manifest = write_synthetic_set(root, n_train=4, n_val=1)
    rgb, ir = load_pair(read_manifest(manifest, split="train")[0])
    for kind, img in (("rgb", rgb), ("ir", ir)):  # a JPEG source, like RoadScene
        (root / "train" / "jpg" / kind).mkdir(parents=True)
        Image.fromarray(img).save(root / "train" / "jpg" / kind / "j.jpg", quality=75)
    with manifest.open("a") as f:
        f.write("train,jpg,j,train/jpg/rgb/j.jpg,train/jpg/ir/j.jpg\n")
    out = root / "pack" / "train.pack"
    assert main(["train-pack", "--manifest", str(manifest), "--val", "1", "--val-source", "synth",
                 "--threads", "2", "-o", str(out)]) == 0
    return manifest, out


def test_pack_round_trip_is_near_lossless(pack, capsys):
    manifest, path = pack
    assert zipfile.is_zipfile(path)
    index = read_index(path)
    assert len(index["train"]) == 5 and len(index["val"]) == 1
    sources = [load_pair(p) for p in read_manifest(manifest, split="train")]
    decoded = read_pack(path, "train")
    for (rgb, ir), (drgb, dir_), entry in zip(sources, decoded, index["train"]):
        assert drgb.shape == rgb.shape and dir_.shape == ir.shape and drgb.dtype == np.uint8
        if entry["rgb"].endswith(".jpg"):  # JPEG sources travel byte for byte
            assert np.array_equal(drgb, rgb) and np.array_equal(dir_, ir) and entry["psnr_rgb"] is None
        else:
            assert psnr_u8(rgb, drgb) > 28 and psnr_u8(ir, dir_) > 35  # i.i.d. noise: a worst case for 4:2:0
            assert entry["psnr_rgb"] == pytest.approx(psnr_u8(rgb, drgb), abs=1e-2)
    # validation pairs are lossless, at native size
    (vrgb, vir), = read_pack(path, "val", same_size=False)
    src_rgb, src_ir = load_pair(read_manifest(manifest, split="val")[0], same_size=False)
    assert np.array_equal(vrgb, src_rgb) and np.array_equal(vir, src_ir)


def test_device_crops_are_aligned_flipped_and_a_function_of_the_step():
    rng = np.random.default_rng(0)
    pairs = [(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), rng.integers(0, 255, (h, w), dtype=np.uint8))
             for h, w in ((70, 90), (64, 64), (40, 100))]  # the last is smaller than the crop: padded
    for rgb, ir in pairs:
        ir[:] = rgb[..., 1]  # thermal = green plane, so alignment is checkable after the crop
    crops = DeviceCrops(pairs, 64, 4, torch.device("cpu"), seed=3)
    rgb, ir = crops.batch(5)
    assert rgb.shape == (4, 3, 64, 64) and ir.shape == (4, 1, 64, 64) and rgb.dtype == torch.float32
    assert torch.equal(rgb[:, 1:2], ir)
    again = DeviceCrops(pairs, 64, 4, torch.device("cpu"), seed=3).batch(5)  # a resumed run
    assert torch.equal(again[0], rgb)
    assert not torch.equal(crops.batch(6)[0], rgb)
    # every crop is a window of its source, possibly flipped left-right
    big = DeviceCrops(pairs[:1], 64, 8, torch.device("cpu"), seed=1)
    src = torch.from_numpy(pairs[0][0]).permute(2, 0, 1).float() / 255
    flips = 0
    for b in big.batch(0)[0]:
        windows = src.unfold(1, 64, 1).unfold(2, 64, 1).permute(1, 2, 0, 3, 4)  # (y, x, 3, 64, 64)
        plain = (windows == b).flatten(2).all(-1).any()
        flipped = (windows == b.flip(-1)).flatten(2).all(-1).any()
        assert plain or flipped
        flips += bool(flipped and not plain)
    assert 0 < flips < 8


def _run_device_script(pack_path, out, run_dir, minutes: float, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(out), "PYTHONPATH": str(REPO)}
    env.pop("DEVICE_T0", None)
    cmd = ["bash", str(REPO / "tools" / "device_train.sh"), "--config", str(TINY_CONFIG), "--minutes", str(minutes),
           "train_manifest=", "val_manifest=", f"train_pack={pack_path}", f"val_pack={pack_path}",
           "data_on_device=true", f"out_dir={run_dir}", "val_qualities=[0.5]", "log_every=2", *extra]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_device_script_trains_on_cpu_and_gathers_the_results(pack, tmp_path):
    from rgbir_compress.codecs.learned.codec import HyperpriorCodec
    from rgbir_compress.frame import ImagePair

    _, path = pack
    out, run = tmp_path / "OUT", tmp_path / "run"
    proc = _run_device_script(path, out, run, 5, "steps=4")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["weights.pth", "log.csv", "val.json", "val.md", "run.json", "device.log"])
    assert '"budget_min"' in (out / "device.log").read_text()  # the run's settings, then its output
    assert (run / "checkpoint.pth").is_file()
    header, *rows = (out / "log.csv").read_text().splitlines()
    assert header.endswith("steps_per_s,images_per_s") and len(rows) == 2
    assert all(float(r.split(",")[-2]) > 0 and float(r.split(",")[-1]) > 0 for r in rows)
    summary = json.loads((out / "run.json").read_text())
    assert summary["step"] == 4 and summary["rates"]["images_per_s"] > 0
    val = json.loads((out / "val.json").read_text())
    assert val[-1]["step"] == 4 and val[-1]["q0.5_bpp_rgb"] > 0
    assert "| 4 | 0.5 |" in (out / "val.md").read_text()
    codec = HyperpriorCodec(device="cpu", weights=str(out / "weights.pth"))
    rgb, ir = read_pack(path, "val", same_size=False)[0]
    assert codec.decode(codec.encode(ImagePair(rgb, ir), 0.5)).rgb.shape == rgb.shape


def _device_train_tool():
    """tools/device_train.py, a script (not installed), loaded from the source tree."""
    spec = importlib.util.spec_from_file_location("device_train", REPO / "tools" / "device_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_large_files_come_back_in_parts(tmp_path):
    copy_in_parts = _device_train_tool().copy_in_parts

    src = tmp_path / "weights.pth"
    data = os.urandom(2500)
    src.write_bytes(data)
    (tmp_path / "out").mkdir()
    names = copy_in_parts(src, tmp_path / "out", limit=1000)
    assert names == ["weights.pth.part0", "weights.pth.part1", "weights.pth.part2"]
    assert b"".join((tmp_path / "out" / n).read_bytes() for n in names) == data


def test_time_budget_stops_early_and_still_exports(pack, tmp_path, capsys):
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.loop import train

    _, path = pack
    run = tmp_path / "run"
    cfg = TrainConfig.from_yaml(TINY_CONFIG, [
        "train_manifest=", "val_manifest=", f"train_pack={path}", f"val_pack={path}", f"out_dir={run}",
        "steps=100000", "time_budget_min=0.1", "time_reserve_s=0", "log_every=1000", "val_qualities=[0.5]"])
    result = train(cfg, quiet=True)  # 6 s: stops long before 100000 steps
    assert "time budget: stopped at step" in capsys.readouterr().out
    assert 0 < result.step < 100000
    weights = torch.load(run / "weights.pth", map_location="cpu", weights_only=False)
    assert weights["meta"]["time_budget_stop"] and weights["meta"]["steps"] == result.step
    assert torch.load(run / "checkpoint.pth", map_location="cpu", weights_only=False)["step"] == result.step
    assert json.loads((run / "val.jsonl").read_text().splitlines()[-1])["step"] == result.step
    assert (run / "log.csv").read_text().splitlines()[-1].startswith(f"{result.step},")


def test_steps_are_fitted_to_the_budget(pack, tmp_path, capsys, monkeypatch):
    from rgbir_compress.train.budget import TimeBudget
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.loop import train

    monkeypatch.setattr(TimeBudget, "calibration", (2, 6))  # measured early: a busy CI machine is slow

    _, path = pack
    run = tmp_path / "run"
    cfg = TrainConfig.from_yaml(TINY_CONFIG, [
        "train_manifest=", "val_manifest=", f"train_pack={path}", f"out_dir={run}", "steps=100000",
        "time_budget_min=0.25", "time_reserve_s=0", "fit_steps_to_budget=true", "log_every=1000",
        "lr_drop_at=[0.5]"])
    result = train(cfg, quiet=True)
    out = capsys.readouterr().out
    assert "time budget: steps set to" in out
    assert 6 <= cfg.steps < 100000 and result.step <= cfg.steps  # ends at the fitted steps (or the budget)
    ck = torch.load(run / "checkpoint.pth", map_location="cpu", weights_only=False)
    assert ck["opt"]["param_groups"][0]["lr"] == pytest.approx(1e-5)  # the drop at half the fitted steps happened
    assert (run / "weights.pth").is_file()


def test_in_memory_batches_resume_exactly(pack, tmp_path):
    from rgbir_compress.train.config import TrainConfig
    from rgbir_compress.train.loop import train

    _, path = pack

    def cfg(out):
        return TrainConfig.from_yaml(TINY_CONFIG, [
            "train_manifest=", "val_manifest=", f"train_pack={path}", "data_on_device=true", f"out_dir={out}",
            "steps=6", "log_every=100", "ckpt_every=100"])

    train(cfg(tmp_path / "a"), quiet=True)
    assert train(cfg(tmp_path / "b"), max_steps=3, quiet=True).step == 3
    assert train(cfg(tmp_path / "b"), quiet=True).step == 6
    a, b = (torch.load(tmp_path / x / "checkpoint.pth", map_location="cpu", weights_only=False) for x in "ab")
    differing = [k for k in a["model"] if not torch.equal(a["model"][k], b["model"][k])]
    assert not differing, differing[:5]


def test_the_installed_cli_has_train_pack_but_no_device_machine_run(capsys):
    from rgbir_compress.cli.main import build_parser

    parser = build_parser()
    assert "train-pack" in parser.format_help() and "device-train" not in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["train-pack", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert not re.search(r"\blent\b|\$OUT|device machine", text), text
