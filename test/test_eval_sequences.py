"""Sequence mode of the evaluation (eval/sequences.py, `rgbir-compress eval-seq`) on a tiny synthetic
sequence written as PNG folders: frames coded in order, every message's bytes counted, key frames
where the interval puts them, and the results schema `rd-table` and the docs read."""
from __future__ import annotations

import json

import pytest
from PIL import Image

from rgbir_compress.cli import main
from rgbir_compress.eval import sequences as sq
from rgbir_compress.scene import SyntheticScene

H, W, N = 48, 64, 7


def _has_av() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


needs_av = pytest.mark.skipif(not _has_av(), reason="PyAV (av) not installed: no stream codecs")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """`<data>/tiny/{rgb,ir}/NNN.png`: N frames of the synthetic scene."""
    root = tmp_path_factory.mktemp("seq")
    scene = SyntheticScene(H, W)
    for sub in ("rgb", "ir"):
        (root / "tiny" / sub).mkdir(parents=True)
    for i in range(N):
        rgb, thermal = scene.frame(i)
        Image.fromarray(rgb).save(root / "tiny" / "rgb" / f"{i:03d}.png")
        Image.fromarray(thermal).save(root / "tiny" / "ir" / f"{i:03d}.png")
    return root


def test_folder_loads_in_order_with_step(data):
    scene = SyntheticScene(H, W)
    seq = sq.load_sequence(data, "tiny", frames=0, step=2, fps=30)
    assert len(seq) == 4 and seq.rate_hz == 15
    for k, i in enumerate(range(0, N, 2)):
        assert (seq.rgb[k] == scene.frame(i)[0]).all() and (seq.thermal[k] == scene.frame(i)[1]).all()
    assert sq.find_sequences(data) == ["tiny"]
    assert len(sq.load_sequence(data, "tiny", frames=3, step=1)) == 3


@needs_av
def test_stream_codes_in_order_counts_every_message_and_keys_at_interval(data):
    seq = sq.load_sequence(data, "tiny", frames=0, step=1, fps=10)  # 10 Hz; 0.3 s -> key every 3
    messages = list(sq.stream("h264-stream", seq, 0.5, key_interval_s=0.3, device="cpu"))
    assert [cp.seq for cp, _ in messages] == list(range(N))
    assert [k for k, (cp, _) in enumerate(messages) if cp.key_frame] == [0, 3, 6]
    run = sq.code_run("h264-stream", seq, 0.5, key_interval_s=0.3, device="cpu")
    # a fresh encoder per run: the same bytes again, and every message (key frames too) counted
    assert run["colour"]["bytes"] == sum(cp.byte_count().rgb for cp, _ in messages)
    assert run["thermal"]["bytes"] == sum(cp.byte_count().thermal for cp, _ in messages)
    assert run["colour"]["key_frames"] == 3 and run["colour"]["messages"] == N
    assert 25 < run["colour"]["psnr"] < 60 and 25 < run["thermal"]["psnr"] < 70


def test_still_codec_every_message_is_a_key_frame(data):
    seq = sq.load_sequence(data, "tiny", frames=4, step=1, fps=10)
    run = sq.code_run("jpeg", seq, 0.5, key_interval_s=2.0)
    assert run["colour"]["key_frames"] == run["colour"]["messages"] == 4


def test_cli_writes_the_schema_rd_table_reads(data, tmp_path, capsys):
    codecs = ["jpeg", "avif-s9"] + (["h264-stream"] if _has_av() else [])
    out = tmp_path / "seq.json"
    rc = main(["eval-seq", "--data", str(data), "--synthetic", "3", "--codec", ",".join(codecs), "--step", "1",
               "--fps", "10", "--key-interval", "0.5", "--qualities", "0.3,0.7", "--frames", "0",
               "--time-frames", "1", "--device", "cpu", "--out", str(out), "--no-progress"])
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["rate_hz"] == 10 and result["step"] == 1 and result["key_interval_s"] == 0.5
    assert result["command"].startswith("rgbir-compress eval-seq") and result["git_commit"] is not None
    assert set(result["sequences"]) == {"tiny", "synthetic"}
    entry = result["sequences"]["tiny"]
    assert entry["frames"] == N and set(entry["curves"]) == set(codecs)
    for codec in codecs:
        for m in ("colour", "thermal"):
            points = entry["curves"][codec][m]
            assert [p["quality"] for p in points] == [0.3, 0.7]
            assert all(p["bytes"] > 0 and p["psnr"] > 20 for p in points)
    assert set(entry["bd"]["colour"]) == set(codecs) - {"avif-s9"}
    assert set(result["encode_ms"]) == set(codecs) == set(result["decode_ms"])
    table = capsys.readouterr().out
    assert "| tiny | 10 | colour | jpeg |" in table and "ref" in table


def test_cli_refuses_unknown_codec_and_no_sequences(tmp_path):
    assert main(["eval-seq", "--codec", "nope", "--synthetic", "2", "--out", str(tmp_path / "x.json")]) == 1
    assert main(["eval-seq", "--codec", "jpeg", "--out", str(tmp_path / "x.json")]) == 1
