"""Camera stand-ins for loopback runs: real pairs from a folder, an MP4 sequence pair or a rosbag.

A source is `frame(i) -> (rgb HxWx3 uint8, thermal HxW)`, looped. Frames play at their own size
(the first pair's; a later pair or a thermal image of another size is resized to it, since the
nodes code a pair at one size) unless `size` (h, w) is given. Each loader holds only the frames a
run plays (`limit`), so a long sequence or bag costs no more memory than a short run needs.
"""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from PIL import Image

Frame = tuple[np.ndarray, np.ndarray]


def _fit(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    if img.shape[:2] == hw:
        return img
    return np.asarray(Image.fromarray(img).resize((hw[1], hw[0]), Image.Resampling.BILINEAR))


class Frames:
    """Up to `limit` pairs from `pairs`, at `size` (h, w) or the first pair's colour size; looped."""

    def __init__(self, pairs: Iterable[Frame], limit: int, size: tuple[int, int] | None = None,
                 what: str = "source") -> None:
        self.frames: list[Frame] = []
        for rgb, ir in islice(pairs, max(1, limit)):
            hw = size or (self.frames[0][0].shape[:2] if self.frames else rgb.shape[:2])
            self.frames.append((_fit(rgb, hw), _fit(ir, hw)))
        if not self.frames:
            raise SystemExit(f"{what}: no pairs found")

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0][0].shape[:2]

    def __call__(self, i: int) -> Frame:
        return self.frames[i % len(self.frames)]

    def __len__(self) -> int:
        return len(self.frames)


def _folder_pairs(folder: Path) -> Iterator[Frame]:
    rgb = {p.stem: p for p in (folder / "rgb").iterdir() if p.is_file()}
    ir = {p.stem: p for p in (folder / "ir").iterdir() if p.is_file()}
    for stem in sorted(set(rgb) & set(ir)):
        yield (np.asarray(Image.open(rgb[stem]).convert("RGB")), np.asarray(Image.open(ir[stem]).convert("L")))


def sequence_files(prefix: Path) -> tuple[Path, Path] | None:
    """(`<prefix>_rgb.mp4`, `<prefix>_ir.mp4`) when both exist (../shared/data/rgbt_seq/<name>)."""
    rgb, ir = (prefix.parent / f"{prefix.name}_{m}.mp4" for m in ("rgb", "ir"))
    return (rgb, ir) if rgb.is_file() and ir.is_file() else None


def sequence_step(prefix: Path, rate_hz: float) -> int:
    """Every how many camera frames to take for `rate_hz` (30 fps files, 10 Hz: 3)."""
    from rgbir_compress.eval.sequences import video_fps

    return max(1, round(video_fps(sequence_files(prefix)[0]) / rate_hz))


def sequence_pairs(prefix: Path, rate_hz: float) -> Iterator[Frame]:
    """Frame k of both MP4 files, every (fps / rate_hz)-th k; thermal is the grey channel (the
    eval harness's reader, eval/sequences.py)."""
    from rgbir_compress.eval.sequences import video_frames

    rgb, ir = sequence_files(prefix)
    step = sequence_step(prefix, rate_hz)
    return zip(video_frames(rgb, "rgb24", step), video_frames(ir, "gray", step))


def path_source(path: Path, rate_hz: float, limit: int, size: tuple[int, int] | None = None) -> Frames:
    """A folder with rgb/ and ir/ images, or a sequence prefix with `_rgb.mp4` / `_ir.mp4` files."""
    if sequence_files(path):
        return Frames(sequence_pairs(path, rate_hz), limit, size, what=str(path))
    if (path / "rgb").is_dir() and (path / "ir").is_dir():
        return Frames(_folder_pairs(path), limit, size, what=str(path))
    raise SystemExit(f"{path}: neither a folder with rgb/ and ir/ nor {path.name}_rgb.mp4 + {path.name}_ir.mp4")


def bag_pairs(bag: Path, rgb_topic: str, ir_topic: str) -> Iterator[Frame]:
    """Time-synchronised pairs of a rosbag, read by streaming (the bag's size does not matter)."""
    from rgbir_compress.bag.pair_stream import colour_of, paired_messages, thermal_of

    for rgb_msg, ir_msg in paired_messages(bag, rgb_topic, ir_topic, slop_ms=50):
        yield colour_of(rgb_msg), thermal_of(ir_msg)


FrameSource = Callable[[int], Frame]
