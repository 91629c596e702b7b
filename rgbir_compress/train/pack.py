"""Training packs: a training set (and a few validation pairs) in one compact file.

Why: a training machine elsewhere (a cloud GPU, a cluster node, possibly without network access
to the data) gets the set as one small upload instead of thousands of image files, and decodes it
with what any install has (PIL, numpy).

Format: a plain zip (stored, not deflated: the members are already compressed) holding
`index.json` and one image file per modality and pair. Lossless sources (PNG) are re-coded as
lossy WebP at a high quality; JPEG sources are stored byte for byte (re-coding them would only add
loss), so they are exact. Validation pairs are stored losslessly (WebP lossless) at their native
sizes, so real-bitstream validation on them matches validation on the sources. The index records
the PSNR of every re-coded image against its source.
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .data import PairPath, load_pair

PACK_VERSION = 1
JPEG_SUFFIXES = (".jpg", ".jpeg")


def psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of two uint8 images (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def _webp(img: np.ndarray, quality: int | None) -> bytes:
    """WebP bytes: lossy at `quality`, or lossless when quality is None."""
    buf = io.BytesIO()
    if quality is None:
        Image.fromarray(img).save(buf, "WEBP", lossless=True, quality=100, method=6)
    else:
        Image.fromarray(img).save(buf, "WEBP", quality=quality, method=6)
    return buf.getvalue()


def _decode(data: bytes, mode: str) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(data)).convert(mode))


@dataclass
class PackedImage:
    """One stored image: its bytes, member name, and PSNR against the source (inf if exact)."""
    name: str
    data: bytes
    psnr: float


@dataclass
class PackStats:
    """Sizes and fidelity of a written pack (what `train-pack` prints)."""
    path: Path
    bytes: int
    pairs: dict = field(default_factory=dict)       # part -> number of pairs
    psnr: dict = field(default_factory=dict)        # "rgb"/"ir" -> {mean, min, n_recoded, n_exact}

    def summary(self) -> str:
        lines = [f"{self.path}: {self.bytes / 2**20:.2f} MiB, "
                 + ", ".join(f"{n} {part} pairs" for part, n in self.pairs.items())]
        for mod, s in self.psnr.items():
            if s["n_recoded"]:
                lines.append(f"  {mod}: PSNR vs sources mean {s['mean']:.2f} dB, min {s['min']:.2f} dB over "
                             f"{s['n_recoded']} re-coded images; {s['n_exact']} stored exactly")
            else:
                lines.append(f"  {mod}: all {s['n_exact']} images stored exactly")
        return "\n".join(lines)


def _pack_image(src: Path, img: np.ndarray, mode: str, name: str, quality: int | None,
                keep_jpeg: bool) -> PackedImage:
    if keep_jpeg and src.suffix.lower() in JPEG_SUFFIXES:
        data = src.read_bytes()
        return PackedImage(name + src.suffix.lower(), data, math.inf)
    data = _webp(img, quality)
    return PackedImage(name + ".webp", data, psnr_u8(img, _decode(data, mode)))


def _pack_pair(pair: PairPath, name: str, quality: int | None, ir_quality: int | None,
               keep_jpeg: bool) -> tuple[PackedImage, PackedImage]:
    rgb, ir = load_pair(pair, same_size=False)  # the reader resizes thermal like load_pair does
    return (_pack_image(pair.rgb, rgb, "RGB", name + ".rgb", quality, keep_jpeg),
            _pack_image(pair.ir, ir, "L", name + ".ir", ir_quality, keep_jpeg))


def write_pack(out: str | Path, train: list[PairPath], val: list[PairPath] | None = None, *,
               quality: int = 85, ir_quality: int = 85, keep_jpeg: bool = True, threads: int = 2) -> PackStats:
    """Write `train` (lossy WebP at `quality` / `ir_quality`, JPEG sources kept as they are) and
    `val` (lossless) into one zip file at `out`; returns its size and PSNR against the sources."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = [("train", i, p, quality, ir_quality, keep_jpeg) for i, p in enumerate(train)]
    jobs += [("val", i, p, None, None, False) for i, p in enumerate(val or [])]
    with ThreadPoolExecutor(max(1, threads)) as pool:  # PIL releases the GIL while coding
        packed = list(pool.map(lambda j: _pack_pair(j[2], f"{j[0]}/{j[1]:05d}", j[3], j[4], j[5]), jobs))
    index: dict = {"version": PACK_VERSION, "train": [], "val": [],
                   "settings": {"quality": quality, "ir_quality": ir_quality, "keep_jpeg": keep_jpeg}}
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for (part, _, pair, *_), (rgb, ir) in zip(jobs, packed):
            for img in (rgb, ir):
                zf.writestr(img.name, img.data)
            index[part].append({"rgb": rgb.name, "ir": ir.name, "src_rgb": str(pair.rgb), "src_ir": str(pair.ir),
                                "psnr_rgb": _finite(rgb.psnr), "psnr_ir": _finite(ir.psnr)})
        zf.writestr("index.json", json.dumps(index, indent=1))
    tmp.replace(out)
    stats = PackStats(out, out.stat().st_size, {"train": len(train), "val": len(val or [])})
    train_packed = packed[: len(train)]
    for k, mod in enumerate(("rgb", "ir")):
        values = [p[k].psnr for p in train_packed]
        lossy = [v for v in values if math.isfinite(v)]
        stats.psnr[mod] = {"mean": float(np.mean(lossy)) if lossy else math.inf,
                           "min": float(np.min(lossy)) if lossy else math.inf,
                           "n_recoded": len(lossy), "n_exact": len(values) - len(lossy)}
    return stats


def _finite(v: float) -> float | None:
    return round(v, 3) if math.isfinite(v) else None  # JSON has no inf: None = stored exactly


def read_index(path: str | Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        index = json.loads(zf.read("index.json"))
    if index.get("version") != PACK_VERSION:
        raise ValueError(f"{path}: pack version {index.get('version')}, this code reads {PACK_VERSION}")
    return index


def read_pack(path: str | Path, part: str = "train", *, limit: int | None = None, same_size: bool = True,
              threads: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decoded pairs of one part ("train" or "val"): RGB HxWx3 and thermal HxW uint8, thermal
    resampled to the colour grid when `same_size` (as `data.load_pair` does for training)."""
    index = read_index(path)
    if part not in ("train", "val"):
        raise ValueError(f"part must be 'train' or 'val', not {part!r}")
    entries = index[part][:limit]
    if not entries:
        raise ValueError(f"{path}: no {part} pairs")
    with zipfile.ZipFile(path) as zf:
        blobs = [(zf.read(e["rgb"]), zf.read(e["ir"])) for e in entries]

    def decode(b: tuple[bytes, bytes]) -> tuple[np.ndarray, np.ndarray]:
        rgb = Image.open(io.BytesIO(b[0])).convert("RGB")
        ir = Image.open(io.BytesIO(b[1])).convert("L")
        if same_size and ir.size != rgb.size:
            ir = ir.resize(rgb.size, Image.BICUBIC)
        return np.array(rgb), np.array(ir)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(decode, blobs))
