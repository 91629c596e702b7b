"""tools/gpu_check.py (issue 18) runs end to end on a CPU in its quick mode, so the lent GPU
machine's one command is known to work: results files, speed rows, cross-device counts."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("compressai")

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "gpu_check.py"


@pytest.mark.timeout(240)
def test_gpu_check_quick_on_cpu(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--skip-nodes",
                          "--codecs", "hyperprior", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=220)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert (tmp_path / "gpu_check.md").is_file()
    assert [(r["size"], r["batch"]) for r in res["speed"]] == [("128x96", 1), ("128x96", 2)]
    assert all(r["encode_ms_per_pair"] > 0 and r["bytes_per_pair"] > 0 for r in res["speed"])
    assert [(r["encoder"], r["decoder"]) for r in res["cross_device"]] == [("cpu", "cpu"), ("cpu", "cpu")]
    assert all(r["exact"] + r["detected"] + r["silent"] == 2 for r in res["cross_device"])
    assert res["silent_total"] == 0 and res["latent_bench"]["exact / device / reference"]["silent"] == 0
    assert res["nodes"] == {"skipped": "--skip-nodes"}
