"""Synthetic training sets for the training tests: PNG pairs plus a manifest in the format of
../shared/data/rgbir/manifest.csv, and the settings of a tiny, fast model."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from conftest import REPO, synthetic_pair

TINY_CONFIG = REPO / "config" / "train" / "tiny.yaml"
BAG_RGB, BAG_IR = "/cam/rgb", "/cam/ir"
BAG_FRAMES = 6


def write_synthetic_set(root: Path, n_train: int = 4, n_val: int = 1) -> Path:
    """n_train + n_val pairs (colour 80x96; thermal stored as 3 identical channels for every
    other pair, as M3FD does) -> root/manifest.csv."""
    rows = []
    for i in range(n_train + n_val):
        split = "train" if i < n_train else "val"
        rgb, ir = synthetic_pair(80, 96, seed=i) if split == "train" else synthetic_pair(64, 72, seed=i)
        for kind, img in (("rgb", rgb), ("ir", np.repeat(ir[:, :, None], 3, 2) if i % 2 else ir)):
            path = root / split / "synth" / kind / f"{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(path)
        rows.append({"split": split, "source": "synth", "stem": f"{i:03d}",
                     "rgb": f"{split}/synth/rgb/{i:03d}.png", "ir": f"{split}/synth/ir/{i:03d}.png"})
    manifest = root / "manifest.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def tiny_overrides(manifest: Path, out_dir: Path, **extra) -> list[str]:
    """key=value overrides that point config/train/tiny.yaml at a synthetic set."""
    settings = {"train_manifest": manifest, "val_manifest": manifest, "val_source": "synth",
                "out_dir": out_dir, **extra}
    return [f"{k}={v}" for k, v in settings.items()]


def write_synthetic_bag(path: Path, storage: str = "sqlite3") -> None:
    """Colour (rgb8, 40x48) at 10 Hz, thermal 3 ms after each (mono16 20x24, or rgb8 holding 3
    identical channels), plus a stray thermal frame 50 ms off any colour frame. Pixel values
    encode the frame index i: colour 20*i; rgb8 thermal 20*i+5; mono16 thermal 6553*i between
    a row of 0 and a row of 65530 (the 8-bit mapping stretches each frame's own range)."""
    from rosbags.rosbag2 import StoragePlugin, Writer

    from rgbir_compress.bag.types import image_classes
    from rgbir_compress.imagemsg import array_to_image
    from rgbir_compress.bag.types import jazzy_store
    from rgbir_compress.frame import Stamp

    store = jazzy_store()
    msgtype = "sensor_msgs/msg/Image"

    def image(ns: int, array: np.ndarray, encoding: str):
        return array_to_image(array, encoding, Stamp(ns // 10**9, ns % 10**9), "cam", *image_classes(store),
                              data_as_array=True)

    messages = []
    for i in range(BAG_FRAMES):
        t = 1_000_000_000 + i * 100_000_000
        messages.append((t, BAG_RGB, image(t, np.full((40, 48, 3), 20 * i, np.uint8), "rgb8")))
        if i % 2:
            ir, encoding = np.full((40, 48, 3), 20 * i + 5, np.uint8), "rgb8"
        else:
            ir, encoding = np.full((20, 24), 6553 * i, np.uint16), "mono16"
            ir[0], ir[-1] = 0, 65530
        messages.append((t + 3_000_000, BAG_IR, image(t + 3_000_000, ir, encoding)))
    stray = 1_250_000_000
    messages.append((stray, BAG_IR, image(stray, np.zeros((20, 24), np.uint16), "mono16")))
    with Writer(path, version=9, storage_plugin=StoragePlugin[storage.upper()]) as writer:
        conns = {t: writer.add_connection(t, msgtype, typestore=store) for t in (BAG_RGB, BAG_IR)}
        for t, topic, msg in sorted(messages, key=lambda m: m[0]):
            writer.write(conns[topic], t, store.serialize_cdr(msg, msgtype))
