"""`rgbir-compress codecs | encode | decode` on synthetic PNGs: round trips (8- and 16-bit thermal,
different sizes per modality) and one clear line plus exit code 1 for bad input."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PIL import Image

from rgbir_compress.cli import main
from rgbir_compress.codecs import names
from rgbir_compress.metrics import psnr

from conftest import REPO, synthetic_pair


def write_pair(tmp_path, h=97, w=130, th=None, tw=None, mono16=False):
    rgb, ir = synthetic_pair(h, w, th, tw, seed=3, mono16=mono16)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(ir).save(tmp_path / "b.png")
    return rgb, ir


def test_codecs_lists_every_codec_with_quality_and_status(capsys):
    assert main(["codecs"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == names()
    for line in lines:
        assert "quality -> " in line
        assert line.endswith("[available]") or "[unavailable: " in line
    assert any(line.startswith("jpeg:") and line.endswith("[available]") for line in lines)


def test_encode_decode_round_trip_different_sizes(tmp_path, capsys):
    rgb, ir = write_pair(tmp_path, 97, 130, 49, 66)
    out = tmp_path / "pair.rgbir"
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"),
                 "--codec", "jpeg", "--quality", "0.8", "-o", str(out)]) == 0
    assert "bpp" in capsys.readouterr().out
    assert out.stat().st_size > 0
    assert main(["decode", str(out), "--rgb", str(tmp_path / "c.png"), "--ir", str(tmp_path / "d.png")]) == 0
    rgb2 = np.asarray(Image.open(tmp_path / "c.png"))
    ir2 = np.asarray(Image.open(tmp_path / "d.png"))
    assert rgb2.shape == rgb.shape and ir2.shape == ir.shape == (49, 66)
    assert psnr(rgb, rgb2) > 28 and psnr(ir, ir2) > 28


def test_sixteen_bit_thermal_png_stays_mono16(tmp_path):
    _, ir = write_pair(tmp_path, 64, 80, mono16=True)
    out = tmp_path / "pair.rgbir"
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"),
                 "--codec", "jpeg", "--quality", "0.9", "-o", str(out)]) == 0
    assert main(["decode", str(out), "--rgb", str(tmp_path / "c.png"), "--ir", str(tmp_path / "d.png")]) == 0
    with Image.open(tmp_path / "d.png") as im:
        assert im.mode.startswith("I")
        ir2 = np.asarray(im).astype(np.int64)
    span = int(ir.max()) - int(ir.min())
    assert np.sqrt(np.mean((ir2 - ir) ** 2)) < 0.05 * span


def test_corrupt_file_gives_one_line_and_exit_code_1(tmp_path):
    write_pair(tmp_path)
    good = tmp_path / "pair.rgbir"
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"),
                 "--codec", "jpeg", "--quality", "0.5", "-o", str(good)]) == 0
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x10
    bad = tmp_path / "bad.rgbir"
    bad.write_bytes(bytes(data))
    env = {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    proc = subprocess.run([sys.executable, "-m", "rgbir_compress", "decode", str(bad), "--rgb",
                           str(tmp_path / "c.png"), "--ir", str(tmp_path / "d.png")],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "integrity" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "c.png").exists()


def test_bad_inputs_fail_with_one_line(tmp_path, capsys):
    write_pair(tmp_path)
    (tmp_path / "junk.rgbir").write_bytes(b"not a container at all")
    assert main(["decode", str(tmp_path / "junk.rgbir"), "--rgb", str(tmp_path / "c.png"),
                 "--ir", str(tmp_path / "d.png")]) == 1
    assert main(["decode", str(tmp_path / "missing.rgbir"), "--rgb", str(tmp_path / "c.png"),
                 "--ir", str(tmp_path / "d.png")]) == 1
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"),
                 "--codec", "nosuchcodec", "--quality", "0.5", "-o", str(tmp_path / "x.rgbir")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("rgbir-compress ") for line in err)
    assert "not an .rgbir container" in err[0]
    assert "available: " in err[2]
