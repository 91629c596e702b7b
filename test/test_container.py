"""The `.rgbir` container and the message converter: exact round trips, and DecodeError (never
another exception, never a hang or a huge allocation) for truncated, flipped, random, foreign
or lying input."""
from __future__ import annotations

import dataclasses
import math
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgbir_compress import container
from rgbir_compress.codecs.base import CompressedPair
from rgbir_compress.container import message
from rgbir_compress.container.layout import MAX_AFFINE, MAX_SIDE, MAX_STRING
from rgbir_compress.errors import DecodeError
from rgbir_compress.frame import Stamp

FAST = settings(max_examples=60, deadline=None)


def sample_pair(**overrides) -> CompressedPair:
    """Distinctive values, so each field can be found in the bytes by its content."""
    fields = dict(
        codec="jpeg", model_id="imagecodecs-1.0/libjpeg_turbo-3.1", quality=0.625,
        rgb_height=12345, rgb_width=2345, rgb_encoding="bgra8",
        thermal_height=345, thermal_width=456, thermal_encoding="mono16",
        rgb_data=b"\x11RGBDATA" * 7, thermal_data=b"\x22THERMAL" * 5,
        affine_gamma=np.array([1.5, 0.25, -2.0], np.float32), affine_beta=np.array([0.5, -0.75, 3.0], np.float32),
        thermal_lo=20011, thermal_hi=29876,
        stamp=Stamp(1_700_000_123, 456_789_012), frame_id="camera_rgb_optical",
        thermal_stamp=Stamp(-5, 999_999_999), thermal_frame_id="kamera_wärme",
        stream_id=0xDEADBEEF, seq=77, key_frame=False,
    )
    fields.update(overrides)
    return CompressedPair(**fields)


def assert_equal_pairs(a: CompressedPair, b: CompressedPair) -> None:
    for f in dataclasses.fields(CompressedPair):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb)
        elif f.name == "quality":
            assert np.float32(va) == np.float32(vb)
        else:
            assert va == vb, f.name


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def patch(data: bytes, offset: int, fmt: str, value) -> bytes:
    """Overwrite one field of a container and recompute its CRC: a consistent but lying file."""
    body = bytearray(data[:-4])
    struct.pack_into("<" + fmt, body, offset, value)
    return with_crc(bytes(body))


# -- round trips ----------------------------------------------------------------------------------
def test_roundtrip_bytes_and_file(tmp_path):
    cp = sample_pair()
    data = container.dumps(cp)
    assert data[:4] == container.MAGIC and data[4] == container.VERSION
    assert struct.unpack("<I", data[-4:])[0] == container.crc32_of(cp)
    assert_equal_pairs(container.loads(data), cp)
    path = tmp_path / "pair.rgbir"
    assert container.save(cp, path) == len(data) == path.stat().st_size
    assert_equal_pairs(container.load(path), cp)


@FAST
@given(
    text=st.text(max_size=40),
    blobs=st.tuples(st.binary(max_size=300), st.binary(max_size=300)),
    sizes=st.tuples(*[st.integers(1, MAX_SIDE)] * 4),
    quality=st.floats(0, 1, width=32),
    affine=st.lists(st.floats(-1e6, 1e6, width=32), max_size=8),
    stamp=st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(0, 2**32 - 1)),
    lohi=st.integers(0, 65534).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo + 1, 65535))),
)
def test_roundtrip_any_valid_pair(text, blobs, sizes, quality, affine, stamp, lohi):
    a = np.array(affine, np.float32)
    cp = sample_pair(
        frame_id=text, thermal_frame_id=text[::-1], model_id=text + "@x", rgb_data=blobs[0], thermal_data=blobs[1],
        rgb_height=sizes[0], rgb_width=sizes[1], thermal_height=sizes[2], thermal_width=sizes[3],
        quality=quality, affine_gamma=a, affine_beta=-a, stamp=Stamp(*stamp), thermal_lo=lohi[0], thermal_hi=lohi[1],
    )
    assert_equal_pairs(container.loads(container.dumps(cp)), cp)


def test_version_1_file_still_loads():
    """Written by the version-1 code (main at 657c2c6): no stream fields, read as a still pair."""
    from pathlib import Path

    from rgbir_compress.codecs.factory import open_codec

    data = (Path(__file__).parent / "data" / "container_v1.rgbir").read_bytes()
    assert data[4] == 1
    cp = container.loads(data)
    assert (cp.codec, cp.stream_id, cp.seq, cp.key_frame) == ("jpeg", 0, 0, True)
    assert open_codec("jpeg").decode(cp).rgb.shape == (24, 32, 3)


def test_version_1_message_still_loads():
    """A message of the version-1 definition (an old bag) has no stream fields; its crc32 covers the
    version-1 layout."""
    from rgbir_compress.container.layout import ADDED_IN_2

    cp = sample_pair(stream_id=0, seq=0, key_frame=True)
    msg = to_msg(cp)
    for name in ADDED_IN_2:
        delattr(msg, name)
    msg.crc32 = container.crc32_of(cp, version=1)
    assert_equal_pairs(message.from_message(msg), cp)
    msg.crc32 = container.crc32_of(cp)  # a version-2 crc does not check a version-1 message
    with pytest.raises(DecodeError, match="integrity"):
        message.from_message(msg)


def test_empty_mono16_range_is_rejected():
    cp = sample_pair(thermal_lo=500, thermal_hi=500)
    with pytest.raises(DecodeError, match="mono16 range"):
        container.loads(container.dumps(cp))


# -- damaged and foreign bytes ---------------------------------------------------------------------
DATA = container.dumps(sample_pair())


def test_truncation_at_every_offset():
    for n in range(len(DATA)):
        with pytest.raises(DecodeError):
            container.loads(DATA[:n])


def test_trailing_bytes():
    with pytest.raises(DecodeError):
        container.loads(DATA + b"\x00")
    with pytest.raises(DecodeError, match="trailing"):
        container.loads(with_crc(DATA[:-4] + b"\x00"))


@FAST
@given(st.data())
def test_any_bit_flip(data):
    i = data.draw(st.integers(0, len(DATA) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(DATA)
    flipped[i] ^= 1 << bit
    with pytest.raises(DecodeError):
        container.loads(bytes(flipped))


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes(junk):
    with pytest.raises(DecodeError):
        container.loads(junk)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_behind_a_valid_magic_and_crc(junk):
    """Gets past magic, version and CRC: only the field parser and the checks stand guard."""
    try:
        cp = container.loads(with_crc(container.MAGIC + bytes([container.VERSION, 0]) + junk))
    except DecodeError:
        return
    container.validate(cp)


@FAST
@given(st.data())
def test_body_mutations_with_recomputed_crc(data):
    body = bytearray(DATA[:-4])
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(6, len(body) - 1))
        body[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(6, len(body)))
        body = body[:cut] + data.draw(st.binary(max_size=20))
    try:
        cp = container.loads(with_crc(bytes(body)))
    except DecodeError:
        return
    container.validate(cp)  # whatever parses is at least a well-formed pair


def test_wrong_magic_and_unknown_version():
    with pytest.raises(DecodeError, match="magic"):
        container.loads(b"\x89PNG" + DATA[4:])
    for version in (0, 3, 255):
        with pytest.raises(DecodeError, match="version"):
            container.loads(with_crc(DATA[:4] + bytes([version]) + DATA[5:-4]))
    with pytest.raises(DecodeError, match="too short"):
        container.loads(b"RGIR")


def _offset(needle: bytes, back: int = 0) -> int:
    """Offset of a field found by its (distinctive) content, minus `back` bytes of length prefix."""
    i = DATA.find(needle)
    assert i >= 0
    return i - back


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "what"),
    [
        (_offset(b"\x11RGBDATA", 4), "I", 0xFFFFFFFF, "rgb_data"),
        (_offset(b"\x22THERMAL", 4), "I", 0x7FFFFFFF, "thermal_data"),
        (_offset(b"camera_rgb_optical", 2), "H", 0xFFFF, "frame_id"),
        (_offset(b"camera_rgb_optical", 2), "H", MAX_STRING, "frame_id"),
        (_offset(struct.pack("<3f", 1.5, 0.25, -2.0), 4), "I", 0xFFFFFFFF, "affine_gamma"),
        (_offset(struct.pack("<3f", 1.5, 0.25, -2.0), 4), "I", MAX_AFFINE + 1, "affine_gamma"),
        (_offset(struct.pack("<II", 12345, 2345)), "I", 0xFFFFFFFF, "rgb size"),
        (_offset(struct.pack("<II", 12345, 2345)), "I", MAX_SIDE + 1, "rgb size"),
        (_offset(struct.pack("<II", 345, 456)) + 4, "I", 0, "thermal size"),
        (_offset(struct.pack("<f", 0.625)), "f", math.nan, "quality"),
        (_offset(struct.pack("<f", 0.625)), "f", 1.5, "quality"),
        (_offset(struct.pack("<3f", 0.5, -0.75, 3.0)) + 8, "f", math.inf, "affine_beta"),
    ],
)
def test_lying_fields_with_valid_crc(offset, fmt, value, what):
    with pytest.raises(DecodeError):
        container.loads(patch(DATA, offset, fmt, value))


def test_invalid_utf8_string():
    i = _offset(b"camera_rgb_optical")
    with pytest.raises(DecodeError, match="UTF-8"):
        container.loads(patch(DATA, i, "2s", b"\xff\xfe"))


def test_affine_lengths_must_match():
    with pytest.raises(DecodeError, match="differ"):
        container.loads(container.dumps(sample_pair(affine_beta=np.zeros(2, np.float32))))


# -- the message converter -------------------------------------------------------------------------
def to_msg(cp: CompressedPair) -> SimpleNamespace:
    """A stand-in for the generated CompressedRGBIR: any class with the fields will do."""
    return message.to_message(cp, SimpleNamespace, SimpleNamespace, SimpleNamespace)


def test_message_roundtrip_and_crc_matches_the_file():
    cp = sample_pair()
    msg = to_msg(cp)
    assert msg.crc32 == struct.unpack("<I", container.dumps(cp)[-4:])[0]
    assert_equal_pairs(message.from_message(msg), cp)
    msg.rgb_data = list(msg.rgb_data)  # rclpy hands uint8[] over as array.array / sequences
    msg.affine_gamma = [float(v) for v in msg.affine_gamma]
    assert_equal_pairs(message.from_message(msg), cp)


def _set(msg: SimpleNamespace, path: str, value) -> SimpleNamespace:
    *parents, leaf = path.split(".")
    node = msg
    for p in parents:
        node = getattr(node, p)
    if value is _DELETE:
        delattr(node, leaf)
    else:
        setattr(node, leaf, value)
    return msg


_DELETE = object()
MESSAGE_FIELDS = [
    "header.stamp.sec", "header.stamp.nanosec", "header.frame_id", "header", "thermal_stamp.sec",
    "thermal_frame_id", "codec", "model_id", "quality", "rgb_height", "rgb_width", "rgb_encoding",
    "thermal_height", "thermal_width", "thermal_encoding", "thermal_lo", "thermal_hi", "rgb_data",
    "thermal_data", "affine_gamma", "affine_beta", "crc32", "stream_id", "seq", "key_frame", "thermal_max_error",
]
BAD_VALUES = [
    _DELETE, None, "abc", -1, 2**40, -(2**40), 1.5, math.nan, math.inf, [300, 1], [[1, 2], [3]],
    b"\xff\xfe", "\ud800", "x" * (MAX_STRING + 1), object(),
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
@pytest.mark.parametrize("field", MESSAGE_FIELDS)
def test_corrupted_message_field(field, value):
    cp = sample_pair()
    msg = _set(to_msg(cp), field, value)
    try:
        got = message.from_message(msg)
    except DecodeError:
        return
    # A few replacements mean the same thing (e.g. 1.5 for a float32 field whose CRC then fails,
    # or a list of bytes for a bytes field): if it decodes, it must be the original pair.
    assert_equal_pairs(got, cp)


@pytest.mark.parametrize(
    "overrides",
    [dict(quality=2.0), dict(rgb_height=0), dict(thermal_width=MAX_SIDE + 1),
     dict(affine_beta=np.zeros(1, np.float32)), dict(affine_gamma=np.array([np.nan, 0, 0], np.float32))],
)
def test_message_with_valid_crc_but_insane_fields(overrides):
    with pytest.raises(DecodeError):
        message.from_message(to_msg(sample_pair(**overrides)))


def test_message_bit_flip_in_payload():
    msg = to_msg(sample_pair())
    data = bytearray(msg.rgb_data)
    data[3] ^= 0x10
    msg.rgb_data = np.frombuffer(bytes(data), np.uint8)
    with pytest.raises(DecodeError, match="integrity"):
        message.from_message(msg)


def test_the_field_table_is_the_dataclass_and_the_message():
    """layout.FIELDS is the one definition: it names exactly CompressedPair's fields, and in the order
    and types of msg/CompressedRGBIR.msg (its header holding stamp and frame_id)."""
    import dataclasses
    from pathlib import Path

    from rgbir_compress.container.layout import FIELDS, HEADER_FIELDS

    names = [name for name, _ in FIELDS]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(CompressedPair))
    msg = Path(__file__).resolve().parents[1] / "msg" / "CompressedRGBIR.msg"
    declared = [line.split()[:2] for line in msg.read_text().splitlines() if line.strip() and not line.startswith("#")]
    ros_types = {"stamp": "builtin_interfaces/Time", "str": "string", "f32": "float32", "u16": "uint16",
                 "u32": "uint32", "i32": "int32", "bool": "bool", "bytes": "uint8[]", "f32[]": "float32[]"}
    expected = [["std_msgs/Header", "header"]] + [[ros_types[kind], name] for name, kind in FIELDS
                                                  if name not in HEADER_FIELDS] + [["uint32", "crc32"]]
    assert declared == expected
