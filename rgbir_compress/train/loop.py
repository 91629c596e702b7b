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

from . import distributed
from .checkpoint import (atomic_save, export_weights, fit_table_buffers, load_checkpoint, load_model_state,
                         load_sched_state, rng_for_rank, rng_state, set_rng_state)
from .budget import StepsFit, TimeBudget
from .config import TrainConfig
from .data import PairCrops, read_manifest, scan_folders
from .distributed import DistEnv
from .run_log import Progress, RunLog
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


@dataclass
class TrainState:
    """What a checkpoint holds and every step changes: the model, its optimisers and schedule, and
    how far the run is (optimiser steps, training seconds)."""

    model: nn.Module
    main: list[tuple[str, nn.Parameter]]
    aux: list[tuple[str, nn.Parameter]]
    opt: torch.optim.Optimizer
    aux_opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    step: int = 0
    elapsed: float = 0.0

    @classmethod
    def build(cls, cfg: TrainConfig, device: torch.device) -> TrainState:
        model = build_model(cfg, device)
        main, aux = split_params(model)
        opt = torch.optim.Adam([p for _, p in main], lr=cfg.lr)
        aux_opt = torch.optim.Adam([p for _, p in aux], lr=cfg.aux_lr)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg.steps, cfg.lr_drop_at))
        return cls(model, main, aux, opt, aux_opt, sched)


def save_checkpoint(path: Path, state: TrainState, env: DistEnv) -> None:
    """Every rank's RNG state is gathered (a collective: all ranks call this); rank 0 writes."""
    states: list = [rng_state()]
    if env.distributed:
        states = [None] * env.world
        torch.distributed.all_gather_object(states, rng_state())
    if env.main:
        model = state.model
        atomic_save({"model": model.state_dict(), "opt": state.opt.state_dict(),
                     "aux_opt": state.aux_opt.state_dict(), "sched": state.sched.state_dict(), "step": state.step,
                     "rng": states if env.distributed else states[0],
                     "arch": model.arch, "config": model.config, "elapsed": state.elapsed, "world": env.world}, path)


def resume(state: TrainState, path: Path, cfg: TrainConfig, env: DistEnv) -> None:
    """Continue exactly where the checkpoint at `path` stopped: weights, optimisers, schedule,
    step, training seconds and this rank's RNG streams."""
    ck = load_checkpoint(path)
    fit_table_buffers(state.model, ck["model"])
    state.model.load_state_dict(ck["model"])
    state.opt.load_state_dict(ck["opt"])
    state.aux_opt.load_state_dict(ck["aux_opt"])
    load_sched_state(state.sched, ck["sched"])
    state.step, state.elapsed = int(ck["step"]), float(ck.get("elapsed", 0.0))
    rng = rng_for_rank(ck["rng"], env.rank, env.world)
    if rng is not None:
        set_rng_state(rng)
    else:  # another world size: a fresh stream per rank, still reproducible
        torch.manual_seed(cfg.seed * 1_000_003 + state.step * 1009 + env.rank)


def train(cfg: TrainConfig, *, max_steps: int | None = None, quiet: bool = False) -> TrainResult:
    """Train until cfg.steps (or stop after `max_steps` more steps); resumes from out_dir."""
    env = distributed.setup(cfg.device)
    try:
        return _train(cfg, env, max_steps, quiet)
    finally:
        env.close()


def set_up_torch(cfg: TrainConfig, device: torch.device) -> None:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if device.type == "cuda":  # fastest conv algorithms for the fixed crop size; TF32 where fp32 remains
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def seed_rank(cfg: TrainConfig, env: DistEnv) -> None:
    random.seed(cfg.seed + env.rank)
    np.random.seed(cfg.seed + env.rank)
    torch.manual_seed(cfg.seed + env.rank)  # per-rank noise in the entropy bottleneck's training path


def wrap(state: TrainState, cfg: TrainConfig, env: DistEnv) -> nn.Module:
    """The module the loop calls: DDP around the model on several ranks (the aux quantiles outside
    it, kept equal by broadcast and gradient averaging), compiled when asked."""
    net: nn.Module = state.model
    if env.distributed:
        DDP._set_params_and_buffers_to_ignore_for_model(state.model, [n for n, _ in state.aux])
        distributed.broadcast_params([p for _, p in state.aux])
        net = DDP(state.model, broadcast_buffers=False,
                  device_ids=[env.device.index] if env.device.type == "cuda" else None)
    if cfg.compile:
        net = torch.compile(net)
    return net


def to_device(batch: Batch, cfg: TrainConfig, device: torch.device) -> Batch:
    rgb, ir = (x.to(device, non_blocking=True) for x in batch)
    if cfg.channels_last:
        rgb = rgb.contiguous(memory_format=torch.channels_last)
        ir = ir.contiguous(memory_format=torch.channels_last)
    return rgb, ir


def optimise(state: TrainState, net: nn.Module, batch: Batch, cfg: TrainConfig, env: DistEnv, amp):
    """One optimiser step of the rate-distortion loss at random qualities, then one of the aux loss.
    Returns (the loss terms, the loss as a float, the aux loss)."""
    rgb, ir = batch
    quality = torch.rand(rgb.shape[0], device=env.device)  # variable rate: one quality per sample
    state.opt.zero_grad(set_to_none=True)
    with amp:
        terms = net(rgb, ir, quality)
    loss = terms["loss"]
    loss_value = loss.detach().item()
    if not np.isfinite(loss_value):
        raise FloatingPointError(f"non-finite loss at step {state.step}: {loss_value}")
    loss.backward()
    if cfg.clip_norm > 0:
        torch.nn.utils.clip_grad_norm_([p for _, p in state.main], cfg.clip_norm)
    state.opt.step()
    state.sched.step()
    state.aux_opt.zero_grad(set_to_none=True)
    aux_loss = state.model.aux_loss()
    aux_loss.backward()
    if env.distributed:
        distributed.average_grads([p for _, p in state.aux], env.world)
    state.aux_opt.step()
    return terms, loss_value, aux_loss


def validate_into(log: RunLog, state: TrainState, cfg: TrainConfig) -> None:
    from .validate import validate

    log.val_row(state.step, validate(state.model, cfg))


def finish(state: TrainState, out: Path, progress: Progress, out_of_time: bool, validates: bool,
           cfg: TrainConfig, env: DistEnv) -> None:
    """The end of a run. Stopped by the time budget, it keeps what was trained as a finished run
    would: the last row and checkpoint, the weights, then the validation (which cannot cost the
    weights, being last). At cfg.steps the loop has checkpointed and validated; the weights remain."""
    if out_of_time:
        if env.main:
            print(f"\ntime budget: stopped at step {state.step}/{cfg.steps}", flush=True)
            progress.flush(state.step, state.elapsed)
        save_checkpoint(out / "checkpoint.pth", state, env)
    if env.main and (state.step >= cfg.steps or out_of_time):
        export_weights(state.model, out / "weights.pth",
                       meta={"steps": state.step, "train_seconds": round(state.elapsed, 1), "world": env.world,
                             "config": cfg.to_dict(), **({"time_budget_stop": True} if out_of_time else {})})
    if out_of_time and validates:
        validate_into(progress.log, state, cfg)


def _train(cfg: TrainConfig, env: DistEnv, max_steps: int | None, quiet: bool) -> TrainResult:
    budget = TimeBudget(cfg.time_budget_min, cfg.time_reserve_s)  # counts from here: model and data load too
    cfg.data_source()  # fail before building anything when the data settings are wrong
    set_up_torch(cfg, env.device)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pth"
    validates = env.main and bool(cfg.val_manifest or cfg.val_pack)

    state = TrainState.build(cfg, env.device)
    seed_rank(cfg, env)
    if ckpt_path.exists():
        resume(state, ckpt_path, cfg, env)
        if not quiet and env.main:
            print(f"resumed from {ckpt_path} at step {state.step}")
    net = wrap(state, cfg, env)

    progress = Progress(out, cfg, env.main, quiet, state.step, state.elapsed, env.world)
    fit = StepsFit(budget, state.step, cfg.fit_steps_to_budget)
    end = cfg.steps if max_steps is None else min(cfg.steps, state.step + max_steps)
    amp = torch.autocast(env.device.type, dtype=torch.bfloat16) if cfg.bf16 else nullcontext()
    batches = batch_stream(cfg, env, state.step)
    state.model.train()
    try:
        while state.step < end:
            if budget.expired(env):
                break
            t0 = time.perf_counter()
            terms, loss_value, aux_loss = optimise(state, net, to_device(next(batches), cfg, env.device), cfg, env, amp)
            state.step += 1
            step_s = time.perf_counter() - t0
            state.elapsed += step_s
            budget.observe(step_s)
            steps = fit.after_step(state.step, state.elapsed, env)
            if steps is not None and steps < cfg.steps:
                cfg.steps = steps  # the LR lambda reads cfg.steps: the drops move with it
                end = min(end, steps)
                progress.bar.total = cfg.steps
                if env.main:
                    print(f"\ntime budget: steps set to {steps}", flush=True)
            if env.main:
                progress.step(state.step, state.elapsed, state.sched.get_last_lr()[0], loss_value,
                              aux_loss.detach(), terms, end)
            if state.step % cfg.ckpt_every == 0 or state.step == end:
                save_checkpoint(ckpt_path, state, env)
            if validates and ((cfg.val_every and state.step % cfg.val_every == 0) or state.step == cfg.steps):
                validate_into(progress.log, state, cfg)
        finish(state, out, progress, budget.stopped, validates, cfg, env)
    finally:
        batches.close()  # stops DataLoader workers now, not at garbage collection
        progress.close()
    if env.distributed:
        torch.distributed.barrier()
    return TrainResult(out, state.step, state.model)
