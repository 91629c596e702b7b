"""The rate-distortion figure: two panels (RGB, thermal), bpp against mean PSNR, one line per codec."""
from __future__ import annotations

from pathlib import Path


def plot_rd(summary: dict, path: str | Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on robots or CI
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    for ax, (modality, label) in zip(axes, (("rgb", "RGB"), ("thermal", "thermal"))):
        for codec, pts in summary["curves"].items():
            xs = [p[f"bpp_{modality}"] for p in pts]
            ys = [p[f"psnr_{modality}"] for p in pts]
            style = "-" if codec != summary.get("reference") else "--"
            ax.plot(xs, ys, style, marker="o", markersize=4, label=codec)
        ax.set_title(f"{label} (PSNR over {'3 channels' if modality == 'rgb' else '1 channel'})")
        ax.set_xlabel(f"bits per {label} pixel")
        ax.set_ylabel("PSNR [dB]")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)
