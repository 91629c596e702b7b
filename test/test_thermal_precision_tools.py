"""thermal_max_error through the tools: `rgbir-compress encode/decode --thermal-max-error` (16-bit
PNG in, the same 16-bit PNG out) and `bag compress` of a mono16 bag, lossless unless asked, whose
decompressed thermal messages carry exactly the recorded pixel bytes."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from rosbags.highlevel import AnyReader

from conftest import synthetic_pair
from rgbir_compress.bag.compress import CompressOptions, compress_bag
from rgbir_compress.bag.decompress import DecompressOptions, decompress_bag
from rgbir_compress.bag.info import bag_info, format_info
from rgbir_compress.bag.synthetic import write_synthetic_bag
from rgbir_compress.cli import main


def _write_pngs(tmp_path):
    rgb, ir = synthetic_pair(64, 80, seed=3, mono16=True)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(ir).save(tmp_path / "b.png")
    return ir


@pytest.mark.parametrize("max_error", [0, 2])
def test_cli_encode_decode_keeps_the_counts(tmp_path, capsys, max_error):
    ir = _write_pngs(tmp_path)
    out = tmp_path / "pair.rgbir"
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"), "--codec", "jpeg",
                 "--quality", "0.5", "-o", str(out), "--thermal-max-error", str(max_error)]) == 0
    said = capsys.readouterr()
    assert ("mono16 lossless" if max_error == 0 else f"mono16 within {max_error} counts") in said.out
    assert "8-bit window" not in said.err
    assert main(["decode", str(out), "--rgb", str(tmp_path / "c.png"), "--ir", str(tmp_path / "d.png")]) == 0
    assert "16-bit PNG" in capsys.readouterr().out
    with Image.open(tmp_path / "d.png") as im:
        assert im.mode.startswith("I")  # 16-bit PNG
        back = np.asarray(im)
    err = np.abs(back.astype(np.int64) - ir.astype(np.int64)).max()
    assert err <= max_error


def test_cli_encode_says_when_mono16_goes_through_the_window(tmp_path, capsys):
    _write_pngs(tmp_path)
    assert main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"), "--codec", "jpeg",
                 "--quality", "0.5", "-o", str(tmp_path / "p.rgbir")]) == 0
    assert "--thermal-max-error 0" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["-2", "x", "40000"])
def test_cli_refuses_a_bad_setting(tmp_path, bad, capsys):
    _write_pngs(tmp_path)
    with pytest.raises(SystemExit):
        main(["encode", "--rgb", str(tmp_path / "a.png"), "--ir", str(tmp_path / "b.png"), "--codec", "jpeg",
              "--quality", "0.5", "-o", str(tmp_path / "p.rgbir"), "--thermal-max-error", bad])
    assert "thermal" in capsys.readouterr().err


def _thermal_bytes(path, topic):
    with AnyReader([path]) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        return [(reader.deserialize(raw, c.msgtype).encoding, bytes(reader.deserialize(raw, c.msgtype).data))
                for c, _, raw in reader.messages(connections=conns)]


def test_bag_compress_of_a_mono16_bag_is_lossless_by_default(tmp_path):
    bag = write_synthetic_bag(tmp_path / "in", pairs=5, height=48, width=64, ir_encoding="mono16")
    rep = compress_bag(tmp_path / "in", tmp_path / "small",
                       CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False,
                                       target_kbps=200.0))
    assert rep.pairs == 5 and rep.problems.total == 0 and rep.thermal == "mono16 lossless"
    assert any("not rate-controlled" in n for n in rep.notes)
    info = bag_info(tmp_path / "small")
    assert dict(info.coding["/rgbir/compressed"].thermal) == {"mono16 lossless": 5}
    assert "thermal:   mono16 lossless x5" in format_info(info)
    decompress_bag(tmp_path / "small", tmp_path / "restored", DecompressOptions(progress=False))
    original, restored = _thermal_bytes(tmp_path / "in", bag.ir_topic), _thermal_bytes(tmp_path / "restored", bag.ir_topic)
    assert len(restored) == 5 and restored == original  # every thermal message's pixel bytes, exactly


def test_bag_compress_window_when_asked_and_joint_codecs_refused_up_front(tmp_path):
    from rgbir_compress.codecs.factory import open_codec

    bag = write_synthetic_bag(tmp_path / "in", pairs=3, height=48, width=64, ir_encoding="mono16")
    rep = compress_bag(tmp_path / "in", tmp_path / "win",
                       CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False, thermal_max_error=-1))
    assert rep.pairs == 3 and rep.thermal == "mono16 8-bit window"
    joint = open_codec("jpeg")
    joint.codes_colour_alone = False  # stands in for a codec whose colour needs its thermal stream
    with pytest.raises(ValueError, match="thermal-max-error -1"):
        compress_bag(tmp_path / "in", tmp_path / "no", CompressOptions(bag.rgb_topic, bag.ir_topic, progress=False),
                     codec=joint)
