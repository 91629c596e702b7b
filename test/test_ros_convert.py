"""sensor_msgs/Image <-> numpy without cv_bridge: every supported encoding, row padding (step),
big-endian mono16, and clear errors for what is not supported."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sensor_msgs.msg")
from sensor_msgs.msg import Image  # noqa: E402

from rgbir_compress.encodings import COLOUR_ENCODINGS, THERMAL_ENCODINGS  # noqa: E402
from rgbir_compress.errors import EncodeError  # noqa: E402
from rgbir_compress.frame import Stamp  # noqa: E402
from rgbir_compress.imagemsg import image_to_array, stamp_of  # noqa: E402
from rgbir_compress.ros.messages import to_image as array_to_image  # noqa: E402

SHAPES = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "mono16": 1}


def _array(encoding: str, h: int = 7, w: int = 5) -> np.ndarray:
    rng = np.random.default_rng(1)
    c = SHAPES[encoding]
    if encoding == "mono16":
        return rng.integers(0, 65536, (h, w), dtype=np.uint16)
    return rng.integers(0, 256, (h, w) if c == 1 else (h, w, c), dtype=np.uint8)


@pytest.mark.parametrize("encoding", list(SHAPES))
def test_round_trip(encoding: str) -> None:
    arr = _array(encoding)
    msg = array_to_image(arr, encoding, Stamp(12, 345), "cam")
    assert (msg.height, msg.width, msg.encoding, msg.is_bigendian) == (7, 5, encoding, 0)
    assert msg.step == 5 * SHAPES[encoding] * arr.itemsize and len(msg.data) == msg.step * 7
    assert stamp_of(msg) == Stamp(12, 345) and msg.header.frame_id == "cam"
    back = image_to_array(msg)
    assert back.dtype == arr.dtype and np.array_equal(back, arr)


def test_view_over_the_message_buffer() -> None:
    msg = array_to_image(_array("rgb8"), "rgb8", Stamp(), "")
    assert np.shares_memory(image_to_array(msg), np.frombuffer(msg.data, np.uint8))


@pytest.mark.parametrize("encoding", ["bgr8", "mono8", "mono16"])
def test_step_padding_is_honoured(encoding: str) -> None:
    arr = _array(encoding)
    row = arr.shape[1] * SHAPES[encoding] * arr.itemsize
    padded = np.full((arr.shape[0], row + 6), 0xAB, np.uint8)
    padded[:, :row] = arr.view(np.uint8).reshape(arr.shape[0], row)
    msg = Image(height=arr.shape[0], width=arr.shape[1], encoding=encoding, step=row + 6, is_bigendian=0)
    msg.data = padded.tobytes()
    assert np.array_equal(image_to_array(msg), arr)


def test_big_endian_mono16() -> None:
    arr = _array("mono16")
    msg = Image(height=7, width=5, encoding="mono16", step=10, is_bigendian=1)
    msg.data = arr.astype(">u2").tobytes()
    back = image_to_array(msg)
    assert back.dtype.isnative and np.array_equal(back, arr)


def test_unsupported_and_malformed_images_raise_encode_error() -> None:
    msg = array_to_image(_array("rgb8"), "rgb8", Stamp(), "")
    msg.encoding = "yuv422"
    with pytest.raises(EncodeError, match="yuv422"):
        image_to_array(msg)
    mono = array_to_image(_array("mono8"), "mono8", Stamp(), "")
    with pytest.raises(EncodeError, match="mono8"):
        image_to_array(mono, COLOUR_ENCODINGS)  # a thermal encoding on the colour input
    assert image_to_array(mono, THERMAL_ENCODINGS).shape == (7, 5)
    short = array_to_image(_array("rgb8"), "rgb8", Stamp(), "")
    short.data = bytes(short.data)[:-1]
    with pytest.raises(EncodeError, match="bytes"):
        image_to_array(short)
    narrow = array_to_image(_array("rgb8"), "rgb8", Stamp(), "")
    narrow.step = 3
    with pytest.raises(EncodeError, match="step"):
        image_to_array(narrow)
    with pytest.raises(EncodeError):
        array_to_image(_array("mono8"), "rgb8", Stamp(), "")
