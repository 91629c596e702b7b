"""codec auto (codecs/auto.py) and the speed presets: the choice from a measured RD table and
timings here, learned codecs only when their measured RD wins, nothing-keeps-up, the table writer,
and the logged / diagnosed reason."""
from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from rgbir_compress.codecs import create, names
from rgbir_compress.codecs.auto import AutoCodec, choose
from rgbir_compress.codecs.catalog import presets
from rgbir_compress.codecs.defaults import DEFAULT_CODEC
from rgbir_compress.codecs.rd_table import TABLE_PATH, RDEntry, RDTable, load_table
from rgbir_compress.eval.rd_table import build_table, pick_labels
from rgbir_compress.frame import ImagePair

CLASSICAL = {"jpeg": (0.0, 0.0), "webp-m0": (-10.0, -10.0), "avif-s9": (-30.0, -30.0), "hevc-ultrafast": (-40.0, -40.0)}
#: fake speeds: the best RD is the slowest; ms per 640x512 pair, scaled by pixels
MS = {"jpeg": 4.0, "webp-m0": 15.0, "avif-s9": 40.0, "hevc-ultrafast": 160.0, "hyperprior": 20.0}


def table(**extra: tuple[float, float]) -> RDTable:
    return RDTable({n: RDEntry(n, *bd) for n, bd in {**CLASSICAL, **extra}.items()})


def timer(speeds=MS, calls=None):
    def measure(name, size, budget):
        if calls is not None:
            calls.append(name)
        return speeds[name] * size[0] * size[1] / (640 * 512)
    return measure


def test_default_codec_is_auto_and_the_shipped_table_names_registered_codecs() -> None:
    assert DEFAULT_CODEC == "auto"
    assert {"auto", *presets()} <= set(names())
    shipped = load_table()
    assert TABLE_PATH.is_file() and shipped.entries and set(shipped.entries) <= set(names())
    assert "rgbir-compress rd-table" in shipped.command  # written by the tool, not by hand


def test_choice_is_the_best_rd_that_keeps_up_and_timing_stops_there() -> None:
    calls = []
    c = choose(rate_hz=10, size=(640, 512), table=table(), runnable=list(MS), measure=timer(calls=calls))
    assert c.codec == "avif-s9" and c.keeps_up and c.measured_ms == 40.0
    assert calls == ["hevc-ultrafast", "avif-s9"]  # best RD first; webp-m0 and jpeg never timed
    assert "hevc-ultrafast 160 ms" in c.reason and "BD-rate vs jpeg" in c.reason


def test_choice_follows_size_and_rate() -> None:
    t = table()
    assert choose(rate_hz=5, size=(1280, 1024), table=t, runnable=list(MS), measure=timer()).codec == "webp-m0"
    assert choose(rate_hz=10, size=(1280, 1024), table=t, runnable=list(MS), measure=timer()).codec == "jpeg"
    assert choose(rate_hz=2, size=(640, 512), table=t, runnable=list(MS), measure=timer()).codec == "hevc-ultrafast"


def test_codecs_that_cannot_run_here_are_skipped() -> None:
    c = choose(rate_hz=10, size=(640, 512), table=table(), runnable=["jpeg", "webp-m0"], measure=timer())
    assert c.codec == "webp-m0"


def test_nothing_keeps_up_runs_the_fastest_and_says_so() -> None:
    c = choose(rate_hz=1000, size=(1920, 1080), table=table(), runnable=list(MS), measure=timer())
    assert c.codec == "jpeg" and not c.keeps_up
    assert "NO codec keeps 1000 Hz" in c.reason and "expect dropped pairs" in c.reason


def test_gpu_learned_codec_is_chosen_only_when_its_measured_rd_beats_the_classical_pick() -> None:
    fast_gpu = {**MS, "hyperprior": 8.0}  # CUDA: the learned codec keeps 10 Hz easily
    worse = choose(rate_hz=10, size=(640, 512), table=table(hyperprior=(-10.7, -22.1)),
                   runnable=list(fast_gpu), measure=timer(fast_gpu))
    assert worse.codec == "avif-s9"  # today's shipped weights: worse RD than avif-s9, so never picked
    better = choose(rate_hz=10, size=(640, 512), table=table(hyperprior=(-35.0, -45.0)),
                    runnable=list(fast_gpu), measure=timer(fast_gpu))
    assert better.codec == "hyperprior" and better.keeps_up


def test_cpu_learned_codec_that_wins_on_rd_but_is_too_slow_is_passed_over() -> None:
    slow_cpu = {**MS, "hyperprior": 900.0}
    c = choose(rate_hz=10, size=(640, 512), table=table(hyperprior=(-60.0, -60.0)),
               runnable=list(slow_cpu), measure=timer(slow_cpu))
    assert c.codec == "avif-s9" and "hyperprior 900 ms" in c.reason


def test_weights_other_than_the_measured_ones_are_not_trusted() -> None:
    t = table(hyperprior=(-60.0, -60.0))
    c = choose(rate_hz=10, size=(640, 512), table=t, runnable=list(MS),
               measure=lambda name, size, budget: None if name == "hyperprior" else timer()(name, size, budget))
    assert c.codec == "avif-s9" and "hyperprior (not the measured weights)" in c.reason


def test_an_empty_table_runs_the_fallback_and_says_why() -> None:
    c = choose(rate_hz=10, size=(640, 512), table=RDTable({}), runnable=list(MS), measure=timer())
    assert c.codec == "jpeg" and not c.keeps_up and "empty table" in c.reason


def test_auto_codec_logs_encodes_reports_status_and_a_decoder_reads_it() -> None:
    lines = []
    codec = AutoCodec(table=table(), log=lambda level, text: lines.append((level, text)))
    assert codec.name == "auto" and codec.status()["auto_codec"] == ""
    rng = np.random.default_rng(0)
    pair = ImagePair(rgb=rng.integers(0, 255, (64, 80, 3), np.uint8), thermal=rng.integers(0, 255, (64, 80), np.uint8))
    cp = codec.encode(pair, 0.5)
    assert cp.codec in CLASSICAL  # the stream names the real codec, never "auto"
    assert lines and lines[0][0] == "info" and f"codec auto -> {cp.codec}" in lines[0][1]
    status = codec.status()
    assert status["codec"] == status["auto_codec"] == cp.codec and status["auto_keeps_up"] is True
    assert "80x64" in status["auto_reason"] and "measured" in status["auto_reason"]
    out = create(cp.codec).decode(cp)  # what a decoder node does with the stream's codec name
    assert out.rgb.shape == pair.rgb.shape
    assert codec.decode(cp).rgb.shape == pair.rgb.shape


def test_auto_warns_when_nothing_keeps_up() -> None:
    lines = []
    codec = AutoCodec(rate_hz=1e6, table=table(), log=lambda level, text: lines.append((level, text)))
    choice = codec.select((64, 48))
    assert not choice.keeps_up
    assert lines[0][0] == "warning" and "NO codec keeps" in lines[0][1]


def test_rd_table_picks_the_measured_weights_and_the_format_by_name() -> None:
    entries = {"jpeg": {"model_id": "libjpeg-x"}, "avif": {"model_id": "libavif-old"},
               "hyperprior": {"model_id": "hyperprior@old", "codec": None},
               "hp_new": {"model_id": "hyperprior@new", "codec": "hyperprior"},
               "joint_run": {"model_id": "joint@other", "codec": "joint"}}
    installed = {"jpeg": "libjpeg-x", "avif": "libavif-new", "hyperprior": "hyperprior@new", "joint": "joint@mine"}
    picked = pick_labels(entries, installed, pinned={"hyperprior", "joint"})
    assert picked == {"jpeg": "jpeg", "avif": "avif", "hyperprior": "hp_new"}  # joint: not these weights


def _records(label: str, scale: float) -> list[dict]:
    """A fake curve: `scale` times JPEG's bits for the same PSNR."""
    out = []
    for q, (bpp, db) in enumerate([(0.2, 30.0), (0.4, 33.0), (0.8, 36.0), (1.6, 39.0)]):
        out.append({"codec": label, "quality": q / 4, "bpp_rgb": bpp * scale, "bpp_thermal": bpp * scale,
                    "psnr_rgb": db, "psnr_thermal": db, "psnr_yuv420": db, "msssim_rgb": None,
                    "msssim_thermal": None, "bpp_container": bpp, "container_bytes": 1, "rgb_bytes": 1,
                    "thermal_bytes": 1, "thermal_rmse": 1.0, "encode_ms": 1.0, "decode_ms": 1.0})
    return out


def test_rd_table_from_records_ranks_by_the_measured_bd_rate(tmp_path) -> None:
    records = _records("jpeg", 1.0) + _records("avif", 0.6) + _records("webp", 0.8)
    t, missing = build_table(records, {n: {"model_id": n} for n in ("jpeg", "avif", "webp")},
                             {"jpeg": "jpeg", "avif": "avif", "webp": "webp", "hevc": "hevc"}, set(),
                             reference="jpeg", source="fake", command="rgbir-compress rd-table x.json")
    assert [e.codec for e in t.ranked()] == ["avif", "webp", "jpeg"]
    assert t.entries["avif"].bd_rgb == pytest.approx(-40.0, abs=0.5)
    assert missing == {"hevc": "no records in the results"}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(t.to_json()))
    assert load_table(path).entries == t.entries


def test_presets_keep_the_base_quality_map_and_differ_only_in_encoder_options() -> None:
    for name, entry in presets().items():
        module, _, attr = entry.target.partition(":")
        base, options = getattr(importlib.import_module(module), attr), entry.options
        codec = create(name)
        assert codec.quality_map == base.quality_map
        assert codec.options == {**base.defaults, **options}
        assert name in names() and codec.quality_help.startswith(base.quality_help)


@pytest.mark.parametrize("name", ["webp-m0", "avif-s9", "jpegxl-e1"])
def test_preset_roundtrip(name: str) -> None:
    rng = np.random.default_rng(1)
    pair = ImagePair(rgb=rng.integers(0, 255, (48, 64, 3), np.uint8), thermal=rng.integers(0, 255, (48, 64), np.uint8))
    codec = create(name)
    out = codec.decode(codec.encode(pair, 0.7))
    assert out.rgb.shape == pair.rgb.shape and out.thermal.shape == pair.thermal.shape


def test_bag_compress_defaults_to_auto(tmp_path, monkeypatch) -> None:
    pytest.importorskip("rosbags")
    from rgbir_compress.bag.compress import CompressOptions, compress_bag
    from rgbir_compress.bag.synthetic import write_synthetic_bag

    bag = write_synthetic_bag(tmp_path / "in", pairs=4, height=48, width=64)
    opts = CompressOptions(rgb_topic=bag.rgb_topic, ir_topic=bag.ir_topic, progress=False, psnr_every=1)
    rep = compress_bag(bag.path, tmp_path / "out", opts)
    assert rep.pairs == 4 and rep.codec in load_table().entries, rep.summary()
    assert rep.psnr_rgb and min(rep.psnr_rgb) > 20  # tiny noisy synthetic frames


def test_auto_takes_a_stream_codec_that_measures_better_and_follows_its_state() -> None:
    pytest.importorskip("av")
    codec = AutoCodec(table=table(**{"h264-stream": (-70.0, -70.0)}), key_interval_s=2.0,
                      log=lambda level, text: None)
    assert not codec.stateful  # nothing chosen yet
    choice = codec.select((64, 48))
    assert choice.codec == "h264-stream" and codec.stateful
    rng = np.random.default_rng(2)
    cps = [codec.encode(ImagePair(rgb=rng.integers(0, 255, (48, 64, 3), np.uint8),
                                  thermal=rng.integers(0, 255, (48, 64), np.uint8)), 0.5) for _ in range(3)]
    assert cps[0].key_frame and not cps[1].key_frame  # the stream starts afresh after the timing
    assert [c.seq for c in cps] == [cps[0].seq + i for i in range(3)]
    for cp in cps:  # a receiver follows the stream through auto's stream decoder
        assert codec.decode(cp).rgb.shape == (48, 64, 3)
    codec.request_key_frame()
    assert codec.encode(ImagePair(rgb=np.zeros((48, 64, 3), np.uint8), thermal=np.zeros((48, 64), np.uint8)),
                        0.5).key_frame


def test_a_key_interval_of_zero_keeps_auto_on_still_codecs() -> None:
    codec = AutoCodec(table=table(**{"h264-stream": (-70.0, -70.0)}), key_interval_s=0.0,
                      log=lambda level, text: None)
    assert codec.select((64, 48)).codec != "h264-stream" and not codec.stateful


def test_rd_table_chains_stream_codecs_through_the_anchor() -> None:
    from rgbir_compress.eval.rd_table import sequence_entries

    def curve(scale):
        return [{"bytes": b * scale, "psnr": d} for b, d in ((100, 30.0), (200, 33.0), (400, 36.0), (800, 39.0))]

    seq = {"rate_hz": 10.0, "sequences": {"a": {"curves": {
        "avif-s9": {"colour": curve(1.0), "thermal": curve(1.0)},
        "hevc-stream": {"colour": curve(0.4), "thermal": curve(0.5)}}}}}
    anchor = RDEntry("avif-s9", -40.0, -40.0)
    found, missing = sequence_entries(seq, ["hevc-stream", "av1-stream"], anchor)
    # 0.4 x the anchor's rate, the anchor 0.6 x JPEG's: 0.24 x JPEG's = -76 %
    assert found["hevc-stream"].bd_rgb == pytest.approx(-76.0, abs=0.5)
    assert found["hevc-stream"].bd_thermal == pytest.approx(-70.0, abs=0.5)
    assert "chained" in found["hevc-stream"].basis and "av1-stream" in missing
