"""`rgbir-compress fuzz`: throw damaged streams at every decoder and count what is not a clean error.

Inputs start from a valid stream of each codec (a small synthetic pair) and are damaged, with
hypothesis drawing the damage, along three paths a decoder meets in the field:
  container  bytes of a .rgbir file: truncation, bit flips, overwritten length/size words (huge,
             zero, random), inserted or deleted bytes, another version number;
  fields     the stream fields themselves (bitstreams, declared sizes, quality, encodings, affine
             coefficients) changed and re-sealed with a valid CRC, so the damage reaches the codec's
             own decoder instead of stopping at the integrity check;
  message    the same on a CompressedRGBIR message object (the ROS path, via from_message).
A stateful (stream) codec is fuzzed on a predicted message: before each input its decoder is reset
and fed the undamaged key frame that precedes it, as a receiver that followed the stream would be.
Outcomes: ok (decoded), rejected (DecodeError: the clear error), crash (any other exception),
hang (over the time limit). Peak memory is the process's maximum resident set size.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import signal
import struct
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

TARGETS = ("container", "fields", "message")
HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 0)
ODD_FLOATS = (float("nan"), float("inf"), float("-inf"), -1.0, 1.5, 3e38, -0.0)


class Hang(Exception):
    """The decoder under test ran past its alarm. Internal to this harness (never raised to a
    caller), so it is not in errors.py."""


def _alarm(signum, frame):
    raise Hang()


def synthetic_pair(h: int = 64, w: int = 96, seed: int = 0, index: int = 0):
    from ..frame import ImagePair
    from ..scene import SyntheticScene

    rgb, ir = SyntheticScene(h, w, seed).frame(index)
    return ImagePair(rgb=rgb, thermal=ir, rgb_encoding="rgb8", thermal_encoding="mono8")


# Small untrained models for learned codecs without shipped weights: a decoder's robustness does not
# depend on what its weights learned, so these stand in (marked "untrained" in the results).
STAND_INS = {
    "conditional": {"N_ref": 16, "M_ref": 24, "N": 16, "M": 24, "F": 64, "attn_dim": 12, "heads": 3, "levels": 3},
    "joint": {"N": 16, "M": 24, "N_ir": 16, "M_ir": 16, "slices": 3, "ctx": 16, "heads": 2, "window": 4,
              "swin_depth": 2, "cross_depth": 1, "ctx_heads": 2, "agents": 2, "levels": 3},
}


def stand_in(name: str):
    import torch

    from ..codecs.registry import get_class
    from ..codecs.learned.zoo import build

    torch.manual_seed(0)
    model = build(name, **STAND_INS[name]).eval()
    model.update(force=True)
    return get_class(name).from_module(model)


def open_codecs(names: list[str] | None = None) -> dict:
    """Every registered codec that can be created here; learned ones without weights get an
    untrained stand-in (key 'NAME (untrained)')."""
    from ..codecs import names as all_names
    from ..codecs.factory import open_codec
    from ..errors import CodecUnavailable

    unknown = [name for name in names or () if name not in all_names()]
    if unknown:  # a wrong name is the caller's error, not a codec that is unavailable here
        raise KeyError(f"unknown codec(s) {', '.join(unknown)}; available: {', '.join(all_names())}")
    out = {}
    for name in names or all_names():
        try:
            out[name] = open_codec(name, device="cpu", threads=1)
        except CodecUnavailable:
            if name in STAND_INS:
                out[f"{name} (untrained)"] = stand_in(name)
    return out


def _damage(data: bytes, draw) -> bytes:
    """One hypothesis-drawn damage to a byte string."""
    import hypothesis.strategies as st

    n = len(data)
    kind = draw(st.sampled_from(("truncate", "flip", "word", "insert", "delete", "splat")))
    if n == 0 or kind == "insert":
        at = draw(st.integers(0, n))
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "truncate":
        return data[: draw(st.integers(0, n - 1))]
    if kind == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, n - 1))
            buf[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(buf)
    if kind == "word":  # a length or size field becomes huge, zero or random
        at = draw(st.integers(0, max(0, n - 4)))
        value = draw(st.sampled_from(HUGE) | st.integers(0, 0xFFFFFFFF))
        return data[:at] + struct.pack("<I", value) + data[at + 4:]
    if kind == "delete":
        a = draw(st.integers(0, n - 1))
        return data[:a] + data[a + draw(st.integers(1, 64)):]
    a = draw(st.integers(0, n - 1))  # splat: a run of one byte value
    return data[:a] + bytes([draw(st.integers(0, 255))]) * draw(st.integers(1, 256)) + data[a + 256:]


def _damage_fields(cp, draw):
    """A CompressedPair with one field changed (sealed later with a valid CRC)."""
    import hypothesis.strategies as st

    field = draw(st.sampled_from(("rgb_data", "thermal_data", "size", "quality", "encoding", "affine", "swap")))
    if field in ("rgb_data", "thermal_data"):
        return dataclasses.replace(cp, **{field: _damage(getattr(cp, field), draw)})
    if field == "size":
        name = draw(st.sampled_from(("rgb_height", "rgb_width", "thermal_height", "thermal_width")))
        value = draw(st.sampled_from((0, 1, 7, 16384, 65535, 2**31 - 1)) | st.integers(0, 20000))
        return dataclasses.replace(cp, **{name: value})
    if field == "quality":
        return dataclasses.replace(cp, quality=draw(st.sampled_from(ODD_FLOATS) | st.floats(0, 1, width=32)))
    if field == "encoding":
        return dataclasses.replace(cp, thermal_encoding=draw(st.sampled_from(("mono16", "rgb8", "", "x" * 40))))
    if field == "affine":
        n = draw(st.integers(0, 5000))
        vals = np.full(n, draw(st.sampled_from(ODD_FLOATS) | st.floats(-2, 2, width=32)), np.float32)
        return dataclasses.replace(cp, affine_gamma=vals, affine_beta=vals[: draw(st.integers(0, n))])
    return dataclasses.replace(cp, rgb_data=cp.thermal_data, thermal_data=cp.rgb_data)


def seed_messages(codec, pair=None) -> tuple[list, object]:
    """(what a decoder must have decoded first, the message to damage): a still codec's pair alone;
    a stateful codec's second message (predicted) after its key frame."""
    if not codec.stateful:
        return [], codec.encode(pair or synthetic_pair(), 0.5)
    first = codec.encode(pair or synthetic_pair(), 0.5)
    return [first], codec.encode(pair or synthetic_pair(index=1), 0.5)


def _prime(codec, history: list) -> None:
    """Bring a stateful decoder to where the fuzzed message belongs (reset, then its history)."""
    if history:
        codec.reset()
        for cp in history:
            codec.decode(cp)


def _message(cp):
    from ..container.message import to_message

    ns = SimpleNamespace
    return to_message(cp, ns, ns, ns)


def attempt(target: str, codec, cp, draw):
    """Build one damaged input along `target` and decode it (raises whatever the decoder raises)."""
    import hypothesis.strategies as st
    from hypothesis import assume

    from ..container.serialise import dumps, loads
    from ..container.message import from_message

    original = dumps(cp)
    if target == "container":
        data = _damage(original, draw)
        assume(data != original)  # a bit flipped twice or a word overwritten by itself is no damage
        return codec.decode(loads(data))
    bad = _damage_fields(cp, draw)
    try:
        data = dumps(bad)
    except (ValueError, OverflowError, struct.error):
        data = None  # the writer itself refuses such a stream
    assume(data != original)
    if target == "fields":
        assume(data is not None)  # no stream to decode: the message path still tries such values
        return codec.decode(loads(data))
    msg = _message(cp)
    for k, v in vars(_message_fields(bad)).items():
        setattr(msg, k, v)
    if draw(st.booleans()):  # half re-sealed, half left with the stale CRC
        msg.crc32 = _sealed_crc(bad, msg.crc32)
    return codec.decode(from_message(msg))


def _message_fields(cp) -> SimpleNamespace:
    return SimpleNamespace(
        quality=cp.quality, rgb_height=cp.rgb_height, rgb_width=cp.rgb_width,
        thermal_height=cp.thermal_height, thermal_width=cp.thermal_width, thermal_encoding=cp.thermal_encoding,
        rgb_data=np.frombuffer(cp.rgb_data, np.uint8), thermal_data=np.frombuffer(cp.thermal_data, np.uint8),
        affine_gamma=cp.affine_gamma, affine_beta=cp.affine_beta)


def _sealed_crc(cp, fallback: int) -> int:
    from ..container.serialise import crc32_of

    try:
        return crc32_of(cp)
    except (ValueError, OverflowError, struct.error):
        return fallback


@dataclasses.dataclass
class Tally:
    tried: int = 0
    ok: int = 0
    rejected: int = 0
    crashes: list = dataclasses.field(default_factory=list)
    hangs: list = dataclasses.field(default_factory=list)


def run(seconds: float, codecs: dict, hang_s: float = 10.0, chunk: int = 25, seed_pair=None) -> dict:
    """Fuzz for about `seconds`; -> per codec/target tallies, peak RSS and totals."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    from ..errors import DecodeError

    seeds = {name: seed_messages(c, seed_pair) for name, c in codecs.items()}
    tallies = {(n, t): Tally() for n in codecs for t in TARGETS}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    old = signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + seconds

    @settings(max_examples=chunk, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data):  # no early exit on the deadline: hypothesis needs draws to depend on data only
        name = data.draw(st.sampled_from(sorted(codecs)))
        target = data.draw(st.sampled_from(TARGETS))
        tally = tallies[(name, target)]
        history, seed = seeds[name]
        _prime(codecs[name], history)
        signal.setitimer(signal.ITIMER_REAL, hang_s)
        try:
            attempt(target, codecs[name], seed, data.draw)
            tally.ok += 1
            tally.tried += 1
        except DecodeError:
            tally.rejected += 1
            tally.tried += 1
        except Hang:
            tally.hangs.append(f"over {hang_s} s")
            tally.tried += 1
        except HypothesisException:
            raise  # the generator's own control flow, not an outcome
        except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer is looking for
            tally.crashes.append(f"{type(exc).__name__}: {exc}"[:300])
            tally.tried += 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    try:
        while time.monotonic() < deadline:
            one()
    finally:
        signal.signal(signal.SIGALRM, old)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = {f"{n} / {t}": {"tried": v.tried, "ok": v.ok, "rejected": v.rejected,
                           "crashes": len(v.crashes), "hangs": len(v.hangs),
                           "examples": (v.crashes + v.hangs)[:5]}
            for (n, t), v in tallies.items()}
    return {"seconds": seconds, "hang_limit_s": hang_s, "rows": rows,
            "inputs": sum(r["tried"] for r in rows.values()),
            "crashes": sum(r["crashes"] for r in rows.values()),
            "hangs": sum(r["hangs"] for r in rows.values()),
            "peak_rss_mb": round(peak / 1024, 1), "rss_before_mb": round(rss0 / 1024, 1)}


def markdown(result: dict) -> str:
    lines = ["| codec / path | inputs | decoded | rejected (DecodeError) | crashes | hangs |", "|---|---|---|---|---|---|"]
    for k, r in result["rows"].items():
        lines.append(f"| {k} | {r['tried']} | {r['ok']} | {r['rejected']} | {r['crashes']} | {r['hangs']} |")
    lines.append(f"\n{result['inputs']} inputs in {result['seconds']:.0f} s: {result['crashes']} crashes, "
                 f"{result['hangs']} hangs (limit {result['hang_limit_s']} s); peak RSS {result['peak_rss_mb']} MB "
                 f"(before fuzzing {result['rss_before_mb']} MB)")
    return "\n".join(lines)


def cmd_fuzz(args: argparse.Namespace) -> int:
    from . import provenance
    from .results_file import write_results

    codecs = open_codecs(args.codec or None)
    if not codecs:
        print("fuzz: no codec could be opened", file=sys.stderr)
        return 2
    print(f"fuzzing {', '.join(sorted(codecs))} for {args.seconds:.0f} s", file=sys.stderr)
    result = run(args.seconds, codecs, hang_s=args.hang_s)
    print(markdown(result))
    if args.out:
        out = provenance.header("fuzz", vars(args))
        out.update({"kind": "rgbir-compress fuzz", "codecs": sorted(codecs), **result})
        write_results(json.loads(json.dumps(out, default=str)), args.out)
        print(f"wrote {args.out}")
    return 1 if result["crashes"] or result["hangs"] else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fuzz", help="damaged-stream fuzzing of every decoder (crashes, hangs, memory)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz (default 60)")
    p.add_argument("--codec", action="append", help="only this codec (repeatable; default: all available)")
    p.add_argument("--hang-s", type=float, default=10.0, help="an input taking longer is a hang (default 10)")
    p.add_argument("--out", help="results JSON")
    p.set_defaults(func=cmd_fuzz)
