"""sensor_msgs/Image <-> numpy through rosbags message objects (imagemsg.py with the rosbags classes)."""
from __future__ import annotations

import numpy as np
import pytest

from rgbir_compress import encodings as enc
from rgbir_compress.bag.types import IMAGE_TYPE, image_classes, merged_store
from rgbir_compress.errors import EncodeError
from rgbir_compress.frame import Stamp
from rgbir_compress.errors import CorruptImage
from rgbir_compress.imagemsg import array_to_image as _array_to_image, image_to_array

STORE = merged_store()
ALL = tuple(enc.ENCODINGS)


def array_to_image(store, arr, encoding, stamp, frame_id):
    return _array_to_image(arr, encoding, stamp, frame_id, *image_classes(store), data_as_array=True)


@pytest.mark.parametrize("encoding", ALL)
def test_roundtrip_through_cdr(encoding):
    info = enc.ENCODINGS[encoding]
    rng = np.random.default_rng(0)
    shape = (5, 7) if info.channels == 1 else (5, 7, info.channels)
    arr = rng.integers(0, np.iinfo(info.dtype).max, shape, dtype=info.dtype)
    msg = array_to_image(STORE, arr, encoding, Stamp(3, 4), "cam")
    back = STORE.deserialize_cdr(STORE.serialize_cdr(msg, IMAGE_TYPE), IMAGE_TYPE)
    assert (back.header.stamp.sec, back.header.stamp.nanosec, back.header.frame_id) == (3, 4, "cam")
    np.testing.assert_array_equal(image_to_array(back, ALL), arr)


def test_step_padding_and_big_endian_are_honoured():
    arr = np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000
    msg = array_to_image(STORE, arr, "mono16", Stamp(), "")
    rows = arr.astype(">u2").view(np.uint8).reshape(3, 8)
    msg.data = np.pad(rows, ((0, 0), (0, 4)), constant_values=0xAB).ravel()
    msg.step, msg.is_bigendian = 12, 1
    np.testing.assert_array_equal(image_to_array(msg, ALL), arr)


def test_inconsistent_messages_are_rejected():
    msg = array_to_image(STORE, np.zeros((4, 4, 3), np.uint8), "rgb8", Stamp(), "")
    msg.data = msg.data[:20]
    with pytest.raises(CorruptImage, match="data has 20 bytes"):
        image_to_array(msg, ALL)
    msg = array_to_image(STORE, np.zeros((4, 4, 3), np.uint8), "rgb8", Stamp(), "")
    msg.step = 5
    with pytest.raises(CorruptImage, match="step"):
        image_to_array(msg, ALL)
    msg = array_to_image(STORE, np.zeros((4, 4), np.uint8), "mono8", Stamp(), "")
    with pytest.raises(EncodeError, match="unsupported encoding"):
        image_to_array(msg, enc.COLOUR_ENCODINGS)
