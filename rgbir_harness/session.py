"""One timed end-to-end run: encoder and decoder processes, a probe feeding camera pairs at a fixed
rate, and the measured summary. Shared by tools/demo.py (the main job) and tools/bench_nodes.py."""
from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .loopback import NodePair, Probe, use_loopback_profile

FrameSource = Callable[[int], tuple[np.ndarray, np.ndarray]]


def run_loopback(frame: FrameSource, seconds: float, rate_hz: float, namespace: str,
                 encoder_params: dict[str, Any] | None = None, decoder_params: dict[str, Any] | None = None,
                 log_dir: Path | None = None, say: Callable[[str], None] = lambda s: None,
                 up_timeout_s: float = 90.0, first_index: int = 100) -> dict[str, Any]:
    """Publish `seconds * rate_hz` pairs from `frame(i)` through fresh nodes; returns Probe.summary()
    plus the log paths; the measured pairs are frame(first_index), frame(first_index + 1), ...
    (the warm-up sends frame(0), frame(1), ... first). rclpy must not be initialised yet in this process (the Fast DDS profile
    has to be in the environment first); this function initialises and shuts it down."""
    use_loopback_profile()
    import rclpy

    rclpy.init(args=[])
    try:
        probe = Probe(namespace, keep_s=3600.0)  # tracked pairs keep no arrays (reference=)
        say(f"starting encoder and decoder nodes in {namespace}")
        with NodePair(namespace, encoder_params or {}, decoder_params or {}, log_dir=log_dir) as nodes:
            up = probe.spin_until(lambda: probe.nodes_ready() or not (nodes.encoder.alive() and nodes.decoder.alive()),
                                  up_timeout_s)
            for proc, name in ((nodes.encoder, "encoder"), (nodes.decoder, "decoder")):
                if not proc.alive():
                    raise RuntimeError(f"{name} node exited:\n{proc.log()[-3000:]}")
            if not up:
                raise RuntimeError(f"nodes did not come up within {up_timeout_s:g} s")
            say("nodes are up; warming up")
            if not probe.warm_up(frame):
                raise RuntimeError("no pair came back during warm-up:\n" + nodes.encoder.log()[-2000:])
            probe.mark_baseline()
            say(f"publishing {seconds:g} s at {rate_hz:g} Hz")
            period, n = 1.0 / rate_hz, int(round(seconds * rate_hz))
            t0 = time.monotonic()
            for i in range(n):
                probe.spin_until(lambda: False, max(0.0, t0 + i * period - time.monotonic()))
                probe.publish_pair(*frame(first_index + i), reference=functools.partial(frame, first_index + i))
            say("published; waiting for the last pairs")
            _drain(probe, n)
            probe.fresh_diag("encoder")
            probe.fresh_diag("decoder", reports=1)
            summary = probe.summary()
            summary.update(encoder_log=str(nodes.encoder.log_path), decoder_log=str(nodes.decoder.log_path),
                           rate_hz=rate_hz, seconds=seconds, warnings=_warnings(nodes))
        probe.destroy_node()
        return summary
    finally:
        rclpy.try_shutdown()


def _drain(probe: Probe, n: int) -> None:
    """Spin until all `n` pairs are back or nothing arrived for a while (dropped pairs never come);
    'a while' is longer than the slowest encode+decode seen."""
    while len(probe.complete()) < n:
        before = len(probe.complete())
        enc = probe.counter("encoder", "encode_ms_p95") + probe.counter("decoder", "decode_ms_p95")
        if not probe.spin_until(lambda: len(probe.complete()) > before, max(3.0, 2.5 * enc / 1000)):
            return


def _warnings(nodes: NodePair) -> list[str]:
    """The nodes' WARN/ERROR lines (codec fallback and the like), without the log prefix."""
    lines = []
    for proc in (nodes.encoder, nodes.decoder):
        for line in proc.log().splitlines():
            if line.startswith(("[WARN]", "[ERROR]", "[FATAL]")):
                lines.append(line.split("]: ", 1)[-1])
    return lines[:5]
