"""Issue 5: `rgbir-compress train --config config/train/tiny.yaml key=value ...` trains, stops at
--max-steps and resumes, trains from a rosbag, and `export-weights` turns a checkpoint into the
weights file a codec loads."""
from __future__ import annotations

import json

import pytest
from train_support import BAG_IR, BAG_RGB, TINY_CONFIG, tiny_overrides, write_synthetic_bag, write_synthetic_set

from conftest import synthetic_pair
from rgbir_compress.cli import main


def test_train_stop_resume_and_export(tmp_path, capsys):
    from rgbir_compress.codecs.learned.codec import HyperpriorCodec
    from rgbir_compress.frame import ImagePair

    manifest = write_synthetic_set(tmp_path / "data")
    out = tmp_path / "run"
    args = ["train", "--config", str(TINY_CONFIG), *tiny_overrides(manifest, out, steps=3, val_every=0), "-q"]
    assert main([*args, "--max-steps", "2"]) == 0
    assert not (out / "weights.pth").exists()  # stopped early: a checkpoint, no weights yet
    assert main(args) == 0
    assert (out / "weights.pth").is_file()
    assert [int(r.split(",")[0]) for r in (out / "log.csv").read_text().splitlines()[1:]] == [1, 2, 3]

    assert main(["export-weights", str(out / "checkpoint.pth"), "-o", str(tmp_path / "w.pth")]) == 0
    assert "wrote" in capsys.readouterr().out
    codec = HyperpriorCodec(device="cpu", weights=str(tmp_path / "w.pth"))
    rgb, ir = synthetic_pair(64, 64, seed=3)
    assert codec.decode(codec.encode(ImagePair(rgb, ir), 1.0)).rgb.shape == rgb.shape


def test_train_from_a_rosbag(tmp_path):
    write_synthetic_bag(tmp_path / "bag")
    out = tmp_path / "run"
    overrides = [f"train_bag={tmp_path / 'bag'}", "train_manifest=", f"train_rgb_topic={BAG_RGB}",
                 f"train_ir_topic={BAG_IR}", "val_manifest=", f"out_dir={out}", "steps=2"]
    assert main(["train", "--config", str(TINY_CONFIG), *overrides, "-q"]) == 0
    assert (out / "weights.pth").is_file()


def test_settings_are_checked_and_printable(tmp_path, capsys):
    assert main(["train", "--config", str(TINY_CONFIG), "no_such_key=1"]) == 2
    assert "no_such_key" in capsys.readouterr().err
    assert main(["train", "--config", str(TINY_CONFIG), "train_bag=x.bag"]) == 2  # two data sources
    with pytest.raises(ValueError, match="multiple of"):
        main(["train", "--config", str(TINY_CONFIG), "crop=48", f"out_dir={tmp_path}"])
    assert main(["train", "--config", str(TINY_CONFIG), "model.N=32", "--print-config"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["model"]["N"] == 32 and printed["model"]["M"] == 24


def test_export_needs_a_checkpoint(tmp_path):
    with pytest.raises(SystemExit):
        main(["export-weights"])
    assert main(["export-weights", str(tmp_path / "missing.pth")]) == 2
