"""Wall-clock budgets and throughput for training runs.

Why: a job with a time limit (a cloud GPU instance booked for an hour, a cluster slot) is killed
when the limit is reached, and what was not written by then is lost. `TimeBudget` stops the loop
early enough to save the checkpoint, export the weights and validate; `StepsFit` sizes `steps` to
the budget after a few measured steps, so the LR drops (fractions of `steps`) land inside the run
instead of after its end.
"""
from __future__ import annotations

import time

import torch


class TimeBudget:
    """Deadline = start + minutes - reserve_s (the reserve pays for checkpoint, export and the
    final validation). `minutes <= 0` means no budget."""

    #: steps after the start between which the time per step is measured to fit `steps` (the
    #: first ones include cudnn tuning and compiling)
    calibration = (10, 40)

    def __init__(self, minutes: float, reserve_s: float, start: float | None = None) -> None:
        self.enabled = minutes > 0
        self.start = time.monotonic() if start is None else start
        self.deadline = self.start + minutes * 60 - reserve_s
        self.step_s = 0.0          # recent seconds per step (exponential average)
        self.stopped = False       # set when expired() first returns True

    def observe(self, step_seconds: float) -> None:
        self.step_s = step_seconds if not self.step_s else 0.9 * self.step_s + 0.1 * step_seconds

    def expired(self, env=None) -> bool:
        """True when one more step would likely end past the deadline. Under torchrun (`env`
        distributed) every rank stops at the same step: any rank's verdict counts for all."""
        if self.enabled and not self.stopped:
            late = time.monotonic() + self.step_s > self.deadline
            if env is not None and env.distributed:
                flag = torch.tensor([float(late)], device=env.device)
                torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
                late = bool(flag.item())
            self.stopped = late
        return self.stopped

    def steps_that_fit(self, step: int, seconds_per_step: float, safety: float = 0.97) -> int:
        """The step count the run will reach by the deadline at `seconds_per_step`."""
        left = max(0.0, self.deadline - time.monotonic())
        return step + int(safety * left / max(seconds_per_step, 1e-9))


def same_on_all_ranks(value: int, env) -> int:
    """Rank 0's value everywhere (a step count every rank must agree on)."""
    if not env.distributed:
        return value
    t = torch.tensor([value], dtype=torch.int64, device=env.device)
    torch.distributed.broadcast(t, src=0)
    return int(t.item())


class Throughput:
    """Steps/s and images/s between two log rows (training seconds, not wall time around them)."""

    def __init__(self, batch_size: int, world: int) -> None:
        self.images_per_step = batch_size * world
        self.step0, self.t0 = 0, 0.0

    def reset(self, step: int, elapsed: float) -> None:
        self.step0, self.t0 = step, elapsed

    def rates(self, step: int, elapsed: float) -> tuple[float, float]:
        """(steps/s, images/s) since the last call (or reset), then restart the interval."""
        dt = elapsed - self.t0
        steps = step - self.step0
        self.reset(step, elapsed)
        if dt <= 0 or steps <= 0:
            return 0.0, 0.0
        return steps / dt, steps * self.images_per_step / dt


class StepsFit:
    """Sizes `steps` to the budget once, from the time per step between the calibration steps
    (counted from the step the run starts or resumes at), so the LR drops land inside the run."""

    def __init__(self, budget: TimeBudget, start_step: int, enabled: bool) -> None:
        self.budget = budget
        self.window = tuple(start_step + n for n in budget.calibration) if enabled and budget.enabled else None
        self.t0 = 0.0

    def after_step(self, step: int, elapsed: float, env) -> int | None:
        """The step count that fits (the same on every rank: a collective) at the window's last
        step; None at every other step."""
        if not self.window:
            return None
        first, last = self.window
        if step == first:  # the first steps include cudnn tuning and compiling
            self.t0 = elapsed
        if step != last:
            return None
        return same_on_all_ranks(self.budget.steps_that_fit(step, (elapsed - self.t0) / (last - first)), env)
