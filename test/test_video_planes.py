"""Low-delay per-plane video coders (rgbir_compress.codecs.video) on the synthetic panning scene:
one packet per frame, key frames where asked, late join, loss recovery, corrupt input, odd sizes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

av = pytest.importorskip("av")

from rgbir_compress.codecs.video import (NeedKeyFrame, PlaneDecoder, PlaneEncoder,  # noqa: E402
                                         is_key_packet)
from rgbir_compress.errors import DecodeError, EncodeError  # noqa: E402
from rgbir_compress.metrics import psnr  # noqa: E402
from rgbir_compress.scene import SyntheticScene  # noqa: E402

H, W = 64, 96
CODECS = ["libx265", "libx264", "libsvtav1"]
SCENE = SyntheticScene(H, W)


def plane(i: int, pix_fmt: str, scene: SyntheticScene = SCENE) -> np.ndarray:
    rgb, thermal = scene.frame(i)
    return rgb if pix_fmt == "yuv420p" else thermal


def stream(codec: str, pix_fmt: str, n: int, keyint: int = 5, **kw):
    enc = PlaneEncoder(codec, pix_fmt, W, H, quality=0.6, keyint=keyint, **kw)
    packets = [enc.encode(plane(i, pix_fmt)) for i in range(n)]
    enc.close()  # raises if anything was held back
    return packets


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "gray"])
@pytest.mark.parametrize("codec", CODECS)
def test_one_packet_per_frame_keys_at_interval_and_decode(codec, pix_fmt):
    packets = stream(codec, pix_fmt, 12, keyint=5)
    assert [p.index for p in packets] == list(range(12))
    assert [i for i, p in enumerate(packets) if p.key] == [0, 5, 10]
    dec = PlaneDecoder(codec, pix_fmt, W, H)
    floor = 28 if pix_fmt == "yuv420p" else 35
    for i, p in enumerate(packets):
        out = dec.decode(p)
        ref = plane(i, pix_fmt)
        assert out.shape == ref.shape and out.dtype == ref.dtype
        assert psnr(ref, out) > floor, (codec, pix_fmt, i)
    assert any(len(p.data) < len(packets[0].data) / 2 for p in packets[1:5])  # inter frames predict


@pytest.mark.parametrize("codec", CODECS)
def test_every_frame_key_when_interval_zero(codec):
    packets = stream(codec, "gray", 4, keyint=0)
    assert all(p.key for p in packets)


@pytest.mark.parametrize("codec", CODECS)
def test_force_key_makes_a_start_point(codec):
    enc = PlaneEncoder(codec, "gray", W, H, quality=0.6, keyint=100)
    packets = [enc.encode(plane(i, "gray"), force_key=(i == 3)) for i in range(5)]
    assert [p.key for p in packets] == [True, False, False, True, False]
    late = PlaneDecoder(codec, "gray", W, H)
    assert psnr(plane(3, "gray"), late.decode(packets[3])) > 35
    assert psnr(plane(4, "gray"), late.decode(packets[4])) > 35


@pytest.mark.parametrize("codec", CODECS)
def test_late_join_refuses_until_key_frame(codec):
    packets = stream(codec, "yuv420p", 8, keyint=5)
    dec = PlaneDecoder(codec, "yuv420p", W, H)
    for p in packets[2:5]:
        with pytest.raises(NeedKeyFrame):
            dec.decode(p)
    assert not dec.ready
    for p in packets[5:]:
        assert psnr(plane(p.index, "yuv420p"), dec.decode(p)) > 28
    dec.reset()
    with pytest.raises(NeedKeyFrame):
        dec.decode(packets[6].data)


@pytest.mark.parametrize("codec", CODECS)
def test_dropped_packet_waits_for_next_key_frame(codec):
    packets = stream(codec, "gray", 11, keyint=5)
    dec = PlaneDecoder(codec, "gray", W, H)
    for p in packets[:2]:
        dec.decode(p)
    for p in packets[3:5]:  # packet 2 lost: the index gap is noticed
        with pytest.raises(NeedKeyFrame):
            dec.decode(p)
    for p in packets[5:]:
        assert psnr(plane(p.index, "gray"), dec.decode(p)) > 35


@pytest.mark.parametrize("codec", CODECS)
def test_corrupt_and_truncated_packets_raise(codec):
    # FFmpeg's HEVC decoder does not report truncation; the picture hash makes it visible
    hashed = {"picture_hash": True} if codec == "libx265" else {}
    packets = stream(codec, "yuv420p", 3, keyint=5, **hashed)
    for bad in (packets[0].data[: len(packets[0].data) // 2], packets[1].data[: len(packets[1].data) // 2]):
        dec = PlaneDecoder(codec, "yuv420p", W, H, **hashed)
        if bad is not packets[0].data[: len(packets[0].data) // 2]:
            dec.decode(packets[0])
        with pytest.raises(DecodeError):
            dec.decode(bad)
        assert not dec.ready  # an error drops the references
        with pytest.raises(NeedKeyFrame):
            dec.decode(packets[2])
    dec = PlaneDecoder(codec, "yuv420p", W, H)
    for junk in (b"", bytes(range(256)) * 4, b"\x00\x00\x00\x01" + bytes(64)):
        with pytest.raises(DecodeError):
            dec.decode(junk)
    assert psnr(plane(0, "yuv420p"), dec.decode(packets[0])) > 28  # still usable afterwards


def test_x265_picture_hash_detects_bit_errors_in_inter_frames():
    packets = stream("libx265", "gray", 3, keyint=5, picture_hash=True)
    dec = PlaneDecoder("libx265", "gray", W, H)
    dec.decode(packets[0])
    dec.decode(packets[1])
    data = bytearray(packets[2].data)
    for k in range(len(data) // 3, len(data) - 40, 7):
        data[k] ^= 0x5A
    with pytest.raises(DecodeError):
        dec.decode(bytes(data))


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "gray"])
@pytest.mark.parametrize("codec", CODECS)
def test_odd_sizes_are_padded_and_cropped(codec, pix_fmt):
    h, w = 50, 66
    scene = SyntheticScene(h, w)
    enc = PlaneEncoder(codec, pix_fmt, w, h, quality=0.7, keyint=4)
    dec = PlaneDecoder(codec, pix_fmt, w, h)
    for i in range(3):
        ref = plane(i, pix_fmt, scene)
        out = dec.decode(enc.encode(ref))
        assert out.shape == ref.shape and psnr(ref, out) > 28


@pytest.mark.parametrize("pix_fmt,bits", [("gray10le", 10), ("gray12le", 12)])
def test_x265_high_depth_grey(pix_fmt, bits):
    scene = SyntheticScene(H, W, mono16=True)
    enc = PlaneEncoder("libx265", pix_fmt, W, H, quality=0.8, keyint=5)
    dec = PlaneDecoder("libx265", pix_fmt, W, H)
    assert enc.coded_fmt == pix_fmt  # coded as 4:0:0 at that depth, not as Y of 4:2:0
    for i in range(3):
        ref = (scene.frame(i)[1] >> (16 - bits)).astype(np.uint16)
        out = dec.decode(enc.encode(ref))
        assert out.dtype == np.uint16 and psnr(ref, out, peak=float((1 << bits) - 1)) > 40
    with pytest.raises(EncodeError):
        enc.encode(np.full((H, W), 1 << bits, np.uint16))  # must be scaled to the depth first


def test_wrong_input_is_refused():
    enc = PlaneEncoder("libx264", "gray", W, H)
    with pytest.raises(EncodeError):
        enc.encode(np.zeros((H, W, 3), np.uint8))
    with pytest.raises(EncodeError):
        PlaneEncoder("libx264", "gray12le", W, H)


def test_nvenc_name_falls_back_to_software_encoder():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        enc = PlaneEncoder(["hevc_nvenc", "libx265"], "yuv420p", W, H, keyint=5)
    if enc.name == "hevc_nvenc":
        pytest.skip("NVENC opened here: no fallback to test")
    assert enc.name == "libx265" and any("fell back to libx265" in str(w.message) for w in caught)
    packet = enc.encode(plane(0, "yuv420p"))
    assert packet.key and is_key_packet(packet.data, "hevc")
    assert psnr(plane(0, "yuv420p"), PlaneDecoder("hevc_nvenc", "yuv420p", W, H).decode(packet)) > 28


@pytest.mark.parametrize("codec", ["libx265", "libx264"])
def test_intra_refresh_codes_without_periodic_key_frames(codec):
    # x264 codes this grey as Y of 4:2:0: 4:0:0 with intra-refresh crashes libx264 (av 18.1 wheel)
    packets = stream(codec, "gray", 12, keyint=5, intra_refresh=True)
    assert [p.key for p in packets].count(True) == 1 and packets[0].key
    dec = PlaneDecoder(codec, "gray", W, H)
    for p in packets:
        assert psnr(plane(p.index, "gray"), dec.decode(p)) > 35


def test_bitrate_mode_opens_and_codes():
    enc = PlaneEncoder("libx264", "yuv420p", W, H, keyint=5, bitrate=200_000, vbv_kbit=100)
    dec = PlaneDecoder("libx264", "yuv420p", W, H)
    sizes = [len(dec.decode(p) is not None and p.data) for p in (enc.encode(plane(i, "yuv420p")) for i in range(6))]
    assert sum(sizes) * 8 < 3 * 200_000 * 6 / 30  # within a few times the budget at 30 fps
