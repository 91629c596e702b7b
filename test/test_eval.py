"""The evaluation harness: BD-rate sanity, `eval` on a tiny synthetic manifest (JSON fields, BD-rate
entry, plot), unavailable codecs skipped with a reason, and `bench` at a tiny size."""
from __future__ import annotations

import csv
import json
import math

import pytest
from PIL import Image

from rgbir_compress.cli import main
from rgbir_compress.codecs import catalog, registry
from rgbir_compress.errors import MissingWeightsError
from rgbir_compress.eval.bdrate import bd_rate, clean_curve
from rgbir_compress.eval.results_file import load_results
from rgbir_compress.eval.summary import PSNR_CAP, mean_curves

from conftest import synthetic_pair

RATES = [0.1, 0.2, 0.4, 0.8, 1.6]
PSNRS = [28.0, 31.0, 34.0, 37.0, 40.0]


def test_bd_rate_of_a_codec_against_itself_is_zero():
    res = bd_rate(RATES, PSNRS, RATES, PSNRS)
    assert res.percent == pytest.approx(0.0, abs=1e-9) and res.overlap == 1.0


def test_bd_rate_of_half_the_rate_is_minus_fifty_percent():
    assert bd_rate(RATES, PSNRS, [r / 2 for r in RATES], PSNRS).percent == pytest.approx(-50.0, abs=1e-6)
    assert bd_rate(RATES, PSNRS, [r * 2 for r in RATES], PSNRS).percent == pytest.approx(100.0, abs=1e-6)


def test_bd_rate_without_overlap_or_points_is_none():
    assert bd_rate(RATES, PSNRS, [5.0, 6.0], [50.0, 51.0]).percent is None
    assert bd_rate(RATES, PSNRS, [0.3], [33.0]).percent is None


def test_clean_curve_drops_points_that_do_not_raise_quality():
    r, d = clean_curve([0.4, 0.1, 0.2, 0.3, float("nan")], [34.0, 28.0, 31.0, 30.0, 40.0])
    assert list(r) == [0.1, 0.2, 0.4] and list(d) == [28.0, 31.0, 34.0]


def test_psnr_yuv420_weights_the_planes_by_their_samples():
    """A luma-only error of 10 levels: 4 of every 6 4:2:0 samples carry it, chroma stays equal."""
    import numpy as np

    from rgbir_compress.metrics import psnr_yuv420

    ref = np.full((6, 8, 3), 100, np.uint8)
    assert math.isinf(psnr_yuv420(ref, ref))
    expected = 10 * math.log10(1 / (4 / 6 * (10 / 255) ** 2))
    assert psnr_yuv420(ref, ref + 10) == pytest.approx(expected, abs=1e-9)


def test_mean_curves_cap_lossless_psnr():
    base = {"codec": "x", "quality": 1.0, "bpp_rgb": 8.0, "bpp_thermal": 8.0, "bpp_container": 16.0,
            "container_bytes": 10, "rgb_bytes": 5, "thermal_bytes": 5, "thermal_rmse": 0.0,
            "encode_ms": 1.0, "decode_ms": 1.0, "msssim_rgb": None, "msssim_thermal": 1.0}
    recs = [{**base, "psnr_rgb": math.inf, "psnr_thermal": 50.0}, {**base, "psnr_rgb": 40.0, "psnr_thermal": 50.0}]
    (p,) = mean_curves(recs)["x"]
    assert p["psnr_rgb"] == pytest.approx((PSNR_CAP + 40.0) / 2) and p["lossless_rgb"] == 1
    assert p["msssim_rgb"] is None and p["msssim_thermal"] == 1.0


@pytest.fixture
def tiny_manifest(tmp_path):
    """Two pairs large enough for MS-SSIM (>= 161 px), one with a thermal image of another size."""
    rows = []
    for i, (h, w, th, tw) in enumerate([(176, 200, None, None), (168, 224, 170, 180)]):
        rgb, ir = synthetic_pair(h, w, th, tw, seed=i)
        for kind, img in (("rgb", rgb), ("ir", ir)):
            (tmp_path / "val" / "syn" / kind).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(tmp_path / "val" / "syn" / kind / f"{i}.png")
        rows.append({"split": "val", "source": "syn", "stem": str(i), "rgb": f"val/syn/rgb/{i}.png",
                     "ir": f"val/syn/ir/{i}.png"})
    rows.append({"split": "train", "source": "syn", "stem": "x", "rgb": "missing.png", "ir": "missing.png"})
    with open(tmp_path / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path / "manifest.csv"


def test_eval_writes_self_describing_json_bd_rates_and_plot(tiny_manifest, tmp_path, capsys):
    out, plot = tmp_path / "res" / "r.json", tmp_path / "rd.png"
    assert main(["eval", "--manifest", str(tiny_manifest), "--split", "val", "--codec", "jpeg,webp",
                 "--qualities", "0.3,0.7", "--out", str(out), "--plot", str(plot), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "BD-rate against jpeg" in printed and "| webp |" in printed
    res = load_results(out)
    for key in ("command", "date", "machine", "git_commit", "codecs", "summary", "records", "definitions"):
        assert key in res
    assert res["command"].startswith("rgbir-compress eval --manifest ") and "--qualities 0.3,0.7" in res["command"]
    assert json.loads(out.read_text())["records"]["columns"][:2] == ["pair", "codec"]  # stored as columns
    assert res["pairs"] == 2 and set(res["codecs"]) == {"jpeg", "webp"}
    assert all(res["codecs"][c]["model_id"] for c in res["codecs"])
    assert len(res["records"]) == 2 * 2 * 2
    rec = res["records"][0]
    for key in ("container_bytes", "rgb_bytes", "thermal_bytes", "bpp_rgb", "bpp_thermal", "psnr_rgb",
                "psnr_yuv420", "psnr_thermal", "msssim_rgb", "msssim_thermal", "encode_ms", "decode_ms"):
        assert rec[key] is not None, key
    assert rec["container_bytes"] > rec["rgb_bytes"] + rec["thermal_bytes"]
    assert rec["bpp_rgb"] == pytest.approx(8 * rec["rgb_bytes"] / (rec["rgb_hw"][0] * rec["rgb_hw"][1]), abs=1e-6)  # stored to 6 places
    assert {tuple(r["thermal_hw"]) for r in res["records"]} == {(176, 200), (170, 180)}
    bd = res["summary"]["bd_rate"]
    assert bd["jpeg"]["rgb"]["psnr"]["percent"] == pytest.approx(0.0, abs=1e-6)
    assert bd["jpeg"]["rgb"]["yuv420"]["percent"] == pytest.approx(0.0, abs=1e-6)
    assert "yuv420" not in bd["jpeg"]["thermal"]
    assert bd["jpeg"]["pair"]["psnr"]["percent"] == pytest.approx(0.0, abs=1e-6)
    assert isinstance(bd["webp"]["thermal"]["psnr"]["percent"], float) or bd["webp"]["thermal"]["psnr"]["overlap"] == 0
    assert len(res["summary"]["curves"]["webp"]) == 2
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _NoWeights(registry.PairCodec):
    quality_help = "test stand-in for a learned codec without weights"

    def __init__(self, device: str = "auto", threads: int = 0) -> None:
        raise MissingWeightsError("no weights for learned codec 'ghost' at /nowhere")

    def encode_streams(self, rgb, thermal, quality):  # pragma: no cover
        raise NotImplementedError

    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):  # pragma: no cover
        raise NotImplementedError


def test_merge_adds_a_codec_to_an_earlier_evaluation(tiny_manifest, tmp_path, capsys):
    first, merged = tmp_path / "jpeg.json", tmp_path / "both.json"
    common = ["--manifest", str(tiny_manifest), "--split", "val", "--qualities", "0.3,0.7", "--no-progress"]
    assert main(["eval", *common, "--codec", "jpeg", "--out", str(first)]) == 0
    assert main(["eval", *common, "--codec", "webp", "--merge", str(first), "--out", str(merged)]) == 0
    res = load_results(merged)
    assert set(res["codecs"]) == {"jpeg", "webp"} and len(res["records"]) == 2 * 2 * 2
    assert set(res["summary"]["bd_rate"]) == {"jpeg", "webp"}
    # a results file from other filters is refused, not silently mixed in
    assert main(["eval", *common, "--limit", "1", "--codec", "webp", "--merge", str(first),
                 "--out", str(tmp_path / "x.json")]) == 1
    assert "cannot merge" in capsys.readouterr().err


def test_codec_spec_parses_labels_and_weights():
    from rgbir_compress.eval.runner import CodecSpec

    assert CodecSpec.parse("jpeg") == CodecSpec("jpeg", "jpeg", None)
    assert CodecSpec.parse("ctl=hyperprior@runs/a=b/w.pth") == CodecSpec("ctl", "hyperprior", "runs/a=b/w.pth")
    assert CodecSpec.parse("hyperprior@w.pth") == CodecSpec("hyperprior", "hyperprior", "w.pth")
    for bad in ("", "x=", "x=hyperprior@"):
        with pytest.raises(ValueError):
            CodecSpec.parse(bad)


def test_eval_measures_other_weights_under_a_label_and_bdrate_reanchors(tiny_manifest, tmp_path, capsys):
    """LABEL=NAME@WEIGHTS: a training run's weights measured next to the shipped ones; `bdrate`
    then re-anchors the same records on any measured codec."""
    from rgbir_compress.codecs.learned.zoo import build
    from rgbir_compress.train.checkpoint import export_weights

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    weights = export_weights(build("hyperprior", N=16, M=24, N_ir=16, M_ir=24, levels=3), tmp_path / "w.pth")
    out = tmp_path / "r.json"
    common = ["--manifest", str(tiny_manifest), "--split", "val", "--limit", "1", "--qualities", "0.2,0.5,0.8",
              "--no-progress", "--out", str(out)]
    assert main(["eval", *common, "--codec", f"jpeg,tiny=hyperprior@{weights}"]) == 0
    res = load_results(out)
    assert set(res["codecs"]) == {"jpeg", "tiny"} and res["codecs"]["tiny"]["codec"] == "hyperprior"
    assert res["codecs"]["tiny"]["model_id"].startswith("hyperprior@")
    assert {r["codec"] for r in res["records"]} == {"jpeg", "tiny"}
    capsys.readouterr()
    assert main(["bdrate", str(out), "--reference", "tiny,jpeg"]) == 0
    printed = capsys.readouterr().out
    assert "BD-rate against tiny" in printed and "BD-rate against jpeg" in printed
    assert main(["bdrate", str(out), "--reference", "webp"]) == 1
    assert "no records of webp" in capsys.readouterr().err
    # a second run merged from the first: combined, each label once (first file wins), with a plot
    out2 = tmp_path / "r2.json"
    common2 = [a if a != str(out) else str(out2) for a in common]
    assert main(["eval", *common2, "--codec", "webp", "--merge", str(out)]) == 0
    capsys.readouterr()
    png = tmp_path / "rd.png"
    assert main(["bdrate", str(out), str(out2), "--reference", "webp", "--plot", str(png)]) == 0
    printed = capsys.readouterr().out
    assert "BD-rate against webp" in printed and "tiny" in printed and png.stat().st_size > 0
    from rgbir_compress.cli.eval_cmds import _combined_records
    combined = _combined_records([str(out), str(out2)])
    assert len(combined) == len(load_results(out2)["records"])  # jpeg/tiny not counted twice
    # files of other filters do not combine
    out3 = tmp_path / "r3.json"
    two_pairs = ["--manifest", str(tiny_manifest), "--split", "val", "--limit", "2", "--qualities", "0.5",
                 "--no-progress", "--out", str(out3)]
    assert main(["eval", *two_pairs, "--codec", "jpeg"]) == 0
    assert main(["bdrate", str(out), str(out3), "--reference", "jpeg"]) == 1
    assert "cannot combine" in capsys.readouterr().err
    # weights for a classical codec, or two entries with one label, are errors, not silent
    assert main(["eval", *common, "--codec", f"jpeg@{weights}"]) == 1
    assert main(["eval", *common, "--codec", "jpeg,jpeg"]) == 1


def test_codec_without_weights_is_skipped_with_a_clear_reason(tiny_manifest, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(catalog.CODECS, "ghost", catalog.Entry(f"{__name__}:_NoWeights"))
    monkeypatch.delitem(registry._CLASSES, "ghost", raising=False)
    out = tmp_path / "r.json"
    assert main(["eval", "--manifest", str(tiny_manifest), "--split", "val", "--codec", "ghost", "--out",
                 str(out), "--no-progress"]) == 1
    assert "unavailable: no weights" in capsys.readouterr().err
    assert not out.exists()
    assert main(["eval", "--manifest", str(tiny_manifest), "--split", "val", "--limit", "1", "--codec",
                 "jpeg,ghost", "--qualities", "0.5", "--out", str(out), "--no-progress"]) == 0
    res = load_results(out)
    assert "no weights" in res["unavailable"]["ghost"] and list(res["codecs"]) == ["jpeg"]
    assert main(["codecs"]) == 0
    assert "ghost: quality -> test stand-in" in capsys.readouterr().out.replace("[unavailable: no weights]", "")


def test_bench_reports_throughput_and_memory(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--codec", "jpeg", "--sizes", "64x48,80x64", "--repeat", "2", "--out", str(out),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "torch threads:" in printed and "synthetic" in printed
    rows = json.loads(out.read_text())["rows"]
    assert [r["size"] for r in rows] == ["64x48", "80x64"]
    assert all(r["encode_pairs_per_s"] > 0 and r["peak_rss_mb"] > 0 for r in rows)
