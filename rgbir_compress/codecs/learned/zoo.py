"""Trainable pair architectures by name: what `train --config` builds and weights files record.
Each name is also the learned codec that codes with it (codec.py) and its weights file's name."""
from __future__ import annotations

from typing import Callable

from torch import nn

ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {}
#: Names that weights files and checkpoints written before recorded: read, never written.
OLD_NAMES = {"independent": "hyperprior"}


def architecture(name: str):
    def wrap(builder):
        ARCHITECTURES[name] = builder
        return builder
    return wrap


def canonical(name: str) -> str:
    """The current name of an architecture, given its current or an old one."""
    return OLD_NAMES.get(name, name)


@architecture("hyperprior")
def _hyperprior(**cfg) -> nn.Module:
    """A mean-scale hyperprior per modality, nothing shared (the baseline)."""
    from .models.hyperprior_pair import HyperpriorPair
    return HyperpriorPair(**cfg)


@architecture("conditional")
def _conditional(**cfg) -> nn.Module:
    """Cross-modal conditional codec; cfg["reference"] picks the direction ("rgb" or "ir")."""
    from .models.conditional import ConditionalPair
    return ConditionalPair(**cfg)


@architecture("joint")
def _joint(**cfg) -> nn.Module:
    """Joint codec with the channel-wise cross-modality entropy model (reference design 2)."""
    from .models.joint import JointPair
    return JointPair(**cfg)


def build(name: str, **cfg) -> nn.Module:
    name = canonical(name)
    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[name](**cfg)  # its class names it: `model.arch == name`
