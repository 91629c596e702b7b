"""Shared test helpers: synthetic RGB + thermal pairs from the one synthetic scene (tests never use
the shared data unless it is present, and then skip cleanly without it), and the network setting
every ROS test needs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from rgbir_compress.scene import SyntheticScene

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the node harness (rgbir_harness/) runs from the source tree, never installed
    sys.path.insert(0, str(REPO))
SHARED_DATA = REPO.parent / "shared" / "data" / "rgbir"


def synthetic_pair(h: int = 96, w: int = 128, th: int | None = None, tw: int | None = None,
                   *, seed: int = 0, mono16: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A frame of the project's synthetic scene (rgbir_compress/scene.py) at h x w, the one where its
    warm object crosses the middle (so the thermal image has a hot spot); the thermal image at
    th x tw (nearest-neighbour, so still the same scene) when those differ."""
    rgb, ir = SyntheticScene(h, w, seed=seed, mono16=mono16).frame(round((w / 2 + 40) / 9))
    th, tw = th or h, tw or w
    if (th, tw) != (h, w):
        ir = ir[(np.arange(th) * h // th)[:, None], (np.arange(tw) * w // tw)[None, :]]
    return rgb, ir


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

    from rgbir_harness.loopback import FASTDDS_PROFILE

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
