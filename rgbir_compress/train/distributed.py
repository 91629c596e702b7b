"""Process-group setup for `torchrun`: one code path from a single CPU process to many GPUs on
many nodes. torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; without them this is one process."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistEnv:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    owns_group: bool = False  # this process created the group, so it also destroys it

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0 logs, validates and writes files."""
        return self.rank == 0

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def pick_device(name: str, local_rank: int) -> torch.device:
    """"auto": this process's GPU (LOCAL_RANK) when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    return device


def setup(device_name: str = "auto") -> DistEnv:
    """Read torchrun's variables, pick the device, and join the group (NCCL on GPUs, gloo on CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_name, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)  # NCCL binds each rank to the current device
    env = DistEnv(rank, world, local_rank, device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        env.owns_group = True
    return env


def average_grads(params: list[torch.nn.Parameter], world: int) -> None:
    """Mean gradient over ranks for parameters DDP does not manage (the auxiliary quantiles)."""
    grads = [p.grad for p in params if p.grad is not None]
    if world <= 1 or not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def broadcast_params(params: list[torch.nn.Parameter]) -> None:
    """Make rank 0's values everyone's (DDP does this for the parameters it manages only)."""
    with torch.no_grad():
        for p in params:
            dist.broadcast(p.data, src=0)
