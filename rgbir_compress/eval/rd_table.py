"""Write the rate-distortion table `codec: auto` ranks by (codecs/rd_table.json) from eval results.

The rates come from `rgbir-compress eval` records (bytes actually written, real pairs); this only
picks, for every registered codec, the label measured with what this install runs (a learned
codec: the same model_id, i.e. the same weights; a standard format: its name) and takes its
BD-rate against the reference per modality on PSNR. Nothing is typed by hand.
"""
from __future__ import annotations

from ..codecs.rd_table import RDEntry, RDTable
from .summary import summarize


def pick_labels(codec_entries: dict[str, dict], installed: dict[str, str], pinned: set[str]) -> dict[str, str]:
    """codec name -> results label. `codec_entries`: label -> {"model_id", "codec"} from results
    files; `installed`: codec name -> the model_id it has here; `pinned`: codecs whose rate depends
    on their model (learned: only an exact model_id counts)."""
    picked: dict[str, str] = {}
    for name, model_id in installed.items():
        labels = [lab for lab, e in codec_entries.items() if (e.get("codec") or lab) == name]
        exact = [lab for lab in labels if codec_entries[lab].get("model_id") == model_id]
        if exact:
            picked[name] = exact[0]
        elif name not in pinned and name in labels:
            picked[name] = name
    return picked


#: A sequence's BD-rate counts only where the two curves share this much of their PSNR range.
MIN_OVERLAP = 0.5


def _chain(a: float, b: float) -> float:
    """BD-rate of X vs R from X vs A (b) and A vs R (a): rate ratios multiply."""
    return ((1 + a / 100) * (1 + b / 100) - 1) * 100


def sequence_entries(seq: dict, codecs: list[str], anchor: RDEntry) -> tuple[dict[str, RDEntry], dict[str, str]]:
    """Entries for `codecs` (stream codecs) from sequence results (`rgbir-compress eval-seq` JSON:
    sequences.<name>.curves.<codec>.{colour,thermal} = [{bytes, psnr}]): their BD-rate against
    `anchor` per modality, the mean over the sequences whose curves overlap enough (MIN_OVERLAP),
    chained through the anchor's own entry."""
    from .bdrate import bd_rate

    entries, missing = {}, {}
    for name in codecs:
        per: dict[str, list[float]] = {"colour": [], "thermal": []}
        for s in seq.get("sequences", {}).values():
            curves = s.get("curves", {})
            if name not in curves or anchor.codec not in curves:
                continue
            for m in per:
                ref, pts = curves[anchor.codec][m], curves[name][m]
                r = bd_rate([p["bytes"] for p in ref], [p["psnr"] for p in ref],
                            [p["bytes"] for p in pts], [p["psnr"] for p in pts])
                if r.percent is not None and r.overlap >= MIN_OVERLAP:
                    per[m].append(r.percent)
        if not per["colour"] or not per["thermal"]:
            missing[name] = f"no sequence records against {anchor.codec}"
            continue
        mean = {m: sum(v) / len(v) for m, v in per.items()}
        entries[name] = RDEntry(name, round(_chain(anchor.bd_rgb, mean["colour"]), 2),
                                round(_chain(anchor.bd_thermal, mean["thermal"]), 2),
                                basis=(f"{len(per['colour'])}/{len(per['thermal'])} sequences (colour/thermal) "
                                       f"at {seq.get('rate_hz', '?')} Hz: "
                                       f"{mean['colour']:+.1f} % / {mean['thermal']:+.1f} % vs {anchor.codec}, "
                                       f"chained through its entry"))
    return entries, missing


def build_table(records: list[dict], codec_entries: dict[str, dict], installed: dict[str, str],
                pinned: set[str], *, reference: str, source: str, command: str) -> tuple[RDTable, dict[str, str]]:
    """The table, and codec name -> why it is not in it."""
    labels = pick_labels(codec_entries, installed, pinned)
    bd = summarize(records, reference)["bd_rate"]
    if not bd:
        raise ValueError(f"reference {reference!r} has no records in the results")
    entries: dict[str, RDEntry] = {}
    missing: dict[str, str] = {}
    for name in installed:
        label = labels.get(name)
        if label is None:
            missing[name] = ("no records of these weights" if name in pinned else "no records") + " in the results"
            continue
        cells = [bd.get(label, {}).get(m, {}).get("psnr") or {} for m in ("rgb", "thermal")]
        if any(c.get("percent") is None for c in cells):
            missing[name] = f"no BD-rate against {reference} (curves do not overlap)"
            continue
        entries[name] = RDEntry(name, round(cells[0]["percent"], 2), round(cells[1]["percent"], 2),
                                installed[name] if name in pinned else None)
    return RDTable(entries, reference, source, command,
                   {"labels": {n: labels[n] for n in entries}}), missing


__all__ = ["build_table", "pick_labels"]
