"""Output safety for the bag tools: nothing at the output path until the run is complete.

Every tool writes into a hidden staging folder next to the output (`.NAME.partial-PID-XXXX/NAME`)
and renames it into place only after the last byte is written. An exception, Ctrl-C (SIGINT) or
SIGTERM/SIGHUP removes the staging folder; SIGKILL cannot be caught, so it leaves a staging folder
whose name says it is partial, and the output path itself never exists half-written.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import OutputExistsError

PARTIAL_TAG = ".partial-"


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived; raised so that cleanup runs as for Ctrl-C. Private to the bag
    tools' staging: callers see it as the KeyboardInterrupt it is."""


def check_paths(src: Path | None, dst: Path, *, force: bool) -> None:
    """Refuse outputs that would overwrite or sit inside the input, and existing outputs without
    force (checked before any work, and again before the final rename)."""
    dst = dst.absolute()
    if src is not None:
        src = src.absolute()
        if dst == src or src in dst.parents or dst in src.parents:
            raise ValueError(f"output {dst} overlaps the input {src}; the input is never modified")
    if dst.exists() or dst.is_symlink():
        if not force:
            raise OutputExistsError(f"{dst} exists; pass --force to replace it")
        if not (dst.is_dir() or dst.is_file()):
            raise ValueError(f"{dst} exists and is not a file or folder; not replacing it")


def leftover_partials(dst: Path) -> list[Path]:
    """Staging folders of earlier interrupted runs for this output (reported, never deleted)."""
    dst = dst.absolute()
    return sorted(dst.parent.glob(f".{dst.name}{PARTIAL_TAG}*"))


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception for the duration (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        raise Interrupted(f"stopped by signal {signal.Signals(signum).name}")

    saved = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def staged_output(dst: Path, *, force: bool, src: Path | None = None) -> Iterator[Path]:
    """Yield a path (not yet existing) to write the whole output to; on normal exit move it to
    `dst`, replacing an existing `dst` only with force. On any error or signal nothing appears."""
    dst = dst.absolute()
    check_paths(src, dst, force=force)
    dst.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{dst.name}{PARTIAL_TAG}{os.getpid()}-", dir=dst.parent))
    target = stage / dst.name
    try:
        with _signals_raise():
            yield target
            if not (target.exists()):
                raise RuntimeError(f"nothing was written to {target}")
            check_paths(src, dst, force=force)
            old = stage / f"{dst.name}.replaced"
            if dst.exists() or dst.is_symlink():
                os.rename(dst, old)
            try:
                os.rename(target, dst)
            except BaseException:
                if old.exists() or old.is_symlink():
                    os.rename(old, dst)
                raise
    finally:
        _remove(stage)


def tree_size(path: Path) -> int:
    """Bytes of a file, or of all files under a folder (a rosbag2 bag is a folder)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
