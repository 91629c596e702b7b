"""What a sequence-mode result says: BD-rates against an anchor, the Markdown table the docs carry,
and one RD figure per sequence. Separate from the coding (sequences.py) so a results file can be
re-tabled without re-coding."""
from __future__ import annotations

from pathlib import Path

from .bdrate import bd_rate
from .sequences import MODALITIES


def bd_table(curves: dict, reference: str) -> dict:
    """{modality: {codec: {bd_rate, overlap}}} of every codec against `reference` on (bytes, PSNR);
    empty when the reference was not measured."""
    if reference not in curves:
        return {}
    out: dict = {}
    for m in MODALITIES:
        ref = curves[reference][m]
        out[m] = {}
        for name, per in curves.items():
            if name == reference:
                continue
            r = bd_rate([p["bytes"] for p in ref], [p["psnr"] for p in ref],
                        [p["bytes"] for p in per[m]], [p["psnr"] for p in per[m]])
            out[m][name] = {"bd_rate": r.percent, "overlap": round(r.overlap, 3)}
    return out


def _point(points: list[dict], quality: float) -> dict:
    return min(points, key=lambda p: abs(p["quality"] - quality))


def markdown(result: dict) -> str:
    """One row per sequence, modality and codec at the middle quality, BD-rate over all qualities."""
    qualities = result["qualities"]
    mid = qualities[len(qualities) // 2]
    ref = result["reference"]
    enc, dec = result.get("encode_ms", {}), result.get("decode_ms", {})
    lines = [f"kbit/s, PSNR and key frames at q={mid:g}; BD-rate vs {ref} over q={', '.join(f'{q:g}' for q in qualities)} "
             "(negative = fewer bits); ms per pair at 640x512 (encode / decode).", "",
             "| sequence | Hz | modality | codec | BD-rate | overlap | kbit/s | PSNR dB | key frames | ms enc / dec |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for seq, entry in result["sequences"].items():
        n, rate = entry["frames"], entry["rate_hz"]
        for m in MODALITIES:
            for name, per in entry["curves"].items():
                p = _point(per[m], mid)
                bd = entry["bd"].get(m, {}).get(name)
                bd_s = "ref" if name == ref else ("n/a" if not bd or bd["bd_rate"] is None else f"{bd['bd_rate']:+.1f} %")
                ov = f"{bd['overlap']:.2f}" if bd else ""
                ms = f"{enc[name]:.1f} / {dec[name]:.1f}" if name in enc and name in dec else ""
                psnr_s = "inf" if p["psnr"] is None else f"{p['psnr']:.2f}"
                lines.append(f"| {seq} | {rate:g} | {m} | {name} | {bd_s} | {ov} | {p['bytes'] * 8 / n * rate / 1000:.0f} "
                             f"| {psnr_s} | {p['key_frames']}/{p['messages']} | {ms} |")
    return "\n".join(lines)


def plot_sequences(result: dict, stem: str | Path) -> list[Path]:
    """`<stem>_<sequence>.png`: kbit/s against PSNR, colour and thermal panels, one line per codec."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for seq, entry in result["sequences"].items():
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
        scale = 8 / entry["frames"] * entry["rate_hz"] / 1000
        for ax, m in zip(axes, MODALITIES):
            for name, per in entry["curves"].items():
                ax.plot([p["bytes"] * scale for p in per[m]], [p["psnr"] for p in per[m]],
                        "--" if name == result["reference"] else "-", marker="o", markersize=4, label=name)
            ax.set_xscale("log")
            ax.set_title(f"{m} ({'RGB' if m == 'colour' else 'grey'} PSNR)")
            ax.set_xlabel("kbit/s")
            ax.set_ylabel("PSNR [dB]")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle(f"{seq}: {entry['frames']} frames at {entry['rate_hz']:g} Hz, key frame every "
                     f"{result['key_interval_s']:g} s", fontsize=10)
        path = stem.with_name(f"{stem.stem}_{seq}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
