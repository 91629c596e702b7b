"""Issue 2: a ROS 2 workspace holding this repository as src/rgbir_compress builds with colcon (from
PyPI, inside the venv), and the message, the library and the nodes come from the install space."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
COLCON = VENV / "bin" / "colcon"
IGNORE = (".git", ".venv", ".build", "build", "install", "log", "runs", "checkpoints", "results",
          "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info")

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def copy_sources(dst: Path) -> None:
    """The files a clone would have: git's tracked and untracked-but-not-ignored files."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                             cwd=REPO, capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(REPO, dst, ignore=shutil.ignore_patterns(*IGNORE))
        return
    for rel in files:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dst / rel)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    if not COLCON.is_file():
        pytest.skip("colcon is not installed in this venv (tools/bootstrap.sh installs it)")
    ws = tmp_path_factory.mktemp("ws")
    copy_sources(ws / "src" / "rgbir_compress")
    env = dict(os.environ, AMENT_PREFIX_PATH=str(VENV), CMAKE_PREFIX_PATH=str(VENV),
               PATH=f"{VENV / 'bin'}:{os.environ.get('PATH', '')}", ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    result = subprocess.run(
        [str(COLCON), "build", "--event-handlers", "console_direct-",
         "--cmake-args", f"-DPython3_EXECUTABLE={VENV / 'bin' / 'python'}", "-DBUILD_TESTING=OFF"],
        cwd=ws, env=env, capture_output=True, text=True, timeout=400,
    )
    log = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, f"colcon build failed:\n{log}"
    return ws


def _install_env(ws: Path) -> dict[str, str]:
    prefix = ws / "install" / "rgbir_compress"
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONUNBUFFERED="1",
               AMENT_PREFIX_PATH=f"{prefix}:{VENV}")
    env["PYTHONPATH"] = os.pathsep.join([str(site)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env["LD_LIBRARY_PATH"] = os.pathsep.join([str(prefix / "lib")] + [p for p in [os.environ.get("LD_LIBRARY_PATH")] if p])
    return env


@pytest.mark.timeout(600)
def test_message_imports_from_the_installed_workspace(workspace: Path) -> None:
    code = (
        "import rgbir_compress, rgbir_compress.msg as m\n"
        "from rgbir_compress.msg import CompressedRGBIR\n"
        "from rgbir_compress.container.message import to_message\n"
        "import sys; msg = CompressedRGBIR(codec='jpeg', rgb_data=b'abc')\n"
        "print(rgbir_compress.__file__); print(m.__file__); print(sys.modules[CompressedRGBIR.__module__].__file__)\n"
        "print(bytes(msg.rgb_data))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=_install_env(workspace), cwd=workspace,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    install = str(workspace / "install" / "rgbir_compress")
    assert all(line.startswith(install) for line in lines[:3]), lines
    assert lines[3] == "b'abc'"


@pytest.mark.timeout(600)
def test_install_space_has_nodes_launch_and_config(workspace: Path) -> None:
    prefix = workspace / "install" / "rgbir_compress"
    for node in ("encoder_node", "decoder_node"):
        path = prefix / "lib" / "rgbir_compress" / node
        assert path.is_file() and os.access(path, os.X_OK), path
    share = prefix / "share" / "rgbir_compress"
    for rel in ("launch/encoder.launch.py", "launch/decoder.launch.py", "launch/loopback.launch.py",
                "config/encoder.yaml", "config/decoder.yaml", "msg/CompressedRGBIR.msg", "package.xml"):
        assert (share / rel).is_file(), rel
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "rgbir_compress").is_file()
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    assert (site / "rgbir_compress" / "codecs").is_dir() and not (site / "rgbir_compress" / "testing").exists()
    assert not (site / "rgbir_harness").exists()  # the node harness is development tooling


@pytest.mark.timeout(600)
def test_installed_encoder_node_starts(workspace: Path) -> None:
    """`ros2 run rgbir_compress encoder_node` runs lib/rgbir_compress/encoder_node; here with the
    venv's interpreter (its shebang names the system python3, which has ROS on a robot)."""
    node = workspace / "install" / "rgbir_compress" / "lib" / "rgbir_compress" / "encoder_node"
    log = workspace / "encoder.log"
    with open(log, "w") as f:
        proc = subprocess.Popen([sys.executable, str(node), "--ros-args", "-p", "codec:=jpeg",
                                 "-r", f"__ns:=/colcon_test_{os.getpid()}"],
                                env=_install_env(workspace), cwd=workspace, stdout=f, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None and "encoding" not in log.read_text():
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    text = log.read_text()
    assert "encoding" in text and "jpeg" in text, text
    assert proc.returncode == 0, text
