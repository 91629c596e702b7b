"""The training loop: one command from 2 CPU cores to a multi-GPU node.

Run directly (`rgbir-compress train --config ...`) or under `torchrun --nproc_per_node=K`; with
WORLD_SIZE > 1 it uses DistributedDataParallel (NCCL on GPUs, gloo on CPU). Resumes exactly from
`out_dir/checkpoint.pth` when it exists (with `workers: 0`; worker processes have their own RNG).
"""
from __future__ import annotations

import copy
import csv
import json
import math
import os
import random
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Sampler
from tqdm import tqdm

from ..codecs.learned import zoo
from .checkpoint import atomic_save, export_weights, load_model_state, rng_state, set_rng_state
from .config import TrainConfig
from .data import PairCrops, read_manifest, scan_folders


class EpochSampler(Sampler[int]):
    """A fixed permutation per (seed, epoch), sharded by rank, starting at a batch offset, so a
    resumed run sees exactly the batches an uninterrupted run would have seen."""

    def __init__(self, n: int, seed: int, epoch: int, start: int, rank: int, world: int) -> None:
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        perm = torch.randperm(n, generator=g).tolist()
        per_rank = n // world
        self.indices = perm[rank * per_rank : (rank + 1) * per_rank][start:]

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _dist_info() -> tuple[int, int, bool]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world, world > 1


def _device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        return torch.device("cpu")
    return torch.device(name)


def training_pairs(cfg: TrainConfig):
    if cfg.train_manifest:
        return read_manifest(cfg.train_manifest, split=cfg.train_split or None, source=cfg.train_source or None)
    if cfg.train_folder:
        return scan_folders(cfg.train_folder, cfg.train_layout)
    raise ValueError("set train_manifest or train_folder")


def split_params(model: torch.nn.Module):
    """Main parameters vs the entropy bottlenecks' quantiles (trained by the auxiliary loss)."""
    main, aux = [], []
    for name, p in model.named_parameters():
        (aux if name.endswith(".quantiles") else main).append((name, p))
    return main, aux


def train(cfg: TrainConfig, *, max_steps: int | None = None, quiet: bool = False) -> Path:
    """Train until cfg.steps (or stop after `max_steps` more steps, for tests); returns out_dir."""
    rank, world, distributed = _dist_info()
    device = _device(cfg.device)
    if distributed and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    random.seed(cfg.seed + rank)
    np.random.seed(cfg.seed + rank)
    torch.manual_seed(cfg.seed + rank)

    model = zoo.build(cfg.arch, **cfg.model)
    if cfg.init_from:
        load_model_state(model, cfg.init_from)
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    main, aux = split_params(model)
    opt = torch.optim.Adam([p for _, p in main], lr=cfg.lr)
    aux_opt = torch.optim.Adam([p for _, p in aux], lr=cfg.aux_lr)
    milestones = [int(f * cfg.steps) for f in cfg.lr_drop_at]
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)

    step = 0
    ckpt_path = out / "checkpoint.pth"
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        aux_opt.load_state_dict(ck["aux_opt"])
        sched.load_state_dict(ck["sched"])
        step = ck["step"]
        set_rng_state(ck["rng"][rank] if isinstance(ck["rng"], list) else ck["rng"])
        if not quiet and rank == 0:
            print(f"resumed from {ckpt_path} at step {step}")

    net = model
    if distributed:
        DDP._set_params_and_buffers_to_ignore_for_model(model, [n for n, _ in aux])
        net = DDP(model, broadcast_buffers=False,
                  device_ids=[device.index] if device.type == "cuda" else None)

    dataset = PairCrops(training_pairs(cfg), cfg.crop, cache_mb=cfg.cache_mb)
    per_epoch = max(1, (len(dataset) // world) // cfg.batch_size)

    def batches(from_step: int):
        epoch, offset = divmod(from_step, per_epoch)
        while True:
            sampler = EpochSampler(len(dataset), cfg.seed, epoch, offset * cfg.batch_size, rank, world)
            loader = DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler,
                                num_workers=cfg.workers, drop_last=True)
            yield from loader
            epoch, offset = epoch + 1, 0

    log_path = out / "log.csv"
    writer = None
    tb = None
    if rank == 0:
        (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        new = not log_path.exists()
        logf = log_path.open("a", newline="")
        writer = csv.writer(logf)
        if new:
            writer.writerow(["step", "time", "lr", "loss", "aux", "metrics"])
        try:
            from torch.utils.tensorboard import SummaryWriter
            tb = SummaryWriter(str(out / "tb"))
        except Exception:  # tensorboard is optional
            tb = None

    end = cfg.steps if max_steps is None else min(cfg.steps, step + max_steps)
    bar = tqdm(total=end, initial=step, disable=quiet or rank != 0, desc="train", dynamic_ncols=True)
    amp = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.bf16 else nullcontext()
    it = batches(step)
    t0 = time.time()
    model.train()
    while step < end:
        rgb, ir = next(it)
        rgb, ir = rgb.to(device), ir.to(device)
        if cfg.channels_last:
            rgb = rgb.contiguous(memory_format=torch.channels_last)
            ir = ir.contiguous(memory_format=torch.channels_last)
        quality = torch.rand(rgb.shape[0], device=device)
        opt.zero_grad(set_to_none=True)
        with amp:
            terms = net(rgb, ir, quality)
        loss = terms["loss"]
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step}: {float(loss)}")
        loss.backward()
        if cfg.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_([p for _, p in main], cfg.clip_norm)
        opt.step()
        sched.step()
        aux_opt.zero_grad(set_to_none=True)
        aux_loss = model.aux_loss()
        aux_loss.backward()
        if distributed:
            for _, p in aux:
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad /= world
        aux_opt.step()
        step += 1

        if rank == 0:
            metrics = {k: round(float(v), 4) for k, v in terms.items() if k != "loss"}
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss):.3f}", **{k: f"{v:.3f}" for k, v in metrics.items()})
            if step % cfg.log_every == 0 or step == end:
                writer.writerow([step, round(time.time() - t0, 1), sched.get_last_lr()[0],
                                 round(float(loss), 5), round(float(aux_loss), 3), json.dumps(metrics)])
                logf.flush()
                if tb:
                    tb.add_scalar("loss", float(loss), step)
                    for k, v in metrics.items():
                        tb.add_scalar(k, v, step)
            if step % cfg.ckpt_every == 0 or step == end:
                _checkpoint(ckpt_path, model, opt, aux_opt, sched, step, rank, world, distributed)
            if cfg.val_manifest and (step % cfg.val_every == 0 or step == cfg.steps):
                row = validate(model, cfg)
                (out / "val.jsonl").open("a").write(json.dumps({"step": step, **row}) + "\n")
                if tb:
                    for k, v in row.items():
                        tb.add_scalar(f"val/{k}", v, step)
        elif step % cfg.ckpt_every == 0 or step == end:
            _checkpoint(ckpt_path, model, opt, aux_opt, sched, step, rank, world, distributed)
    bar.close()
    if rank == 0:
        if step >= cfg.steps:
            export_weights(model, out / "weights.pth", meta={"steps": step, "config": cfg.to_dict()})
        if tb:
            tb.close()
    if distributed:
        dist.barrier()
    return out


def _checkpoint(path, model, opt, aux_opt, sched, step, rank, world, distributed) -> None:
    """Rank 0 writes; every rank's RNG state is gathered so each resumes its own stream."""
    states = [rng_state()]
    if distributed:
        gathered = [None] * world
        dist.all_gather_object(gathered, states[0])
        states = gathered
    if rank == 0:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "aux_opt": aux_opt.state_dict(),
                     "sched": sched.state_dict(), "step": step,
                     "rng": states if distributed else states[0]}, path)


def validate(model: torch.nn.Module, cfg: TrainConfig) -> dict:
    """Real bitstreams: code held-out pairs through the full codec path and count bytes."""
    from ..codecs.learned.codec import LearnedPairCodec
    from ..eval.metrics import psnr
    from ..frame import ImagePair
    from .data import load_pair

    m = copy.deepcopy(model).cpu().float().eval()
    m.update(force=True)
    codec = LearnedPairCodec.from_module(m)
    pairs = read_manifest(cfg.val_manifest, split=cfg.val_split or None, source=cfg.val_source or None)[: cfg.val_limit]
    row: dict = {}
    for q in cfg.val_qualities:
        acc = np.zeros(4)
        for p in pairs:
            rgb, ir = load_pair(p)
            cp = codec.encode(ImagePair(rgb, ir), q)
            dec = codec.decode(cp)
            npx_rgb, npx_ir = rgb.shape[0] * rgb.shape[1], ir.size
            acc += [len(cp.rgb_data) * 8 / npx_rgb, psnr(rgb, dec.rgb),
                    len(cp.thermal_data) * 8 / npx_ir, psnr(ir, dec.thermal)]
        acc /= max(1, len(pairs))
        for k, v in zip(("bpp_rgb", "psnr_rgb", "bpp_ir", "psnr_ir"), acc):
            row[f"q{q:g}_{k}"] = round(float(v), 4)
    return row
