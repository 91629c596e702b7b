"""Run by test_train_distributed.py under torchrun: train, then write this rank's view of the
model (a hash of every parameter and buffer) to OUT_DIR/rank<R>.json."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

from rgbir_compress.train.config import TrainConfig
from rgbir_compress.train.loop import train


def state_hash(module: torch.nn.Module) -> dict[str, str]:
    return {k: hashlib.sha256(v.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]
            for k, v in module.state_dict().items()}


if __name__ == "__main__":
    cfg = TrainConfig.from_yaml(sys.argv[1], sys.argv[2:])
    result = train(cfg, quiet=True)
    rank = int(os.environ["RANK"])
    report = {"rank": rank, "world": int(os.environ["WORLD_SIZE"]), "step": result.step,
              "hashes": state_hash(result.model)}
    (Path(cfg.out_dir) / f"rank{rank}.json").write_text(json.dumps(report))
