"""Warm starts: a new model begins from weights trained before (a training concern; the codecs
only load finished weights files).

- `init_reference_from` / `init_current_from` (conditional codec, `model:` keys of its training
  config): both branches start from the hyperprior baseline, the current one laid out so that it
  computes exactly the baseline's coder of its modality (`warm_start_current`).
- `init_from` + `init_partial` (ablations): the tensors a stored model shares with the new one.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from ..codecs.learned import zoo
from ..codecs.learned.models.conditional import ConditionalCoder, ConditionalPair
from ..codecs.learned.weights import TABLE_SUFFIXES, fit_table_buffers, stored_state

#: Model-config keys that name files to start from rather than constructor arguments.
WARM_START_KEYS = ("init_reference_from", "init_current_from")


def build_warm_started(arch: str, config: dict) -> nn.Module:
    """zoo.build(arch, **config), then the warm starts named in `config` (not recorded in the
    model's `.config`: the trained weights carry them)."""
    cfg = dict(config)
    starts = {key: cfg.pop(key, "") for key in WARM_START_KEYS}
    model = zoo.build(arch, **cfg)
    if any(starts.values()) and not isinstance(model, ConditionalPair):
        raise TypeError(f"{', '.join(k for k, v in starts.items() if v)} needs the conditional architecture, "
                        f"not {arch!r}")
    if starts["init_reference_from"]:
        load_reference(model, starts["init_reference_from"])
    if starts["init_current_from"]:
        load_current(model, starts["init_current_from"])
    return model


def baseline_branch(path: str | Path, modality: str, option: str) -> dict[str, Tensor]:
    """One modality's float32 state (prefix stripped, entropy-coder tables dropped) from an
    hyperprior-baseline weights file or training checkpoint (its `arch` current or old)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{option}: no baseline weights at {path} (train the baseline first: "
                                "config/train/hyperprior.yaml)")
    blob = torch.load(path, map_location="cpu", weights_only=False)
    if zoo.canonical(blob.get("arch", "hyperprior")) != "hyperprior":
        raise ValueError(f"{path}: {option} needs weights of the hyperprior baseline, not {blob.get('arch')!r}")
    prefix = f"{modality}."
    return {k[len(prefix):]: v.float() if v.is_floating_point() else v
            for k, v in (blob.get("state_dict") or blob["model"]).items()
            if k.startswith(prefix) and not k.endswith(TABLE_SUFFIXES)}


#: Baseline layer index -> conditional coder module, for the warm start of the current branch.
#: The baseline's analysis is [conv, GDN] x 3 + conv, its synthesis [deconv, IGDN] x 3 + deconv.
_WARM_START_MAP = {
    "g_a.0.": "feat_cur.0.", "g_a.1.": "feat_cur.1.",
    "g_a.2.": "g_a.0.", "g_a.3.": "g_a.1.", "g_a.4.": "g_a.2.", "g_a.5.": "g_a.3.", "g_a.6.": "g_a.4.",
    "g_s.0.": "g_s.0.0.", "g_s.1.": "g_s.0.1.", "g_s.2.": "g_s.1.0.", "g_s.3.": "g_s.1.1.",
    "g_s.4.": "g_s.2.0.", "g_s.5.": "g_s.2.1.", "g_s.6.": "feature_decoder.out.",
    "gains.": "gains.", "latent_codec.": "latent_codec.",
}


def warm_start_current(coder: ConditionalCoder, state: dict[str, Tensor], path: str | Path = "") -> None:
    """Make `coder` compute exactly what the baseline coder in `state` computes: its layers take
    the baseline's weights, and every path that brings in the reference starts at zero (the
    context half of the first analysis convolution, the feature decoder's fusion, each spatial
    alignment module's output embedding). Training then starts from the baseline's RD and
    learns only what the reference adds. Needs F == N and the baseline's N, M and levels."""
    mapped = {}
    for key, value in state.items():
        prefix = next((p for p in _WARM_START_MAP if key.startswith(p)), None)
        if prefix is None:
            raise ValueError(f"{path}: unexpected baseline parameter {key!r}")
        mapped[_WARM_START_MAP[prefix] + key[len(prefix):]] = value
    own = coder.state_dict()
    w = mapped.get("g_a.0.weight")
    if w is None or own["g_a.0.weight"].shape[0] != w.shape[0] or own["g_a.0.weight"].shape[1] != 2 * w.shape[1]:
        raise ValueError(f"{path}: the baseline's widths do not fit this conditional coder (needs F == N "
                         "and the same N, M, levels)")
    mapped["g_a.0.weight"] = torch.cat([w, torch.zeros_like(w)], 1)
    for key, value in mapped.items():
        if key not in own or own[key].shape != value.shape:
            raise ValueError(f"{path}: baseline parameter for {key!r} does not fit "
                             f"({tuple(value.shape)} vs {tuple(own[key].shape) if key in own else 'absent'})")
    nn.Module.load_state_dict(coder, mapped, strict=False)
    with torch.no_grad():
        zero = [coder.feature_decoder.fuse[-1]] + ([m.unembed for m in coder.sam] if coder.sam is not None else [])
        for layer in zero:
            layer.weight.zero_()
            layer.bias.zero_()


def load_reference(model: ConditionalPair, path: str | Path) -> None:
    """Reference branch <- the matching branch of a hyperprior-baseline weights file."""
    state = baseline_branch(path, model.reference, "init_reference_from")
    # nn.Module's loader: CompressAI's override insists on the (dropped) entropy-coder tables.
    fits = f"{model.config['N_ref']}/{model.config['M_ref']}/{model.config['levels']}"
    try:
        missing, unexpected = nn.Module.load_state_dict(model.ref, state, strict=False)
    except RuntimeError as exc:  # tensor shapes differ
        raise ValueError(f"{path}: its {model.reference} branch does not fit N_ref/M_ref/levels "
                         f"{fits}: {str(exc).splitlines()[1:2]}") from exc
    missing = [k for k in missing if not k.endswith(TABLE_SUFFIXES)]
    if missing or unexpected or not state:
        raise ValueError(f"{path}: its {model.reference} branch does not fit N_ref/M_ref/levels "
                         f"{fits} (missing {missing[:3]}, unexpected {unexpected[:3]})")

def load_current(model: ConditionalPair, path: str | Path) -> None:
    """Current branch <- the baseline's coder of the same modality (`warm_start_current`)."""
    warm_start_current(model.cur, baseline_branch(path, model.current, "init_current_from"), path)


def grown_inputs(own: torch.Tensor, stored: torch.Tensor) -> bool:
    """A weight whose layer now takes more input channels (dim 1), all else equal."""
    return (own.dim() == stored.dim() >= 2 and own.shape[1] > stored.shape[1]
            and own.shape[:1] + own.shape[2:] == stored.shape[:1] + stored.shape[2:])


def load_matching_state(model: torch.nn.Module, path: str | Path) -> list[str]:
    """Warm-start the parts of `model` that a stored model shares with it (same name, same
    shape, or a weight whose layer gained input channels: stored columns, zeros for the new
    ones, so the layer computes what it did while its new inputs are zero) and return the
    names of the tensors left at their initialisation.

    For ablations: a variant with a block removed or swapped starts from the full model's
    weights, so the comparison measures the block rather than a different training length.
    Entropy-coder tables do not count (training rebuilds them before any export); they are
    passed on as stored, or as the model has them, because CompressAI's loaders expect them."""
    _, state = stored_state(path)
    own = model.state_dict()
    fits = {k: v for k, v in state.items()
            if k in own and own[k].shape == v.shape and not k.endswith(TABLE_SUFFIXES)}
    for k, v in state.items():  # grown inputs (new channels appended to a layer's input): zero-padded
        if k in own and k not in fits and not k.endswith(TABLE_SUFFIXES) and grown_inputs(own[k], v):
            fits[k] = torch.zeros_like(own[k])
            fits[k][:, : v.shape[1]] = v
    if not fits:
        raise ValueError(f"{path}: no tensor of it fits the model (a different architecture?)")
    fits.update({k: state.get(k, v) for k, v in own.items() if k.endswith(TABLE_SUFFIXES)})
    fit_table_buffers(model, fits)
    model.load_state_dict(fits, strict=False)
    return sorted(k for k in own if k not in fits and not k.endswith(TABLE_SUFFIXES))


def seed_new_parts(model: torch.nn.Module, fresh: list[str]) -> None:
    """After `load_matching_state`: seed what a new architecture part can take from stored ones.
    The joint codec's "inclusive" cross-modal context nets (channel_context.py) start as the
    source's own slice-context nets, so a warm start from a "previous" model codes as it did."""
    e = getattr(model, "entropy", None)
    if (e is not None and getattr(e, "inclusive", False)
            and any(k.startswith(f"entropy.codecs.{e.target}.cross_contexts.") for k in fresh)):
        e.codecs[e.target].seed_cross_contexts(e.codecs[e.source])
