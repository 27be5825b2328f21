"""Progress of a run, per target: done/total, rate, ETA, errors and tokens.

On a terminal: a live rich progress bar. Otherwise (a log file, CI): one plain line per target every
`interval_s` seconds (default 30, WEIGHTWATCH_PROGRESS_INTERVAL), and a last one when the run ends, so
a long run never goes silent.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column

from weightwatch import envvars
from weightwatch.engine.runner import ProgressFn

DEFAULT_INTERVAL_S = 30.0


def interval_from_env() -> float:
    """WEIGHTWATCH_PROGRESS_INTERVAL (seconds above 0; at least 0.1 is used), else 30; a bad value is an error."""
    forced = envvars.seconds("WEIGHTWATCH_PROGRESS_INTERVAL", "30")
    return max(0.1, forced) if forced is not None else DEFAULT_INTERVAL_S


@dataclass
class _Count:
    total: int
    done: int = 0
    errors: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    def line(self, label: str) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = f"eta {_clock((self.total - self.done) / rate)}" if rate > 0 and self.done < self.total else (
            "done" if self.done >= self.total else "eta ?")
        return (f"progress {label}: {self.done}/{self.total} samples, {rate * 60:.1f}/min, errors {self.errors}, "
                f"tokens {self.tokens}, elapsed {_clock(elapsed)}, {eta}")


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class ProgressDisplay:
    """Context manager; `start(totals)` is given to the API and returns the per-sample callback."""

    def __init__(self, console: Console, interval_s: float | None = None) -> None:
        self.console = console
        self.live = console.is_terminal
        self.interval_s = interval_s if interval_s is not None else interval_from_env()
        self.progress = Progress(
            # the label is shortened before the counts and times are (at 100 columns a URL label squeezed the
            # elapsed time and the ETA to "0:00:…"), and it is shown as typed, never read as markup
            TextColumn("{task.description}", style="bold", markup=False,
                       table_column=Column(no_wrap=True, overflow="ellipsis", max_width=36)),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("errors {task.fields[errors]}"),
            TextColumn("tokens {task.fields[tokens]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self.tasks: dict[str, TaskID] = {}
        self.counts: dict[str, _Count] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressDisplay:
        self.progress.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._print_lines()

    def _print_lines(self) -> None:
        with self._lock:
            lines = [c.line(label) for label, c in self.counts.items()]
        for line in lines:
            self.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)

    def _ticker(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._print_lines()

    def start(self, totals: dict[str, int]) -> ProgressFn:
        for label, total in totals.items():
            self.tasks[label] = self.progress.add_task(label, total=total, rate="", errors=0, tokens=0)
            self.counts[label] = _Count(total=total)
        if not self.live and self._thread is None and any(totals.values()):
            self._thread = threading.Thread(target=self._ticker, name="progress-lines", daemon=True)
            self._thread.start()

        def tick(label: str, done: int, errors: int, tokens: int) -> None:
            with self._lock:
                c = self.counts[label]
                c.done += done
                c.errors += errors
                c.tokens += tokens
            if not self.live:
                return
            task = self.tasks[label]
            t = self.progress.tasks[self.progress.task_ids.index(task)]
            rate = f"{t.speed:.1f}/s" if t.speed else ""
            self.progress.update(task, advance=done, errors=c.errors, tokens=c.tokens, rate=rate)

        return tick
