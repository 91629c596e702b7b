"""Stream (video) codecs through the one PairCodec interface, the container and StreamDecoder:
key frames where they belong, and after any loss, late join, restart or damage a NeedKeyFrame /
DecodeError until the next key frame, never a wrong image."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("av")

from rgbir_compress import container  # noqa: E402
from rgbir_compress.codecs import stream_decoder  # noqa: E402
from rgbir_compress.codecs.catalog import stream_codecs  # noqa: E402
from rgbir_compress.codecs.factory import open_codec  # noqa: E402
from rgbir_compress.codecs.stream_decoder import StreamDecoder  # noqa: E402
from rgbir_compress.errors import DecodeError, NeedKeyFrame  # noqa: E402
from rgbir_compress.frame import ImagePair  # noqa: E402
from rgbir_compress.metrics import psnr  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402

CODECS = ("h264-stream", "hevc-stream", "av1-stream")
assert sorted(CODECS) == sorted(stream_codecs())
GOP = 5  # key_interval_s=1 at rate_hz=5
H, W = 40, 56
SCENE = SyntheticScene(H, W, seed=4)


def pair(i: int, scene: SyntheticScene = SCENE, thermal_encoding: str = "mono8") -> ImagePair:
    rgb, ir = scene.frame(i)
    return ImagePair(rgb=rgb, thermal=ir, rgb_encoding="rgb8", thermal_encoding=thermal_encoding)


def encoder(name: str, **options):
    return open_codec(name, device="cpu", threads=1, **{"rate_hz": 5, "key_interval_s": 1.0, **options})


def wire(cp):
    """Through container bytes, as a receiver gets it."""
    return container.loads(container.dumps(cp))


def sequence(name: str, n: int = 11, **options) -> list:
    enc = encoder(name, **options)
    return [wire(enc.encode(pair(i), 0.7)) for i in range(n)]


_reference: dict = {}


def reference(name: str) -> tuple[list, list]:
    """An 11-message stream and what an uninterrupted decoder makes of it (cached per codec)."""
    if name not in _reference:
        msgs = sequence(name)
        dec = StreamDecoder(device="cpu", threads=1)
        _reference[name] = (msgs, [dec.decode(m) for m in msgs])
    return _reference[name]


def same_image(a: ImagePair, b: ImagePair) -> bool:
    return np.array_equal(a.rgb, b.rgb) and np.array_equal(a.thermal, b.thermal)


@pytest.mark.parametrize("name", CODECS)
def test_moving_sequence_round_trip_with_key_frames_at_the_interval(name):
    msgs, decoded = reference(name)
    assert [m.seq for m in msgs] == list(range(11))
    assert len({m.stream_id for m in msgs}) == 1 and msgs[0].stream_id != 0
    assert [m.seq for m in msgs if m.key_frame] == [0, 5, 10]
    assert sum(len(m.rgb_data) for m in msgs[1:5]) < 4 * len(msgs[0].rgb_data)  # prediction pays
    for i, out in enumerate(decoded):
        rgb, ir = SCENE.frame(i)
        assert psnr(rgb, out.rgb) > 26 and psnr(ir, out.thermal) > 30, (i, psnr(rgb, out.rgb))


@pytest.mark.parametrize("lost", [1, 3, 5, 9])
@pytest.mark.parametrize("name", CODECS)
def test_a_lost_message_is_refused_until_the_next_key_frame(name, lost):
    msgs, decoded = reference(name)
    dec = StreamDecoder(device="cpu", threads=1)
    next_key = next(i for i in range(lost + 1, len(msgs)) if msgs[i].key_frame)
    for i, m in enumerate(msgs):
        if i == lost:
            continue
        if lost < i < next_key:
            with pytest.raises(NeedKeyFrame):
                dec.decode(m)
        else:
            assert same_image(dec.decode(m), decoded[i]), i


@pytest.mark.parametrize("name", CODECS)
def test_late_joiner_starts_at_a_key_frame(name):
    msgs, decoded = reference(name)
    dec = StreamDecoder(device="cpu", threads=1)
    for i in (2, 3, 4):
        with pytest.raises(NeedKeyFrame):
            dec.decode(msgs[i])
    for i in range(5, 11):
        assert same_image(dec.decode(msgs[i]), decoded[i])


def test_request_key_frame_is_honoured_on_the_next_pair_and_the_interval_restarts():
    enc = encoder("h264-stream")
    keys = []
    for i in range(10):
        if i == 3:
            enc.request_key_frame()
        keys.append(enc.encode(pair(i), 0.5).key_frame)
    assert [i for i, k in enumerate(keys) if k] == [0, 3, 8]
    assert enc.status()["last_key_frame_seq"] == 8


def test_every_message_is_a_key_frame_with_interval_zero():
    assert all(m.key_frame for m in sequence("hevc-stream", 4, key_interval_s=0))


def test_encoder_restart_is_a_new_stream():
    first = sequence("hevc-stream", 3)
    restarted = sequence("hevc-stream", 3)
    assert first[0].stream_id != restarted[0].stream_id
    dec = open_codec("hevc-stream", device="cpu")  # one decoder instance sees both streams
    for m in first:
        dec.decode(m)
    with pytest.raises(NeedKeyFrame, match="new stream"):
        dec.decode(restarted[1])
    dec.decode(restarted[0])
    dec.decode(restarted[1])


def test_stream_decoder_keeps_streams_apart_and_forgets_old_ones(monkeypatch):
    a, b = sequence("h264-stream", 4), sequence("h264-stream", 4)
    dec = StreamDecoder(device="cpu", threads=1)
    for ma, mb in zip(a, b):  # two publishers interleaved: each stream has its own references
        dec.decode(ma)
        dec.decode(mb)
    monkeypatch.setattr(stream_decoder, "MAX_STREAMS", 2)
    c = sequence("h264-stream", 1)
    dec.decode(c[0])  # a third stream evicts the least recently used (a)
    assert len(dec._streams) == 2
    with pytest.raises(NeedKeyFrame):
        dec.decode(dataclasses.replace(a[3], seq=4))


@pytest.mark.parametrize("name", CODECS)
def test_size_and_encoding_changes_start_with_a_key_frame(name):
    enc = encoder(name)
    dec = open_codec(name, device="cpu")
    small = SyntheticScene(24, 32, seed=1)
    steps = [pair(0), pair(1), pair(2, small), pair(3, small)]
    msgs = [wire(enc.encode(p, 0.6)) for p in steps]
    assert [m.key_frame for m in msgs] == [True, False, True, False]
    for m, p in zip(msgs, steps):
        assert dec.decode(m).rgb.shape == p.rgb.shape
    mono16 = SyntheticScene(24, 32, seed=1, mono16=True)
    rgb, ir16 = mono16.frame(4)
    cp = wire(enc.encode(ImagePair(rgb=rgb, thermal=ir16, thermal_encoding="mono16"), 0.6))
    assert cp.key_frame and dec.decode(cp).thermal.dtype == np.uint16


def test_quality_change_applies_at_the_next_key_frame():
    enc = encoder("h264-stream")
    msgs = [enc.encode(pair(i), 0.2 if i < 2 else 0.9) for i in range(6)]
    assert [m.key_frame for m in msgs] == [True, False, False, False, False, True]
    steady = encoder("h264-stream")
    low = [steady.encode(pair(i), 0.2) for i in range(6)]
    assert len(msgs[5].rgb_data) > 2 * len(low[5].rgb_data)  # the new quality, from the key frame on


@pytest.mark.parametrize("name", CODECS)
def test_truncated_and_corrupt_packets_are_decode_errors_then_recovery(name):
    msgs, decoded = reference(name)
    damaged = [dataclasses.replace(msgs[2], rgb_data=msgs[2].rgb_data[: len(msgs[2].rgb_data) // 2]),
               dataclasses.replace(msgs[2], thermal_data=b"\x00\x00\x01" + bytes(range(256)) * 2),
               dataclasses.replace(msgs[2], rgb_data=b"")]
    for bad in damaged:
        dec = StreamDecoder(device="cpu", threads=1)
        dec.decode(msgs[0])
        dec.decode(msgs[1])
        with pytest.raises(DecodeError):
            dec.decode(wire(bad))
        with pytest.raises(NeedKeyFrame):  # references are no longer trusted
            dec.decode(msgs[3])
        assert same_image(dec.decode(msgs[5]), decoded[5])


def test_a_message_claiming_a_key_frame_is_checked_against_its_packets():
    msgs, _ = reference("hevc-stream")
    dec = open_codec("hevc-stream", device="cpu")
    with pytest.raises(NeedKeyFrame):
        dec.decode(dataclasses.replace(msgs[3], key_frame=True))


def test_target_kbps_and_intra_refresh():
    n = 20
    enc = encoder("h264-stream", rate_hz=10, key_interval_s=1.0, target_kbps=40)
    msgs = [enc.encode(pair(i), 1.0) for i in range(n)]
    kbps = sum(m.byte_count().total for m in msgs) * 8 / 1000 / (n / 10)
    assert kbps < 3 * 40 and enc.status()["rate_control"] == "40 kbps"
    refresh = sequence("h264-stream", 8, intra_refresh=True)
    assert [m.seq for m in refresh if m.key_frame] == [0]
    dec = StreamDecoder(device="cpu", threads=1)
    assert all(dec.decode(m).rgb.shape == (H, W, 3) for m in refresh)


def test_status_says_what_runs():
    enc = encoder("hevc-stream")
    enc.encode(pair(0), 0.5)
    status = enc.status()
    assert status["encoder"] == "libx265" and status["key_interval_frames"] == GOP
    assert status["last_key_frame_seq"] == 0 and enc.stateful and enc.model_id.startswith("libx265/")


def test_still_codecs_carry_a_stream_position_too():
    jpeg = open_codec("jpeg")
    msgs = [wire(jpeg.encode(pair(i), 0.5)) for i in range(3)]
    assert [m.seq for m in msgs] == [0, 1, 2] and all(m.key_frame for m in msgs)
    assert len({m.stream_id for m in msgs}) == 1 and not jpeg.stateful
    assert jpeg.decode(msgs[2]).rgb.shape == (H, W, 3)  # stills decode in any order
    jpeg.request_key_frame()
