"""Sequence mode of the evaluation: code a time-ordered RGB + thermal sequence through a registered
codec as a robot streams it, and measure what the receiver gets.

Why a mode of its own: a stream codec (h264/hevc/av1-stream) is stateful, so a pair's bytes depend
on the pairs before it and on where the key frames fall. The pair-by-pair `eval` cannot see that.
Here each (codec, quality) run is a fresh encoder (so it starts with a key frame) fed the frames in
order, told the message rate and key interval; every message goes through container bytes to a
separate decoder instance, as over the wire. Every message's ByteCount counts, key frames included;
PSNR is per frame against the source frames (colour RGB, thermal grey, peak 255), averaged in dB.
Still codecs run through the same loop, so both sides of a comparison are measured one way.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .. import container
from ..codecs.base import CompressedPair
from ..codecs.factory import open_codec
from ..frame import ImagePair
from ..metrics import psnr

MODALITIES = ("colour", "thermal")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass
class Sequence:
    """Frames of one sequence after subsampling, and the rate they stand for (messages per second)."""

    name: str
    rgb: list[np.ndarray]
    thermal: list[np.ndarray]
    rate_hz: float
    source: str

    def __len__(self) -> int:
        return len(self.rgb)


# -- loading ------------------------------------------------------------------------------------
def video_fps(path: Path) -> float:
    import av

    with av.open(str(path)) as box:
        return float(box.streams.video[0].average_rate or 30)


def video_frames(path: Path, fmt: str, step: int = 1, frames: int = 0) -> Iterator[np.ndarray]:
    """Every `step`-th of the first `frames` (0: all) frames of a video file as arrays in `fmt`
    ("rgb24", "gray"), decoded as they are read (a long file costs no memory)."""
    import av

    with av.open(str(path)) as box:
        for k, frame in enumerate(box.decode(video=0)):
            if frames and k >= frames:
                break
            if k % step == 0:
                yield frame.to_ndarray(format=fmt)


def _read_video(path: Path, fmt: str, frames: int, step: int) -> tuple[list[np.ndarray], float]:
    return list(video_frames(path, fmt, step, frames)), video_fps(path)


def _read_folder(folder: Path, frames: int, step: int, load: Callable) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if frames:
        files = files[:frames]
    return [load(p) for p in files[::step]]


def load_sequence(data: Path, name: str, frames: int, step: int, fps: float = 30.0) -> Sequence:
    """`data/<name>_rgb.mp4` + `<name>_ir.mp4` (thermal: grey), or the folder `data/<name>` with
    `rgb/` and `ir/` image files sorted by name (rate `fps`). `frames` source frames (0 = all),
    every `step`-th kept."""
    data = Path(data)
    folder = data / name
    if (folder / "rgb").is_dir() and (folder / "ir").is_dir():
        from ..imageio import load_rgb, load_thermal

        rgb = _read_folder(folder / "rgb", frames, step, load_rgb)
        thermal = _read_folder(folder / "ir", frames, step, load_thermal)
        source = str(folder)
    else:
        rgb, fps = _read_video(data / f"{name}_rgb.mp4", "rgb24", frames, step)
        thermal, _ = _read_video(data / f"{name}_ir.mp4", "gray", frames, step)
        source = str(data / f"{name}_{{rgb,ir}}.mp4")
    n = min(len(rgb), len(thermal))
    if n == 0:
        raise ValueError(f"{name}: no frames in {source}")
    return Sequence(name, rgb[:n], thermal[:n], fps / step, source)


def find_sequences(data: Path) -> list[str]:
    """Names in `data`: MP4 pairs `<name>_rgb.mp4`/`<name>_ir.mp4` and folders with rgb/ and ir/."""
    data = Path(data)
    mp4 = {p.name[: -len("_rgb.mp4")] for p in data.glob("*_rgb.mp4") if (data / p.name.replace("_rgb", "_ir")).exists()}
    folders = {p.name for p in data.iterdir() if (p / "rgb").is_dir() and (p / "ir").is_dir()}
    return sorted(mp4 | folders)


def synthetic_sequence(n: int, rate_hz: float, height: int = 480, width: int = 640) -> Sequence:
    """The panning synthetic scene, one scene index per message (the camera moves every message,
    whatever the rate): the moving-camera counterpart of static real footage."""
    from ..scene import SyntheticScene

    scene = SyntheticScene(height, width)
    pairs = [scene.frame(i) for i in range(n)]
    return Sequence("synthetic", [p[0] for p in pairs], [p[1] for p in pairs], rate_hz,
                    f"scene.py SyntheticScene({height}, {width}) frames 0..{n - 1}")


# -- coding -------------------------------------------------------------------------------------
def open_pair(name: str, rate_hz: float, key_interval_s: float, device: str = "auto"):
    """A fresh (encoder, decoder) of registered codec `name`: the encoder told the message rate and
    key interval (codecs without those options ignore them), the decoder a separate instance."""
    enc = open_codec(name, device=device, rate_hz=rate_hz, key_interval_s=key_interval_s)
    return enc, open_codec(name, device=device)


def stream(name: str, seq: Sequence, quality: float, key_interval_s: float, device: str = "auto"
           ) -> Iterator[tuple[CompressedPair, ImagePair]]:
    """Each message of one run in order, with what a receiver decodes from its container bytes."""
    enc, dec = open_pair(name, seq.rate_hz, key_interval_s, device)
    for rgb, thermal in zip(seq.rgb, seq.thermal):
        cp = enc.encode(ImagePair(rgb=rgb, thermal=thermal), quality)
        yield cp, dec.decode(container.loads(container.dumps(cp)))


def code_run(name: str, seq: Sequence, quality: float, key_interval_s: float, device: str = "auto",
             tick: Callable[[], None] | None = None) -> dict[str, dict]:
    """One (codec, quality) run: per modality {quality, bytes, psnr, key_frames, messages}."""
    out = {m: {"quality": quality, "bytes": 0, "psnr": [], "key_frames": 0, "messages": 0} for m in MODALITIES}
    for k, (cp, back) in enumerate(stream(name, seq, quality, key_interval_s, device)):
        count = cp.byte_count()
        scores = {"colour": psnr(seq.rgb[k], back.rgb[..., :3]), "thermal": psnr(seq.thermal[k], back.thermal)}
        for m, nbytes in (("colour", count.rgb), ("thermal", count.thermal)):
            out[m]["bytes"] += nbytes
            out[m]["psnr"].append(scores[m])
            out[m]["key_frames"] += bool(cp.key_frame)
            out[m]["messages"] += 1
        if tick:
            tick()
    for point in out.values():
        point["psnr"] = statistics.fmean(point["psnr"])
    return out


def curves(name: str, seq: Sequence, qualities: list[float], key_interval_s: float, device: str = "auto",
           tick: Callable[[], None] | None = None) -> dict[str, list[dict]]:
    """{colour: [points], thermal: [points]} of codec `name` on `seq`, one point per quality."""
    runs = [code_run(name, seq, q, key_interval_s, device, tick) for q in qualities]
    return {m: [r[m] for r in runs] for m in MODALITIES}


# -- timing -------------------------------------------------------------------------------------
def fit_640x512(plane: np.ndarray) -> np.ndarray:
    """Edge-pad (or crop) to 512 rows and 640 columns: the size the issue's speed target names."""
    h, w = plane.shape[:2]
    pad = [(0, max(512 - h, 0)), (0, max(640 - w, 0))] + [(0, 0)] * (plane.ndim - 2)
    return np.pad(plane, pad, mode="edge")[:512, :640]


def time_codec(name: str, seq: Sequence, quality: float, key_interval_s: float, frames: int,
               device: str = "auto") -> dict[str, float]:
    """Median encode and decode ms per pair at 640x512 over `frames` messages in order, the first
    (warm-up: opening the encoder, the first key frame) left out."""
    small = Sequence(seq.name, [fit_640x512(p) for p in seq.rgb[: frames + 1]],
                     [fit_640x512(p) for p in seq.thermal[: frames + 1]], seq.rate_hz, seq.source)
    enc, dec = open_pair(name, seq.rate_hz, key_interval_s, device)
    t_enc, t_dec = [], []
    for rgb, thermal in zip(small.rgb, small.thermal):
        t0 = time.perf_counter()
        data = container.dumps(enc.encode(ImagePair(rgb=rgb, thermal=thermal), quality))
        t1 = time.perf_counter()
        dec.decode(container.loads(data))
        t2 = time.perf_counter()
        t_enc.append(1e3 * (t1 - t0))
        t_dec.append(1e3 * (t2 - t1))
    return {"encode": statistics.median(t_enc[1:] or t_enc), "decode": statistics.median(t_dec[1:] or t_dec),
            "frames": max(len(t_enc) - 1, 1), "encoder": enc.status().get("encoder", name)}
