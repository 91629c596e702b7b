"""Training run settings: a dataclass filled from YAML plus `key=value` overrides."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml


@dataclass
class TrainConfig:
    arch: str = "hyperprior"
    model: dict = field(default_factory=dict)        # constructor arguments of the architecture
    init_from: str = ""                              # weights file or checkpoint to warm-start from
    init_partial: bool = False                       # warm-start only what fits (ablations); else all or error
    # data: one of a manifest (+ optional split/source filters), a folder layout, or a rosbag
    train_manifest: str = ""
    train_split: str = "train"  # one split or several, comma-separated ("train,extra")
    train_source: str = ""
    train_folder: str = ""
    train_layout: str = "llvip"
    train_bag: str = ""                              # rosbag (folder or file) read with rosbags
    train_rgb_topic: str = "/camera/rgb/image_raw"   # sensor_msgs/Image topics paired by stamp
    train_ir_topic: str = "/camera/thermal/image_raw"
    train_bag_slop_ms: float = 25.0                  # largest stamp difference of a pair
    train_bag_shuffle: int = 32                      # shuffle buffer (pairs); 0 keeps bag order
    train_pack: str = ""                             # a training pack (`rgbir-compress train-pack`)
    val_manifest: str = ""
    val_split: str = "val"
    val_source: str = "m3fd"
    val_pack: str = ""                               # validate on a pack's val pairs instead of val_manifest
    val_limit: int = 4
    val_qualities: list = field(default_factory=lambda: [0.0, 0.5, 1.0])
    crop: int = 256
    batch_size: int = 8
    workers: int = 0                                 # DataLoader worker processes
    cache_mb: int = 1024                             # decoded-image cache per process
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
    data_on_device: bool = False                     # training set as uint8 on the device, crops there (device_data.py)
    compile: bool = False                            # torch.compile the training forward
    # wall-clock budget (budget.py): stop with time_reserve_s left, checkpoint, validate, export
    time_budget_min: float = 0.0                     # 0: none
    time_reserve_s: float = 60.0
    fit_steps_to_budget: bool = False                # after 30 measured steps, lower `steps` to what fits
    # bookkeeping
    out_dir: str = "runs/hyperprior"
    seed: int = 0
    log_every: int = 20
    ckpt_every: int = 200
    val_every: int = 1000                            # 0: validate only at the end

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
            parsed = yaml.safe_load(value) if value else ""  # `key=` clears a setting
            if "." in key:  # model.N=128
                head, sub = key.split(".", 1)
                data.setdefault(head, {})[sub] = parsed
            else:
                data[key] = parsed
        for f in fields(cls):  # YAML 1.1 reads `5e-4` (no dot) as a string
            if f.type == "float" and isinstance(data.get(f.name), (str, int)):
                try:
                    data[f.name] = float(data[f.name])
                except ValueError:
                    raise ValueError(f"{f.name} must be a number, got {data[f.name]!r}") from None
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)

    def data_source(self) -> str:
        """Which training source is set; exactly one must be."""
        set_ = [k for k in ("train_manifest", "train_folder", "train_bag", "train_pack") if getattr(self, k)]
        if len(set_) != 1:
            raise ValueError("set exactly one of train_manifest, train_folder, train_bag, train_pack "
                             f"(got {set_ or 'none'})")
        return set_[0]
