"""Every codec's bitstream on fixed inputs is byte-identical to the recorded one.

Refactoring the codec seams (interfaces, packers, registries) must not move a single byte of what
goes on the wire: a stream written before must decode after, and a decoder that did not change
must read what the new encoder writes. The recorded digests (test/data/bitstream_digests.json)
cover every registered codec except `auto` (which writes its chosen codec's stream), at two
qualities, mono8 and mono16 thermal: what the codec writes (its two bitstreams, affine
coefficients, name, model_id, quality and mono16 window; not the container framing, which has
tests of its own and may grow fields) and the decoded pixels. Regenerate only for an intended
format change: `python test/test_bitstreams_fixed.py --write` (and say why in the commit).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rgbir_compress import container
from rgbir_compress.codecs.catalog import stream_codecs
from rgbir_compress.codecs.factory import open_codec
from rgbir_compress.errors import CodecUnavailable
from rgbir_compress.codecs.registry import names
from rgbir_compress.frame import ImagePair, Stamp
from rgbir_compress.scene import SyntheticScene

DIGESTS = Path(__file__).parent / "data" / "bitstream_digests.json"
QUALITIES = (0.25, 0.75)
# auto writes its chosen codec's stream; a stream codec's bytes depend on which encoder opened
# (NVENC where present) and on the stream's history: test_stream_codecs.py covers them.
SKIP = {"auto", *stream_codecs()}


def _pairs() -> dict[str, ImagePair]:
    rgb, ir8 = SyntheticScene(72, 88, seed=3).frame(5)
    _, ir16 = SyntheticScene(72, 88, seed=3, mono16=True).frame(5)
    common = dict(rgb=rgb, rgb_encoding="rgb8", stamp=Stamp(12, 345), frame_id="cam",
                  thermal_stamp=Stamp(12, 346), thermal_frame_id="flir")
    return {"mono8": ImagePair(thermal=ir8, thermal_encoding="mono8", **common),
            "mono16": ImagePair(thermal=ir16, thermal_encoding="mono16", **common)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def digests_of(name: str) -> dict[str, str]:
    codec = open_codec(name, device="cpu", threads=1)
    out = {}
    for kind, pair in _pairs().items():
        for q in QUALITIES:
            cp = container.loads(container.dumps(codec.encode(pair, q)))
            dec = codec.decode(cp)
            written = [cp.codec.encode(), cp.model_id.encode(), np.float32(cp.quality).tobytes(), cp.rgb_data,
                       cp.thermal_data, cp.affine_gamma.astype("<f4").tobytes(), cp.affine_beta.astype("<f4").tobytes(),
                       np.array([cp.thermal_lo, cp.thermal_hi], "<i8").tobytes()]
            out[f"{kind}@{q}"] = _sha(b"".join(len(w).to_bytes(4, "little") + w for w in written))
            out[f"{kind}@{q}:decoded"] = _sha(dec.rgb.tobytes() + dec.thermal.tobytes())
    return out


def _codecs() -> list[str]:
    return [n for n in names() if n not in SKIP]


@pytest.mark.parametrize("name", _codecs())
def test_bitstream_is_byte_identical_to_the_recorded_one(name):
    recorded = json.loads(DIGESTS.read_text())
    assert name in recorded, f"no recorded digests for codec {name!r}: run this file with --write"
    try:
        got = digests_of(name)
    except CodecUnavailable as exc:  # e.g. the learned codecs without torch
        pytest.skip(str(exc))
    assert got == recorded[name]


if __name__ == "__main__" and "--write" in sys.argv:
    table = {}
    for n in _codecs():
        try:
            table[n] = digests_of(n)
        except CodecUnavailable as exc:
            print(f"{n}: skipped ({exc})")
    DIGESTS.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table)} codecs to {DIGESTS}")
