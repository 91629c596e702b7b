"""Trainable pair architectures by name: what `train --config` builds and weights files record."""
from __future__ import annotations

from typing import Callable

from torch import nn

ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {}


def architecture(name: str):
    def wrap(builder):
        ARCHITECTURES[name] = builder
        return builder
    return wrap


@architecture("independent")
def _independent(**cfg) -> nn.Module:
    from .models.independent import IndependentPair
    return IndependentPair(**cfg)


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
    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    model = ARCHITECTURES[name](**cfg)
    model.arch = name
    return model
