"""One process at a time per run: a file lock per run plan, beside the journal.

A run's plan key is the hash of its parameters exactly as the journal stores them (`runs.params_json`,
what `Journal.find_resumable` matches), so two identical `weightwatch run` commands share one key. The
lock is an advisory `flock` on `<journal folder>/locks/run-<key>.lock`, held from before the targets start
until the run is marked finished or interrupted. The kernel releases it when the process ends in any way
(SIGKILL included), so the lock also says whether a run the journal calls "running" still has a process:
`is_held` is how `Journal` tells a live run from a killed one (no pid that could be reused).

A second identical command waits for the first (it then finds every answer in the journal and asks
nothing again) rather than refusing: the same command gives the same result either way, and a script
that launched it twice still gets its output. Where `fcntl` does not exist (Windows), there is no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:  # POSIX only; this is the standard library, not one of our modules
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

POLL_S = 0.25  # how often a waiting process tries the lock again


def plan_key(params_json: str) -> str:
    """The lock key of a run plan: a hash of its parameters as the journal stores them."""
    return hashlib.sha256(params_json.encode("utf-8")).hexdigest()[:24]


def lock_path(folder: Path, key: str) -> Path:
    return folder / "locks" / f"run-{key}.lock"


class RunLock:
    """An exclusive, non-blocking file lock; `holder()` reads the pid the holder wrote into the file."""

    def __init__(self, folder: Path, key: str) -> None:
        self.path = lock_path(folder, key)
        self._fh: IO[str] | None = None

    def try_acquire(self) -> bool:
        if fcntl is None:
            return True
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def holder(self) -> str | None:
        """The pid of the process holding the lock (as it wrote it), if readable."""
        with contextlib.suppress(OSError):
            text = self.path.read_text("utf-8").strip()
            return text if text.isdigit() else None
        return None

    def release(self) -> None:
        if self._fh is None or fcntl is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None

    async def acquire(self, on_wait: Callable[[str | None], None] | None = None) -> None:
        """Take the lock, waiting (cancellably) while another process holds it; `on_wait(pid)` is called
        once when the wait begins."""
        told = False
        while not self.try_acquire():
            if not told:
                told = True
                if on_wait is not None:
                    on_wait(self.holder())
            await asyncio.sleep(POLL_S)


def is_held(folder: Path, key: str) -> bool:
    """Whether some process (this one included) holds the lock of this run plan now."""
    if fcntl is None:
        return True  # no locks here: nothing can be told, so a "running" run is taken at its word
    path = lock_path(folder, key)
    try:
        fh = path.open("r", encoding="utf-8")
    except OSError:
        return False  # never created (or cannot be read): nobody holds it
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False
    finally:
        fh.close()
