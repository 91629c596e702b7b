"""Training run settings: a dataclass filled from YAML plus `key=value` overrides."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml


@dataclass
class TrainConfig:
    arch: str = "independent"
    model: dict = field(default_factory=dict)        # constructor arguments of the architecture
    init_from: str = ""                              # weights file or checkpoint to warm-start from
    # data: a manifest (+ optional split/source filters) or a folder layout, or a rosbag
    train_manifest: str = ""
    train_split: str = "train"
    train_source: str = ""
    train_folder: str = ""
    train_layout: str = "llvip"
    val_manifest: str = ""
    val_split: str = "val"
    val_source: str = "m3fd"
    val_limit: int = 4
    val_qualities: list = field(default_factory=lambda: [0.0, 0.5, 1.0])
    crop: int = 256
    batch_size: int = 8
    workers: int = 0
    cache_mb: int = 1024
    # optimisation
    steps: int = 1000
    lr: float = 1e-4
    aux_lr: float = 1e-3
    lr_drop_at: list = field(default_factory=lambda: [0.8, 0.95])  # fractions of `steps`, x0.1 each
    clip_norm: float = 1.0
    stage: str = ""                                  # two-stage codecs: "" (all) or a stage name
    # efficiency
    threads: int = 0                                 # 0: leave torch's default
    channels_last: bool = True
    bf16: bool = False
    device: str = "auto"
    # bookkeeping
    out_dir: str = "runs/independent"
    seed: int = 0
    log_every: int = 20
    ckpt_every: int = 200
    val_every: int = 1000

    @classmethod
    def from_yaml(cls, path: str | Path | None, overrides: list[str] | None = None) -> "TrainConfig":
        data = yaml.safe_load(Path(path).read_text()) if path else {}
        data = data or {}
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}; known: {sorted(known)}")
        for item in overrides or []:
            key, sep, value = item.partition("=")
            if not sep or key.split(".")[0] not in known:
                raise ValueError(f"override {item!r} must be key=value with key in {sorted(known)}")
            parsed = yaml.safe_load(value)
            if "." in key:  # model.N=128
                head, sub = key.split(".", 1)
                data.setdefault(head, {})[sub] = parsed
            else:
                data[key] = parsed
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)
