"""Decode only what the wanted pairs of a compressed topic need (`bag extract --every N/--start`).

A still codec's message decodes alone: only wanted ones are decoded. A stream (video) message
needs every message of its stream since the last key frame, so the unwanted ones since then are
held (compressed: at most one key interval) and decoded, without being written, only when a
wanted pair comes: extraction starts at the nearest key frame before it. A wanted pair that cannot
be decoded (a message missing from the bag, a recording that starts between key frames, a corrupt
message) raises `UndecodablePair` saying which pair and why; it is never decoded from a wrong reference.
"""
from __future__ import annotations

from ..codecs.base import CompressedPair
from ..codecs.stream_decoder import StreamDecoder
from ..errors import DecodeError, UndecodablePair
from ..frame import ImagePair


class KeyFrameSeek:
    """push(cp, log_time) for every message of one topic, in bag order: the wanted pair, or None."""

    def __init__(self, decoder: StreamDecoder, every: int = 1, start_ns: int = 0) -> None:
        self.decoder, self.every, self.start_ns = decoder, max(1, every), start_ns
        self.index = 0                    # messages at or after start_ns so far
        self.decoded_between = 0          # decoded only to reach a wanted pair
        self._held: dict[tuple[str, int], list[CompressedPair]] = {}  # stream -> since key / last decode
        self._last: dict[tuple[str, int], int] = {}                    # stream -> seq last decoded
        self._broken: dict[tuple[str, int], str] = {}                  # stream -> why, until a key frame

    def _wanted(self, log_time: int) -> bool:
        if log_time < self.start_ns:
            return False
        self.index += 1
        return (self.index - 1) % self.every == 0

    def push(self, cp: CompressedPair, log_time: int) -> ImagePair | None:
        wanted = self._wanted(log_time)
        try:
            stateful = self.decoder.codec_for(cp.codec).stateful
        except DecodeError as exc:
            if wanted:
                raise UndecodablePair(f"pair {_name(cp)}: {exc}") from exc
            return None
        if not stateful:
            return self.decoder.decode(cp) if wanted else None
        key = (cp.codec, cp.stream_id)
        held = self._held.setdefault(key, [])
        if cp.key_frame:
            held.clear()
        held.append(cp)
        if not wanted:
            return None
        chain, self._held[key] = list(held), []
        try:
            for before in chain[:-1]:
                self.decoder.decode(before)
                self._last[key] = before.seq
                self.decoded_between += 1
            pair = self.decoder.decode(cp)
        except DecodeError as exc:
            why = self._broken[key] = self._why(key, chain)
            self._last.pop(key, None)
            raise UndecodablePair(f"pair {_name(cp)}: {why} ({type(exc).__name__}: {exc})") from exc
        self._last[key] = cp.seq
        self._broken.pop(key, None)
        return pair

    def _why(self, key: tuple[str, int], chain: list[CompressedPair]) -> str:
        """The first hole in the messages the pair needs, in words."""
        if not chain[0].key_frame and key in self._broken:
            return self._broken[key]
        seqs = ([] if chain[0].key_frame or key not in self._last else [self._last[key]]) + [c.seq for c in chain]
        if not chain[0].key_frame and len(seqs) == len(chain):
            return "no key frame of its stream before it in the bag (recording starts between key frames?)"
        for a, b in zip(seqs, seqs[1:]):
            if b != a + 1:
                gap = f"seq {a + 1}" if b == a + 2 else f"seq {a + 1}..{b - 1}"
                return (f"needs every message since its key frame; {gap} of its stream is missing from the "
                        "bag (decodes again from the next key frame)")
        return "a message it needs since its key frame did not decode"


def _name(cp: CompressedPair) -> str:
    return f"{cp.stamp.sec}_{cp.stamp.nanosec:09d} (stream {cp.stream_id:08x} seq {cp.seq})"


__all__ = ["KeyFrameSeek"]
