"""The one synthetic, time-synchronised RGB + thermal camera pair: demos, benchmarks, synthetic
bags, the fuzz harness and tests all draw their frames here.

A textured landscape pans past the cameras while a warm object crosses it; the thermal image is
the same scene's heat (warm where the objects are), so the pair is correlated like real footage.
Frames are crops of a precomputed canvas, so producing one is cheap (ROS-free), and deterministic
for (size, seed, index): a test can regenerate the originals to measure what came back.
"""
from __future__ import annotations

import numpy as np


class SyntheticScene:
    def __init__(self, height: int = 512, width: int = 640, seed: int = 0, mono16: bool = False) -> None:
        self.h, self.w, self.mono16 = height, width, mono16
        rng = np.random.default_rng(seed)
        ch, cw = height + 64, 3 * width
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        rgb = np.stack([110 + 70 * np.sin(xx / 37.0) * np.cos(yy / 53.0),
                        120 + 50 * np.cos(yy / 29.0 + xx / 91.0),
                        90 + 0.2 * ((xx + 2 * yy) % 300)], axis=-1)
        heat = 60 + 20 * np.sin(yy / ch * np.pi)
        for _ in range(max(8, cw * ch // 20000)):
            cy, cx = rng.uniform(0, ch), rng.uniform(0, cw)
            ry, rx = rng.uniform(6, max(6, ch / 8)), rng.uniform(6, max(6, cw / 16))  # tiny frames too
            mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
            rgb[mask] = rng.uniform(20, 235, 3)
            heat[mask] = rng.uniform(50, 200)
        self._rgb = np.clip(rgb + rng.normal(0, 4, rgb.shape), 0, 255).astype(np.uint8)
        self._heat = np.clip(heat + rng.normal(0, 2, heat.shape), 0, 255).astype(np.float32)
        self._noise = rng.normal(0, 1.5, (8, height, width)).astype(np.float32)

    def frame(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Frame `index`: (HxWx3 uint8 RGB, HxW uint8 or uint16 thermal)."""
        h, w = self.h, self.w
        x0 = (4 * index) % (self._rgb.shape[1] - w)
        y0 = int(32 + 24 * np.sin(index / 25.0))
        rgb = self._rgb[y0:y0 + h, x0:x0 + w].copy()
        heat = self._heat[y0:y0 + h, x0:x0 + w] + self._noise[index % len(self._noise)]
        # a warm object crossing the view
        cx, cy, r = (9 * index) % (w + 80) - 40, h * 0.6, max(6, min(h, w) // 10)
        ys, xs = slice(max(0, int(cy - r)), min(h, int(cy + r))), slice(max(0, int(cx - r)), min(w, int(cx + r)))
        yy, xx = np.ogrid[ys, xs]
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        rgb[ys, xs][mask] = (200, 60, 40)
        heat[ys, xs][mask] = 245
        heat = np.clip(heat, 0, 255)
        if self.mono16:
            return rgb, (heat * 40 + 20000).astype(np.uint16)
        return rgb, heat.astype(np.uint8)
