"""thermal_max_error, the one mono16 precision setting: exact counts (0) or every count within N
through the pair codecs and the container bytes, the window (-1) unchanged, version-1 input read
as the window, corrupt radiometric payloads refused, codecs that cannot send it refusing clearly."""
from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

from conftest import synthetic_pair
from rgbir_compress import container
from rgbir_compress.codecs import thermal_precision
from rgbir_compress.codecs.base import PairCodec, Streams
from rgbir_compress.codecs.factory import open_codec
from rgbir_compress.codecs.radiometric import encode_mono16, read_header
from rgbir_compress.container.serialise import _parts
from rgbir_compress.errors import DecodeError, EncodeError, NeedKeyFrame
from rgbir_compress.frame import ImagePair

HAVE_AV = importlib.util.find_spec("av") is not None
CODECS = ["jpeg", "avif-s9", pytest.param("hevc-stream", marks=pytest.mark.skipif(not HAVE_AV, reason="no PyAV"))]


def mono16_pair(seed: int = 1, h: int = 48, w: int = 64) -> ImagePair:
    rgb, ir = synthetic_pair(h, w, seed=seed, mono16=True)
    return ImagePair(rgb=rgb, thermal=ir, thermal_encoding="mono16")


def through_bytes(cp):
    return container.loads(container.dumps(cp))


@pytest.mark.parametrize("name", CODECS)
@pytest.mark.parametrize("max_error", [0, 3])
def test_counts_come_back_exactly_or_within_the_bound(name, max_error):
    enc = open_codec(name, device="cpu", thermal_max_error=max_error)
    dec = open_codec(name, device="cpu")  # a decoder needs no setting: the message says
    for i in range(3):  # a stream codec: a key frame, then predicted colour
        pair = mono16_pair(seed=i)
        cp = through_bytes(enc.encode(pair, 0.5))
        assert cp.thermal_max_error == max_error and enc.status()["thermal_max_error"] == max_error
        assert (cp.thermal_lo, cp.thermal_hi) == (int(pair.thermal.min()), int(pair.thermal.max()))
        assert read_header(cp.thermal_data).max_error <= max_error
        assert cp.byte_count().thermal == len(cp.thermal_data)  # the radiometric stream is the thermal payload
        out = dec.decode(cp)
        assert out.thermal.dtype == np.uint16 and out.thermal_encoding == "mono16"
        err = np.abs(out.thermal.astype(np.int64) - pair.thermal.astype(np.int64)).max()
        assert err <= max_error
        if max_error == 0:
            assert out.thermal.tobytes() == pair.thermal.tobytes()
        assert out.rgb.shape == pair.rgb.shape


@pytest.mark.parametrize("name", CODECS)
def test_without_the_setting_mono16_is_the_window_as_before(name):
    pair = mono16_pair()
    cp = open_codec(name, device="cpu").encode(pair, 0.5)
    assert cp.thermal_max_error == -1
    if name != "hevc-stream":  # still codecs: the very bytes of the window path
        explicit = open_codec(name, device="cpu", thermal_max_error=-1).encode(pair, 0.5)
        assert (explicit.rgb_data, explicit.thermal_data) == (cp.rgb_data, cp.thermal_data)


def test_mono8_is_unaffected_by_the_setting():
    rgb, ir = synthetic_pair(48, 64, seed=2)
    pair = ImagePair(rgb=rgb, thermal=ir)
    plain = open_codec("jpeg").encode(pair, 0.5)
    cp = open_codec("jpeg", thermal_max_error=0).encode(pair, 0.5)
    assert cp.thermal_max_error == -1 and (cp.rgb_data, cp.thermal_data) == (plain.rgb_data, plain.thermal_data)


def test_a_stream_codec_predicts_colour_only_and_still_refuses_a_gap():
    if not HAVE_AV:
        pytest.skip("no PyAV")
    enc = open_codec("hevc-stream", device="cpu", thermal_max_error=0, key_interval_s=10)
    cps = [through_bytes(enc.encode(mono16_pair(seed=i), 0.5)) for i in range(4)]
    assert [cp.key_frame for cp in cps] == [True, False, False, False]
    dec = open_codec("hevc-stream", device="cpu")
    dec.decode(cps[0])
    with pytest.raises(NeedKeyFrame):  # colour is predicted: a gap is still a gap
        dec.decode(cps[2])


def test_version_1_input_reads_as_the_window():
    codec = open_codec("jpeg")
    pair = mono16_pair()
    cp = codec.encode(pair, 0.5)
    parts = _parts(cp, version=1)
    v1 = b"".join(parts) + container.crc32_of(cp, version=1).to_bytes(4, "little")
    assert v1[4] == 1
    old = container.loads(v1)
    assert old.thermal_max_error == -1
    np.testing.assert_array_equal(codec.decode(old).thermal, codec.decode(cp).thermal)


def test_corrupt_radiometric_payload_in_a_sound_container_is_a_decode_error():
    codec = open_codec("jpeg", thermal_max_error=0)
    cp = codec.encode(mono16_pair(), 0.5)
    data = bytearray(cp.thermal_data)
    data[len(data) // 2] ^= 0x40
    for bad in (bytes(data), cp.thermal_data[:-5], b""):
        resealed = through_bytes(dataclasses.replace(cp, thermal_data=bad))  # the container checks out
        with pytest.raises(DecodeError):
            codec.decode(resealed)


def test_a_stream_looser_than_the_message_says_is_refused():
    pair = mono16_pair()
    cp = open_codec("jpeg", thermal_max_error=0).encode(pair, 0.5)
    loose = dataclasses.replace(cp, thermal_data=encode_mono16(pair.thermal, 9, method="zstd-3").data)
    with pytest.raises(DecodeError, match="bounded by 9"):
        open_codec("jpeg").decode(loose)


@pytest.mark.parametrize("overrides", [dict(thermal_max_error=-2), dict(thermal_max_error=40000),
                                       dict(thermal_max_error=0, thermal_encoding="mono8")])
def test_container_refuses_an_impossible_setting(overrides):
    cp = dataclasses.replace(open_codec("jpeg", thermal_max_error=0).encode(mono16_pair(), 0.5), **overrides)
    with pytest.raises(DecodeError, match="thermal_max_error"):
        container.loads(container.dumps(cp))


@pytest.mark.parametrize("value", [-2, 32768, 1.5, True, "0"])
def test_open_codec_refuses_a_bad_setting(value):
    with pytest.raises(ValueError, match="thermal_max_error"):
        open_codec("jpeg", thermal_max_error=value)


class _Joint(PairCodec):
    """Stands in for a cross-modal codec (colour stream needs the thermal one)."""

    name = "joint-stand-in"

    def encode_streams(self, rgb, thermal, quality):
        return Streams(rgb.tobytes(), thermal.tobytes())

    def decode_streams(self, streams, rgb_hw, thermal_hw, quality):
        return (np.frombuffer(streams.rgb_data, np.uint8).reshape(rgb_hw + (3,)),
                np.frombuffer(streams.thermal_data, np.uint8).reshape(thermal_hw))


def test_a_codec_that_codes_jointly_refuses_mono16_at_full_precision():
    codec = _Joint()
    codec.set_thermal_max_error(0)
    with pytest.raises(EncodeError, match="jointly.*thermal_max_error -1"):
        codec.encode(mono16_pair(), 0.5)
    rgb, ir = synthetic_pair(16, 16)
    assert codec.encode(ImagePair(rgb=rgb, thermal=ir), 0.5).thermal_max_error == -1  # mono8: unaffected
    codec.set_thermal_max_error(-1)
    assert codec.encode(mono16_pair(), 0.5).thermal_max_error == -1


def test_auto_passes_the_setting_on_and_chooses_only_codecs_that_can_send_it():
    auto = open_codec("auto", device="cpu", thermal_max_error=0)
    assert not {"hyperprior", "conditional", "joint"} & set(auto._runnable())
    pair = mono16_pair()
    cp = auto.encode(pair, 0.5)
    assert cp.codec != "auto" and cp.thermal_max_error == 0
    assert open_codec(cp.codec).decode(through_bytes(cp)).thermal.tobytes() == pair.thermal.tobytes()


def test_the_bound_limit_is_the_radiometric_librarys():
    from rgbir_compress.codecs.radiometric.mono16 import MAX_ERROR

    assert thermal_precision.MAX_ERROR == MAX_ERROR


def test_describe():
    assert [thermal_precision.describe(e, n) for e, n in (("mono8", -1), ("mono16", -1), ("mono16", 0),
                                                           ("mono16", 5))] == [
        "mono8", "mono16 8-bit window", "mono16 lossless", "mono16 within 5 counts"]
