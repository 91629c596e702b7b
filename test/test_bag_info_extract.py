"""`bag info` and `bag extract`, through the CLI as users call them."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rgbir_compress.bag.extract import MANIFEST_COLUMNS
from rgbir_compress.bag.synthetic import write_synthetic_bag
from rgbir_compress.cli import main
from rgbir_compress.train.data import load_pair, read_manifest

from conftest import SHARED_DATA

H, W = 48, 64


@pytest.fixture
def bags(tmp_path):
    bag = write_synthetic_bag(tmp_path / "in", pairs=6, height=H, width=W, ir_encoding="mono16", storage="mcap")
    rc = main(["bag", "compress", str(bag.path), str(tmp_path / "small"), "--rgb-topic", bag.rgb_topic,
               "--ir-topic", bag.ir_topic, "--codec", "jpeg", "--quality", "0.7", "--no-progress"])
    assert rc == 0
    return bag, tmp_path / "small"


def test_info_reports_topics_codecs_and_rates(bags, capsys):
    bag, small = bags
    capsys.readouterr()
    assert main(["bag", "info", str(small), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    topics = {t["topic"]: t for t in info["topics"]}
    assert topics["/rgbir/compressed"]["count"] == 6 and topics[bag.extra_topic]["count"] == 3
    assert topics["/rgbir/compressed"]["kbps"] > 0
    coding = info["coding"]["/rgbir/compressed"]
    assert coding["pairs"] == 6 and list(coding["codecs"]) == ["jpeg"]
    assert list(coding["models"])[0].startswith("imagecodecs")
    # mono16 thermal is kept exactly by default (a radiometric stream of 16-bit counts)
    assert 0 < coding["bpp_rgb"] < 8 and 0 < coding["bpp_ir"] < 16 and coding["thermal"] == {"mono16 lossless": 6}
    assert info["recorded"]["compressed_topics"]["/rgbir/compressed"]["rgb_topic"] == bag.rgb_topic
    assert main(["bag", "info", str(small)]) == 0
    text = capsys.readouterr().out
    assert "quality:   0.700" in text and f"from {bag.rgb_topic} + {bag.ir_topic}" in text


def check_manifest(manifest: Path, n: int, ir_mode: str) -> None:
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    if (SHARED_DATA / "manifest.csv").is_file():  # same columns as the shared data set's manifest
        with (SHARED_DATA / "manifest.csv").open(newline="") as f:
            assert tuple(next(csv.reader(f))) == MANIFEST_COLUMNS
    assert len(rows) == n and {r["ir_mode"] for r in rows} == {ir_mode}
    pairs = read_manifest(manifest, split="train")
    assert len(pairs) == n
    rgb, ir = load_pair(pairs[0])
    assert rgb.shape == (H, W, 3) and ir.shape == (H, W) and ir.dtype == np.uint8
    assert (int(rows[0]["width"]), int(rows[0]["height"])) == (W, H)


def test_extract_from_image_topics_and_from_compressed(bags, tmp_path):
    bag, small = bags
    out = tmp_path / "pairs"
    assert main(["bag", "extract", str(bag.path), str(out), "--rgb-topic", bag.rgb_topic,
                 "--ir-topic", bag.ir_topic, "--no-progress", "--jobs", "2"]) == 0
    check_manifest(out / "manifest.csv", 6, "L")
    stems = sorted(p.stem for p in (out / "rgb").iterdir())
    assert stems[0] == f"{bag.rgb_stamps[0].sec}_{bag.rgb_stamps[0].nanosec:09d}"

    out2 = tmp_path / "decoded"
    assert main(["bag", "extract", str(small), str(out2), "--thermal-16bit", "--every", "2",
                 "--source", "robot1", "--no-progress"]) == 0
    with (out2 / "manifest.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and {r["source"] for r in rows} == {"robot1"} and rows[0]["ir_mode"] == "I;16"
    ir16 = np.asarray(Image.open(out2 / rows[0]["ir"]))
    assert ir16.dtype in (np.uint16, np.int32) and ir16.max() > 255  # raw counts kept


def test_cli_refuses_existing_output_and_reports_errors(bags, tmp_path, capsys):
    bag, small = bags
    capsys.readouterr()
    args = ["bag", "compress", str(bag.path), str(small), "--rgb-topic", bag.rgb_topic, "--ir-topic",
            bag.ir_topic, "--codec", "jpeg", "--no-progress"]
    assert main(args) == 1
    assert "--force" in capsys.readouterr().err
    assert main(args[:4] + ["--rgb-topic", "/nope"] + args[6:] + ["--force"]) == 1
    assert "'/nope' is not in the bag" in capsys.readouterr().err
    assert main(["bag", "extract", str(bag.path), str(tmp_path / "x"), "--no-progress"]) == 1


def test_bag_tools_import_no_ros_and_no_torch():
    code = ("import sys; import rgbir_compress.cli.bag_cmds, rgbir_compress.bag.compress, "
            "rgbir_compress.bag.decompress, rgbir_compress.bag.info, rgbir_compress.bag.extract; "
            "bad = [m for m in ('rclpy', 'torch') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
