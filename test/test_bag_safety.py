"""Safety rules of the bag tools: staged output, interruption, --force, corrupt input."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rosbags.highlevel import AnyReader
from rosbags.rosbag2 import Reader, Writer

from rgbir_compress.bag.compress import CompressOptions, compress_bag
from rgbir_compress.bag.decompress import DecompressOptions, decompress_bag
from rgbir_compress.bag.safety import leftover_partials
from rgbir_compress.errors import OutputExistsError
from rgbir_compress.bag.synthetic import write_synthetic_bag
from rgbir_compress.codecs import create

H, W = 48, 64
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_bag(tmp_path):
    return write_synthetic_bag(tmp_path / "in", pairs=6, height=H, width=W)


def opts(bag, **kw) -> CompressOptions:
    return CompressOptions(bag.rgb_topic, bag.ir_topic, codec="jpeg", progress=False, **kw)


def nothing_left(dst: Path) -> bool:
    return not dst.exists() and not leftover_partials(dst)


def test_existing_output_needs_force(tmp_path, small_bag):
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "precious.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        compress_bag(small_bag.path, dst, opts(small_bag))
    assert (dst / "precious.txt").read_text() == "keep me"
    rep = compress_bag(small_bag.path, dst, opts(small_bag, force=True))
    assert rep.pairs == 6 and not (dst / "precious.txt").exists()
    with AnyReader([dst]) as reader:
        assert reader.message_count == 9
    assert not leftover_partials(dst)


def test_output_may_not_overlap_input(tmp_path, small_bag):
    for dst in (small_bag.path, small_bag.path / "inner"):
        with pytest.raises(ValueError, match="overlaps the input"):
            compress_bag(small_bag.path, dst, opts(small_bag, force=True))


@pytest.mark.parametrize("jobs", [1, 2])
def test_interrupt_in_the_middle_leaves_nothing(tmp_path, small_bag, jobs):
    codec = create("jpeg")
    encode_batch, calls = codec.encode_batch, []

    def interrupted(pairs, quality):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode_batch(pairs, quality)

    codec.encode_batch = interrupted  # type: ignore[method-assign]
    dst = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        compress_bag(small_bag.path, dst, opts(small_bag, jobs=jobs), codec=codec)
    assert nothing_left(dst)


def test_writer_failure_leaves_nothing(tmp_path, small_bag, monkeypatch):
    write, count = Writer.write, []

    def failing(self, conn, timestamp, data):
        count.append(1)
        if len(count) == 4:
            raise OSError("disk full")
        write(self, conn, timestamp, data)

    monkeypatch.setattr(Writer, "write", failing)
    dst = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        compress_bag(small_bag.path, dst, opts(small_bag, storage="mcap"))
    assert nothing_left(dst)


SLOW_RUN = textwrap.dedent("""
    import signal, sys, time
    # as in a terminal: a child started in the background by a non-interactive shell inherits an
    # ignored SIGINT, and Ctrl-C could not reach it at all
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from rgbir_compress.bag.compress import CompressOptions, compress_bag
    from rgbir_compress.codecs import create
    codec = create("jpeg")
    encode_batch = codec.encode_batch
    def slow(pairs, quality):
        time.sleep(0.1)
        return encode_batch(pairs, quality)
    codec.encode_batch = slow
    compress_bag(sys.argv[1], sys.argv[2], CompressOptions(sys.argv[3], sys.argv[4], codec="jpeg",
                 progress=False), codec=codec)
    print("finished")
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_process_leaves_no_complete_looking_output(tmp_path, sig):
    bag = write_synthetic_bag(tmp_path / "in", pairs=60, height=H, width=W)
    dst = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(bag.path), str(dst), bag.rgb_topic, bag.ir_topic],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob(".out.partial-*/out")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # mid-run: a few pairs written
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "finished" not in out
    assert not dst.exists()
    with pytest.raises(FileNotFoundError):
        AnyReader([dst])
    left = leftover_partials(dst)
    if sig == signal.SIGKILL:  # cannot be caught: a staging folder remains, marked partial, incomplete
        assert len(left) == 1 and ".partial-" in left[0].name
        assert not (left[0] / "out" / "metadata.yaml").exists()
    else:
        assert left == [], err


def test_corrupt_images_are_counted_and_skipped(tmp_path, capsys):
    bag = write_synthetic_bag(tmp_path / "in", pairs=6, height=H, width=W, corrupt={1: "short", 3: "garbage"})
    rep = compress_bag(bag.path, tmp_path / "out", opts(bag))
    assert rep.pairs == 4 and rep.problems.counts == {"corrupt image": 2}
    assert rep.unpaired == {"rgb": 0, "ir": 2}
    stamp1 = bag.rgb_stamps[1]
    where = f"{bag.rgb_topic} at {stamp1.sec}.{stamp1.nanosec + 1_000_000:09d}"  # topic and log time
    assert where in rep.problems.messages[0] and "data has" in rep.problems.messages[0]
    assert where in capsys.readouterr().err


def test_corrupt_compressed_message_is_counted_and_skipped(tmp_path, small_bag):
    compress_bag(small_bag.path, tmp_path / "small", opts(small_bag))
    with Reader(tmp_path / "small") as reader, Writer(tmp_path / "damaged", version=9) as writer:
        conns = {c.id: writer.add_connection(c.topic, c.msgtype, msgdef=c.msgdef.data, rihs01=c.digest,
                                             offered_qos_profiles=c.ext.offered_qos_profiles)
                 for c in reader.connections}
        n = 0
        for conn, t, raw in reader.messages():
            if conn.topic == "/rgbir/compressed":
                n += 1
                if n == 3:
                    raw = bytearray(raw)
                    raw[len(raw) // 2] ^= 0xFF
            writer.write(conns[conn.id], t, bytes(raw))
    rep = decompress_bag(tmp_path / "damaged", tmp_path / "restored", DecompressOptions(progress=False))
    assert rep.pairs == 5 and rep.problems.counts == {"corrupt message": 1}
    assert "crc32" in rep.problems.messages[0] or "integrity" in rep.problems.messages[0]
