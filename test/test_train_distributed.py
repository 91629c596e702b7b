"""Issue 5: two gloo processes (torchrun, CPU) train a few steps with DistributedDataParallel and
end with identical replicas: every parameter and buffer, the auxiliary quantiles included (DDP
ignores those; the loop averages their gradients itself)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from train_support import TINY_CONFIG, tiny_overrides, write_synthetic_set

from conftest import REPO
from rgbir_compress.train.checkpoint import load_checkpoint


def test_two_gloo_ranks_keep_identical_replicas(tmp_path):
    manifest = write_synthetic_set(tmp_path / "data", n_train=5)
    out = tmp_path / "run"
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": pythonpath}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(REPO / "test" / "train_ddp_worker.py"), str(TINY_CONFIG),
           *tiny_overrides(manifest, out, steps=3, val_manifest="''", ckpt_every=100)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    r0, r1 = (json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["world"] == r1["world"] == 2 and r0["step"] == r1["step"] == 3
    differing = [k for k in r0["hashes"] if r0["hashes"][k] != r1["hashes"][k]]
    assert not differing, differing[:5]
    assert any(k.endswith(".quantiles") for k in r0["hashes"])

    ck = load_checkpoint(out / "checkpoint.pth")
    assert ck["step"] == 3 and ck["world"] == 2
    assert isinstance(ck["rng"], list) and len(ck["rng"]) == 2  # each rank resumes its own stream
    assert not ck["rng"][0]["torch"].equal(ck["rng"][1]["torch"])  # the ranks draw different noise
    assert (out / "weights.pth").is_file()
