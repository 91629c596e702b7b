"""bag compress -> decompress on generated bags (sqlite3, mcap, ROS 1), and third-party readers."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from rosbags.highlevel import AnyReader

from rgbir_compress.bag.compress import CompressOptions, compress_bag
from rgbir_compress.bag.decompress import DecompressOptions, decompress_bag
from rgbir_compress.imagemsg import image_to_array
from rgbir_compress.scene import SyntheticScene
from rgbir_compress.bag.synthetic import (
    LATCHED_STATUS_QOS, SENSOR_QOS, as_encoding, write_synthetic_bag,
)
from rgbir_compress.bag.types import COMPRESSED_TYPE
from rgbir_compress.codecs import create
from rgbir_compress.encodings import ENCODINGS
from rgbir_compress.metrics import psnr

H, W = 64, 96
QUALITY = 0.8
PSNR_FLOOR = {"rgb": 27.0, "ir": 30.0}


def digest_tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()} if path.is_dir() else \
        {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}


def read_all(path: Path) -> dict[str, list[tuple[int, object, bytes]]]:
    """topic -> [(log time, message, raw bytes)] read with a bare AnyReader (no registration)."""
    out: dict[str, list] = {}
    with AnyReader([path]) as reader:
        for conn, t, raw in reader.messages():
            out.setdefault(conn.topic, []).append((t, reader.deserialize(raw, conn.msgtype), bytes(raw)))
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
        types = {c.topic: c.msgtype for c in reader.connections}
    out["__qos__"] = qos  # type: ignore[assignment]
    out["__types__"] = types  # type: ignore[assignment]
    return out


def make_readonly(path: Path) -> None:
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.mark.parametrize("storage,rgb_enc,ir_enc", [
    ("sqlite3", "rgb8", "mono8"),
    ("mcap", "bgr8", "mono16"),
])
def test_compress_decompress_restores_everything(tmp_path, storage, rgb_enc, ir_enc):
    src = tmp_path / "in"
    bag = write_synthetic_bag(src, pairs=6, height=H, width=W, storage=storage,
                              rgb_encoding=rgb_enc, ir_encoding=ir_enc, step_pad=4 if storage == "mcap" else 0)
    before = digest_tree(src)
    make_readonly(src)
    opts = CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", quality=QUALITY, storage=storage,
                           progress=False, psnr_every=1, jobs=2)
    rep = compress_bag(src, tmp_path / "small", opts)
    assert rep.pairs == 6 and rep.unpaired == {"rgb": 0, "ir": 0} and rep.problems.total == 0
    assert rep.copied == len(bag.extra_messages)
    assert rep.output_bytes < rep.input_bytes / 2  # tiny images: sqlite3's pages weigh in
    assert min(rep.psnr_rgb) > PSNR_FLOOR["rgb"] and min(rep.psnr_ir) > PSNR_FLOOR["ir"]
    assert digest_tree(src) == before  # the input is never modified

    small = read_all(tmp_path / "small")
    assert small["__types__"]["/rgbir/compressed"] == COMPRESSED_TYPE
    assert len(small["/rgbir/compressed"]) == 6
    assert bag.rgb_topic not in small

    drep = decompress_bag(tmp_path / "small", tmp_path / "restored",
                          DecompressOptions(storage=storage, progress=False, jobs=2))
    assert drep.pairs == 6 and drep.problems.total == 0
    restored = read_all(tmp_path / "restored")
    original = read_all(src)

    # the unrelated topic: byte for byte, same log times, same QoS, through both steps
    assert [(t, raw) for t, _, raw in restored[bag.extra_topic]] == bag.extra_messages
    assert restored["__qos__"][bag.extra_topic] == LATCHED_STATUS_QOS
    assert restored["__qos__"][bag.rgb_topic] == SENSOR_QOS

    scene = SyntheticScene(H, W, seed=0)
    for i in range(6):
        rgb_ref, ir_ref = as_encoding(*scene.frame(i), rgb_enc, ir_enc)
        _, rgb_msg, _ = restored[bag.rgb_topic][i]
        _, ir_msg, _ = restored[bag.ir_topic][i]
        for msg, orig in ((rgb_msg, original[bag.rgb_topic][i][1]), (ir_msg, original[bag.ir_topic][i][1])):
            assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == \
                (orig.header.stamp.sec, orig.header.stamp.nanosec)
            assert msg.header.frame_id == orig.header.frame_id
            assert msg.encoding == orig.encoding
        rgb = image_to_array(rgb_msg, tuple(ENCODINGS))
        ir = image_to_array(ir_msg, tuple(ENCODINGS))
        assert rgb.shape == rgb_ref.shape and ir.dtype == ir_ref.dtype
        assert psnr(rgb_ref, rgb) > PSNR_FLOOR["rgb"]
        peak = float(ir_ref.max()) - float(ir_ref.min()) if ir_ref.dtype == np.uint16 else None
        assert psnr(ir_ref, ir, peak=peak) > PSNR_FLOOR["ir"]


def test_compressed_mcap_reads_with_mcap_ros2(tmp_path):
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    from rgbir_compress.container.message import from_message

    bag = write_synthetic_bag(tmp_path / "in", pairs=4, height=H, width=W, storage="mcap")
    compress_bag(tmp_path / "in", tmp_path / "small",
                 CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", storage="mcap", progress=False))
    (mcap_file,) = (tmp_path / "small").glob("*.mcap")
    with open(mcap_file, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        msgs = [(ch.topic, m.log_time, ros) for _, ch, m, ros in reader.iter_decoded_messages(log_time_order=False)]
    assert [t for _, t, _ in msgs] == sorted(t for _, t, _ in msgs)  # written in log-time order
    compressed = [ros for topic, _, ros in msgs if topic == "/rgbir/compressed"]
    assert len(compressed) == 4
    jpeg = create("jpeg")
    for msg, stamp in zip(compressed, bag.rgb_stamps):
        assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (stamp.sec, stamp.nanosec)
        assert msg.codec == "jpeg" and msg.rgb_encoding == "rgb8"
        assert jpeg.decode(from_message(msg)).rgb.shape == (H, W, 3)
    status = [ros.data for topic, _, ros in msgs if topic == bag.extra_topic]
    assert status == ["status 0: ok", "status 2: ok"]


def test_ros1_bag_input(tmp_path):
    bag = write_synthetic_bag(tmp_path / "in.bag", pairs=4, height=H, width=W, storage="ros1", ir_encoding="mono16")
    rep = compress_bag(tmp_path / "in.bag", tmp_path / "small",
                       CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False))
    assert rep.pairs == 4 and rep.copied == 2
    decompress_bag(tmp_path / "small", tmp_path / "restored", DecompressOptions(progress=False))
    restored = read_all(tmp_path / "restored")
    assert [m.data for _, m, _ in restored[bag.extra_topic]] == ["status 0: ok", "status 2: ok"]
    assert restored["__qos__"][bag.extra_topic][0].durability.name == "TRANSIENT_LOCAL"  # was latched
    ir = restored[bag.ir_topic]
    assert [(m.header.stamp.sec, m.header.stamp.nanosec) for _, m, _ in ir] == \
        [(s.sec, s.nanosec) for s in bag.ir_stamps]
    assert {m.encoding for _, m, _ in ir} == {"mono16"}


def test_target_kbps_steers_quality(tmp_path):
    bag = write_synthetic_bag(tmp_path / "in", pairs=40, height=H, width=W)  # 10 Hz
    achieved = {}
    for target in (60.0, 150.0):
        out = tmp_path / f"out{int(target)}"
        compress_bag(tmp_path / "in", out, CompressOptions(
            bag.rgb_topic, bag.ir_topic, codec="jpeg", target_kbps=target, progress=False, psnr_every=0))
        sizes = [len(raw) for _, _, raw in read_all(out)["/rgbir/compressed"]]
        achieved[target] = np.mean(sizes[20:]) * 8 * 10 / 1000  # after the controller settled
        assert achieved[target] == pytest.approx(target, rel=0.25)


def test_input_files_stay_readonly_openable(tmp_path):
    """rosbags opens sqlite3 read-only: a bag on read-only media still compresses."""
    bag = write_synthetic_bag(tmp_path / "in", pairs=2, height=H, width=W)
    make_readonly(tmp_path / "in")
    os.chmod(tmp_path / "in", 0o555)
    try:
        rep = compress_bag(tmp_path / "in", tmp_path / "out",
                           CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False))
        assert rep.pairs == 2
    finally:
        os.chmod(tmp_path / "in", 0o755)


def test_batched_encoding_keeps_order_and_every_pair(tmp_path):
    """--batch 4 over 7 pairs (one partial batch) with the learned codec: same messages, same order,
    each decodes, sizes within a few % of pair-by-pair encoding."""
    bag = write_synthetic_bag(tmp_path / "in", pairs=7, height=H, width=W)
    sizes = {}
    for batch in (1, 4):
        opts = CompressOptions(bag.rgb_topic, bag.ir_topic, codec="hyperprior", quality=0.5,
                               progress=False, psnr_every=0, batch=batch, device="cpu")
        rep = compress_bag(tmp_path / "in", tmp_path / f"b{batch}", opts)
        assert rep.pairs == 7 and rep.problems.total == 0
        msgs = read_all(tmp_path / f"b{batch}")["/rgbir/compressed"]
        stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for _, m, _ in msgs]
        assert stamps == sorted(stamps) and len(set(stamps)) == 7
        sizes[batch] = [len(raw) for _, _, raw in msgs]
    for a, b in zip(sizes[1], sizes[4]):
        assert abs(a - b) <= 0.05 * a
    drep = decompress_bag(tmp_path / "b4", tmp_path / "restored", DecompressOptions(progress=False, device="cpu"))
    assert drep.pairs == 7 and drep.problems.total == 0


def test_each_image_topic_gets_its_own_qos_back(tmp_path):
    """bag compress records both image topics' QoS; decompress restores each (a reliable thermal
    topic next to a best-effort colour one stays reliable), not the compressed topic's."""
    from rosbags.interfaces import QosReliability

    reliable = [q._replace(reliability=QosReliability.RELIABLE, depth=20) for q in SENSOR_QOS]
    bag = write_synthetic_bag(tmp_path / "in", pairs=3, height=H, width=W, ir_qos=reliable)
    compress_bag(tmp_path / "in", tmp_path / "small",
                 CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False))
    decompress_bag(tmp_path / "small", tmp_path / "restored", DecompressOptions(progress=False))
    qos = read_all(tmp_path / "restored")["__qos__"]
    assert qos[bag.rgb_topic] == SENSOR_QOS and qos[bag.ir_topic] == reliable
