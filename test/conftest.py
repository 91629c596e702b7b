"""Shared test helpers: synthetic RGB + thermal pairs (tests never use the shared data unless it
is present, and then skip cleanly without it), and the network setting every ROS test needs."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "rgbir"


def synthetic_pair(h: int = 96, w: int = 128, th: int | None = None, tw: int | None = None,
                   *, seed: int = 0, mono16: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A colour image with smooth gradients, shapes and mild noise, and a thermal image of the
    same scene (warm blobs where the shapes are), optionally at another size or 16 bit."""
    rng = np.random.default_rng(seed)
    th, tw = th or h, tw or w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([
        120 + 80 * np.sin(xx / (7 + 5 * rng.random())),
        100 + 60 * np.cos(yy / (9 + 5 * rng.random())),
        80 + 0.5 * (xx + yy) % 120,
    ], axis=-1)
    heat = np.zeros((h, w), np.float32)
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, max(5, min(h, w) / 3))
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
        rgb[mask] = rng.uniform(20, 230, 3)
        heat += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r**2))
    rgb = np.clip(rgb + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8)
    heat = 40 + 180 * heat / max(1e-6, heat.max()) + rng.normal(0, 2, heat.shape)
    ir = np.clip(heat, 0, 255)
    if (th, tw) != (h, w):
        iy = (np.arange(th) * h // th)[:, None]
        ix = (np.arange(tw) * w // tw)[None, :]
        ir = ir[iy, ix]
    if mono16:
        return rgb, (ir * 40 + 20000).astype(np.uint16)
    return rgb, ir.astype(np.uint8)


@pytest.fixture
def pair():
    return synthetic_pair()


def shared_data_or_skip() -> Path:
    if not (SHARED_DATA / "manifest.csv").is_file():
        pytest.skip("../shared/data/rgbir is not present")
    return SHARED_DATA


@pytest.fixture(scope="module")
def ros_context():
    """rclpy in this process, in a DDS domain of its own (from the pid), with the loopback Fast DDS
    profile; the environment is restored afterwards. Modules that use it importorskip rclpy."""
    import random

    import rclpy

    from rgbir_compress.testing.loopback import FASTDDS_PROFILE

    saved = {k: os.environ.get(k) for k in ("ROS_DOMAIN_ID", "FASTRTPS_DEFAULT_PROFILES_FILE")}
    domain = random.Random(os.getpid()).randint(20, 99)
    os.environ["ROS_DOMAIN_ID"] = str(domain)
    os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(FASTDDS_PROFILE))
    rclpy.init()
    try:
        yield domain
    finally:
        rclpy.try_shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
