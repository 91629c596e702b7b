"""What a training run records as it goes: rank 0's files (RunLog) and its progress bar (Progress)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from tqdm import tqdm

from .budget import Throughput
from .config import TrainConfig


class RunLog:
    """Rank 0's records: log.csv (appended across resumes), TensorBoard, val.jsonl, config.json."""

    def __init__(self, out: Path, cfg: TrainConfig, enabled: bool) -> None:
        self.out, self.enabled = out, enabled
        self.tb = None
        if not enabled:
            return
        (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        path = out / "log.csv"
        new = not path.exists()
        # Logs begun before the throughput columns existed keep their six columns.
        self.rates = new or "steps_per_s" in path.read_text().partition("\n")[0]
        self.file = path.open("a", newline="")
        self.csv = csv.writer(self.file)
        if new:
            self.csv.writerow(["step", "time", "lr", "loss", "aux", "metrics", "steps_per_s", "images_per_s"])
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(out / "tb"))
        except Exception:  # tensorboard is optional
            self.tb = None

    def train_row(self, step: int, elapsed: float, lr: float, loss: float, aux, metrics: dict,
                  rates: tuple[float, float] = (0.0, 0.0)) -> None:
        row = [step, round(elapsed, 1), lr, round(loss, 5), round(float(aux), 3), json.dumps(metrics)]
        self.csv.writerow(row + [round(rates[0], 3), round(rates[1], 1)] if self.rates else row)
        self.file.flush()
        if self.tb:
            self.tb.add_scalar("loss", loss, step)
            self.tb.add_scalar("lr", lr, step)
            self.tb.add_scalar("steps_per_s", rates[0], step)
            self.tb.add_scalar("images_per_s", rates[1], step)
            for k, v in metrics.items():
                self.tb.add_scalar(k, v, step)

    def val_row(self, step: int, row: dict) -> None:
        with (self.out / "val.jsonl").open("a") as f:
            f.write(json.dumps({"step": step, **row}) + "\n")
        if self.tb:
            for k, v in row.items():
                self.tb.add_scalar(f"val/{k}", v, step)

    def close(self) -> None:
        if self.enabled:
            self.file.close()
            if self.tb:
                self.tb.close()


class Progress:
    """The progress bar and the training rows: every step's row is kept until a log step writes it
    (or the run stops on its time budget and writes the last one). Only rank 0 records."""

    def __init__(self, out: Path, cfg: TrainConfig, main: bool, quiet: bool, step: int, elapsed: float,
                 world: int) -> None:
        self.cfg, self.main = cfg, main
        self.log = RunLog(out, cfg, enabled=main)
        self.rate = Throughput(cfg.batch_size, world)
        self.rate.reset(step, elapsed)
        self.unlogged = None  # the latest step's log row until it is written
        self.bar = tqdm(total=cfg.steps, initial=step, disable=quiet or not main, desc="train", dynamic_ncols=True)

    def step(self, step: int, elapsed: float, lr: float, loss: float, aux, terms: dict, end: int) -> None:
        metrics = {k: round(v.detach().item(), 4) for k, v in terms.items() if k != "loss"}
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{loss:.3f}", **{k: f"{v:.2f}" for k, v in metrics.items()})
        self.unlogged = (step, elapsed, lr, loss, aux, metrics)
        if step % self.cfg.log_every == 0 or step == end:
            rates = self.rate.rates(step, elapsed)
            self.log.train_row(*self.unlogged, rates)
            self.bar.set_description(f"train {rates[1]:.3g} img/s")
            self.unlogged = None

    def flush(self, step: int, elapsed: float) -> None:
        """Write the row a log step has not written yet (a run stopped between log steps)."""
        if self.unlogged:
            self.log.train_row(*self.unlogged, self.rate.rates(step, elapsed))

    def close(self) -> None:
        self.bar.close()
        self.log.close()
