"""The training loop: one command from 2 CPU cores to a multi-GPU node.

Run directly (`rgbir-compress train --config ...`) or under `torchrun --nproc_per_node=K`; with
WORLD_SIZE > 1 it uses DistributedDataParallel (NCCL on GPUs, gloo on CPU). The entropy
bottlenecks' quantiles are trained by their own auxiliary loss outside DDP, so DDP ignores them
and their gradients are averaged here.

Resume: when `out_dir/checkpoint.pth` exists the run continues from it exactly: the batches
(order and crops) are a function of (seed, step), the learning rate a function of the step, and
every RNG is restored. Exact for any `workers`; changing the world size, batch size or data
changes the batches from the resume point on, and changing `steps` moves the LR drops.
"""
from __future__ import annotations

import csv
import json
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from tqdm import tqdm

from . import distributed
from .checkpoint import (atomic_save, export_weights, fit_table_buffers, load_checkpoint, load_model_state,
                         load_sched_state, rng_for_rank, rng_state, set_rng_state)
from .budget import Throughput, TimeBudget, same_on_all_ranks
from .config import TrainConfig
from .data import PairCrops, read_manifest, scan_folders
from .distributed import DistEnv
from .sampler import EpochSampler, batches_per_epoch, repeat_for
from .warm_start import build_warm_started, load_matching_state, seed_new_parts

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class TrainResult:
    out_dir: Path
    step: int
    model: nn.Module  # the bare model (not the DDP wrapper), on the training device


def training_pairs(cfg: TrainConfig):
    if cfg.train_manifest:
        return read_manifest(cfg.train_manifest, split=cfg.train_split or None, source=cfg.train_source or None)
    if cfg.train_folder:
        return scan_folders(cfg.train_folder, cfg.train_layout)
    raise ValueError("set train_manifest or train_folder")


def split_params(model: nn.Module) -> tuple[list[tuple[str, nn.Parameter]], list[tuple[str, nn.Parameter]]]:
    """Trainable main parameters vs the entropy bottlenecks' quantiles (trained by the aux loss);
    what a training stage froze is in neither."""
    main, aux = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (aux if name.endswith(".quantiles") else main).append((name, p))
    return main, aux


def lr_factor(step: int, steps: int, drops: list[float]) -> float:
    """x0.1 at each fraction of `steps` in `drops`: a function of the step alone, so a resumed
    run with a longer `steps` moves its drops instead of keeping the old ones."""
    return 0.1 ** sum(step >= int(f * steps) for f in drops)


def build_model(cfg: TrainConfig, device: torch.device) -> nn.Module:
    """The architecture, initialised identically on every rank (same seed), optionally warm-started
    and restricted to one training stage."""
    torch.manual_seed(cfg.seed)
    model = build_warm_started(cfg.arch, cfg.model)
    if cfg.init_from and cfg.init_partial:
        fresh = load_matching_state(model, cfg.init_from)
        seed_new_parts(model, fresh)
        shown = ", ".join(fresh[:4]) + (", ..." if len(fresh) > 4 else "")
        print(f"warm start from {cfg.init_from}: {len(fresh)} tensors kept their initialisation"
              + (f" ({shown})" if fresh else ""))
    elif cfg.init_from:
        load_model_state(model, cfg.init_from)
    if cfg.stage:
        if not hasattr(model, "set_stage"):
            raise ValueError(f"architecture {cfg.arch!r} has no training stages (stage={cfg.stage!r})")
        model.set_stage(cfg.stage)  # freezes what this stage does not train
    stride = getattr(model, "stride", 1)
    if cfg.crop % stride:
        raise ValueError(f"crop {cfg.crop} must be a multiple of {cfg.arch!r}'s stride {stride}")
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def batch_stream(cfg: TrainConfig, env: DistEnv, step: int) -> Iterator[Batch]:
    """Endless batches for this rank starting at optimiser step `step`.

    Each DataLoader draws its worker base seed from a generator of its own, never from the global
    RNG: creating one mid-run (on resume) would otherwise shift every later random number."""
    if cfg.train_pack or cfg.data_on_device:  # the whole set in memory, crops by gather (device_data.py)
        from .device_data import device_batch_stream

        yield from device_batch_stream(cfg, env, step)
        return
    if cfg.data_source() == "train_bag":
        from .bag_dataset import BagPairs

        bag = BagPairs(cfg.train_bag, cfg.train_rgb_topic, cfg.train_ir_topic, cfg.crop,
                       slop_ms=cfg.train_bag_slop_ms, shuffle=cfg.train_bag_shuffle, seed=cfg.seed,
                       rank=env.rank, world=env.world, start=step * cfg.batch_size, batch_size=cfg.batch_size)
        yield from DataLoader(bag, batch_size=cfg.batch_size, num_workers=cfg.workers,
                              pin_memory=env.device.type == "cuda", generator=torch.Generator().manual_seed(cfg.seed))
        return
    pairs = training_pairs(cfg)
    if not pairs:
        raise ValueError(f"no training pairs in {cfg.train_manifest or cfg.train_folder}")
    dataset = PairCrops(pairs, cfg.crop, cache_mb=cfg.cache_mb,
                        repeat=repeat_for(len(pairs), env.world, cfg.batch_size))
    per_epoch = batches_per_epoch(len(dataset), env.world, cfg.batch_size)
    epoch, offset = divmod(step, per_epoch)
    sampler = EpochSampler(len(dataset), cfg.seed, epoch, offset * cfg.batch_size, env.rank, env.world)
    # Persistent workers keep their decoded-image caches from one epoch to the next.
    loader = DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler, num_workers=cfg.workers,
                        drop_last=True, persistent_workers=cfg.workers > 0, pin_memory=env.device.type == "cuda",
                        generator=torch.Generator().manual_seed(cfg.seed))
    while True:
        yield from loader
        epoch += 1
        sampler.set_epoch(epoch)


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


def save_checkpoint(path: Path, model: nn.Module, opt, aux_opt, sched, step: int, elapsed: float,
                    env: DistEnv) -> None:
    """Every rank's RNG state is gathered (a collective: all ranks call this); rank 0 writes."""
    states: list = [rng_state()]
    if env.distributed:
        states = [None] * env.world
        torch.distributed.all_gather_object(states, rng_state())
    if env.main:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "aux_opt": aux_opt.state_dict(),
                     "sched": sched.state_dict(), "step": step,
                     "rng": states if env.distributed else states[0],
                     "arch": model.arch, "config": model.config, "elapsed": elapsed, "world": env.world}, path)


def train(cfg: TrainConfig, *, max_steps: int | None = None, quiet: bool = False) -> TrainResult:
    """Train until cfg.steps (or stop after `max_steps` more steps); resumes from out_dir."""
    env = distributed.setup(cfg.device)
    try:
        return _train(cfg, env, max_steps, quiet)
    finally:
        env.close()


def _train(cfg: TrainConfig, env: DistEnv, max_steps: int | None, quiet: bool) -> TrainResult:
    budget = TimeBudget(cfg.time_budget_min, cfg.time_reserve_s)  # counts from here: model and data load too
    cfg.data_source()  # fail before building anything when the data settings are wrong
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = env.device
    if device.type == "cuda":  # fastest conv algorithms for the fixed crop size; TF32 where fp32 remains
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    model = build_model(cfg, device)
    main, aux = split_params(model)
    opt = torch.optim.Adam([p for _, p in main], lr=cfg.lr)
    aux_opt = torch.optim.Adam([p for _, p in aux], lr=cfg.aux_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg.steps, cfg.lr_drop_at))

    random.seed(cfg.seed + env.rank)
    np.random.seed(cfg.seed + env.rank)
    torch.manual_seed(cfg.seed + env.rank)  # per-rank noise in the entropy bottleneck's training path
    step, elapsed = 0, 0.0
    ckpt_path = out / "checkpoint.pth"
    if ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        fit_table_buffers(model, ck["model"])
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        aux_opt.load_state_dict(ck["aux_opt"])
        load_sched_state(sched, ck["sched"])
        step, elapsed = int(ck["step"]), float(ck.get("elapsed", 0.0))
        state = rng_for_rank(ck["rng"], env.rank, env.world)
        if state is not None:
            set_rng_state(state)
        else:  # another world size: a fresh stream per rank, still reproducible
            torch.manual_seed(cfg.seed * 1_000_003 + step * 1009 + env.rank)
        if not quiet and env.main:
            print(f"resumed from {ckpt_path} at step {step}")

    net: nn.Module = model
    if env.distributed:
        DDP._set_params_and_buffers_to_ignore_for_model(model, [n for n, _ in aux])
        distributed.broadcast_params([p for _, p in aux])
        net = DDP(model, broadcast_buffers=False,
                  device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        net = torch.compile(net)

    log = RunLog(out, cfg, enabled=env.main)
    rate = Throughput(cfg.batch_size, env.world)
    rate.reset(step, elapsed)
    calibrate = tuple(step + n for n in budget.calibration) if budget.enabled and cfg.fit_steps_to_budget else None
    unlogged = None  # the latest step's log row until it is written
    end = cfg.steps if max_steps is None else min(cfg.steps, step + max_steps)
    bar = tqdm(total=cfg.steps, initial=step, disable=quiet or not env.main, desc="train", dynamic_ncols=True)
    amp = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.bf16 else nullcontext()
    batches = batch_stream(cfg, env, step)
    model.train()
    try:
        while step < end:
            if budget.expired(env):
                break
            t0 = time.perf_counter()
            rgb, ir = next(batches)
            rgb, ir = rgb.to(device, non_blocking=True), ir.to(device, non_blocking=True)
            if cfg.channels_last:
                rgb = rgb.contiguous(memory_format=torch.channels_last)
                ir = ir.contiguous(memory_format=torch.channels_last)
            quality = torch.rand(rgb.shape[0], device=device)  # variable rate: one quality per sample
            opt.zero_grad(set_to_none=True)
            with amp:
                terms = net(rgb, ir, quality)
            loss = terms["loss"]
            loss_value = loss.detach().item()
            if not np.isfinite(loss_value):
                raise FloatingPointError(f"non-finite loss at step {step}: {loss_value}")
            loss.backward()
            if cfg.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_([p for _, p in main], cfg.clip_norm)
            opt.step()
            sched.step()
            aux_opt.zero_grad(set_to_none=True)
            aux_loss = model.aux_loss()
            aux_loss.backward()
            if env.distributed:
                distributed.average_grads([p for _, p in aux], env.world)
            aux_opt.step()
            step += 1
            step_s = time.perf_counter() - t0
            elapsed += step_s
            budget.observe(step_s)
            if calibrate and step == calibrate[0]:  # the first steps include cudnn tuning and compiling
                calibrate_t0 = elapsed
            if calibrate and step == calibrate[1]:
                fit = budget.steps_that_fit(step, (elapsed - calibrate_t0) / (calibrate[1] - calibrate[0]))
                fit = same_on_all_ranks(fit, env)
                if fit < cfg.steps:
                    cfg.steps = fit  # the LR lambda reads cfg.steps: the drops move with it
                    end = min(end, fit)
                    bar.total = cfg.steps
                    if env.main:
                        print(f"\ntime budget: steps set to {fit}", flush=True)

            if env.main:
                metrics = {k: round(v.detach().item(), 4) for k, v in terms.items() if k != "loss"}
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.3f}", **{k: f"{v:.2f}" for k, v in metrics.items()})
                unlogged = (step, elapsed, sched.get_last_lr()[0], loss_value, aux_loss.detach(), metrics)
                if step % cfg.log_every == 0 or step == end:
                    rates = rate.rates(step, elapsed)
                    log.train_row(*unlogged, rates)
                    bar.set_description(f"train {rates[1]:.3g} img/s")
                    unlogged = None
            if step % cfg.ckpt_every == 0 or step == end:
                save_checkpoint(ckpt_path, model, opt, aux_opt, sched, step, elapsed, env)
            if env.main and (cfg.val_manifest or cfg.val_pack) and (
                    (cfg.val_every and step % cfg.val_every == 0) or step == cfg.steps):
                from .validate import validate

                log.val_row(step, validate(model, cfg))
        if budget.stopped:  # out of time: keep what was trained, as at the end of a run
            if env.main:
                print(f"\ntime budget: stopped at step {step}/{cfg.steps}", flush=True)
                if unlogged:
                    log.train_row(*unlogged, rate.rates(step, elapsed))
            save_checkpoint(ckpt_path, model, opt, aux_opt, sched, step, elapsed, env)
        if env.main and (step >= cfg.steps or budget.stopped):
            export_weights(model, out / "weights.pth",
                           meta={"steps": step, "train_seconds": round(elapsed, 1), "world": env.world,
                                 "config": cfg.to_dict(), **({"time_budget_stop": True} if budget.stopped else {})})
        if budget.stopped and env.main and (cfg.val_manifest or cfg.val_pack):
            from .validate import validate  # after the export: a late validation cannot cost the weights

            log.val_row(step, validate(model, cfg))
    finally:
        batches.close()  # stops DataLoader workers now, not at garbage collection
        bar.close()
        log.close()
    if env.distributed:
        torch.distributed.barrier()
    return TrainResult(out, step, model)
