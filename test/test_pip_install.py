"""Issue 2: `pip install .` into a clean venv without ROS and without torch gives a working codec
library: it imports, lists its codecs, and round-trips a pair through the jpeg codec and the
`.rgbir` container."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow]

CHECK = r"""
import importlib.util, sys
import numpy as np
import rgbir_compress
from rgbir_compress import container
from rgbir_compress.codecs import registry
from rgbir_compress.frame import ImagePair

assert "site-packages" in rgbir_compress.__file__, rgbir_compress.__file__
names = registry.names()
print("codecs:", ", ".join(names))
assert "jpeg" in names, names
yy, xx = np.mgrid[0:96, 0:128]
rgb = np.stack([xx * 2, yy * 2, (xx + yy) % 256], -1).astype(np.uint8)
thermal = ((xx * yy) % 200 + 30).astype(np.uint8)
codec = registry.create("jpeg")
cp = container.loads(container.dumps(codec.encode(ImagePair(rgb, thermal, rgb_encoding="bgr8"), 0.9)))
out = codec.decode(cp)
assert out.rgb.shape == rgb.shape and out.thermal.shape == thermal.shape and out.rgb_encoding == "bgr8"
err = np.abs(out.rgb.astype(int) - rgb).mean(), np.abs(out.thermal.astype(int) - thermal).mean()
assert max(err) < 8, err
for absent in ("rgbir_harness", "rgbir_compress.testing", "rgbir_compress.cli.device_cmds"):  # dev tooling
    assert importlib.util.find_spec(absent) is None, absent + " is development tooling, not installed"
for absent in ("rclpy", "torch"):
    assert importlib.util.find_spec(absent) is None, absent + " should not be installed here"
    assert absent not in sys.modules
print("round trip ok", cp.byte_count().total, "bytes")
"""


def _clean_env(venv: Path) -> dict[str, str]:
    """This process's environment without the ROS venv: its re-exec marker, library path, venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("_ROS_WHEELS_BOOTSTRAP_COMPLETE", "LD_LIBRARY_PATH", "PYTHONPATH", "VIRTUAL_ENV",
                        "PYTHONHOME", "AMENT_PREFIX_PATH", "CMAKE_PREFIX_PATH")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(sys.prefix)]
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + path)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _base_python() -> str:
    base = getattr(sys, "_base_executable", "") or ""
    if base and Path(base).is_file() and not base.startswith(sys.prefix):
        return base
    found = shutil.which("python3.11")
    if not found:
        pytest.skip("no python3.11 outside the venv")
    return found


def _copy_sources(dst: Path) -> None:
    """What a clone holds (tracked and untracked-but-not-ignored files), so pip's in-tree build
    writes nothing into the working tree."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=REPO, capture_output=True, check=True).stdout
    for rel in filter(None, out.decode().split("\0")):
        if (REPO / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dst / rel)


@pytest.fixture(scope="module")
def clean_install(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh python3.11 venv with `pip install <copy of this repo>` (not editable) and nothing else."""
    tmp = tmp_path_factory.mktemp("pip_install")
    src, venv = tmp / "src", tmp / "venv"
    _copy_sources(src)
    env = _clean_env(venv)
    subprocess.run([_base_python(), "-m", "venv", str(venv)], env=env, check=True, timeout=120)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(src)],
                             env=env, cwd=tmp, capture_output=True, text=True, timeout=800)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return venv, env


@pytest.mark.timeout(900)
def test_library_works_without_ros_and_torch(clean_install) -> None:
    venv, env = clean_install
    run = subprocess.run([str(venv / "bin" / "python"), "-c", CHECK], env=env, cwd=venv.parent,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "round trip ok" in run.stdout


@pytest.mark.timeout(900)
def test_cli_lists_codecs_without_optional_extras(clean_install) -> None:
    venv, env = clean_install
    cli = subprocess.run([str(venv / "bin" / "rgbir-compress"), "codecs"], env=env, cwd=venv.parent,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0 and "jpeg" in cli.stdout, cli.stdout + cli.stderr
