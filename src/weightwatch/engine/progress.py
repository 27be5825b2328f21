"""A rich progress bar per target: done/total, rate, ETA, errors and tokens."""

from __future__ import annotations

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

from weightwatch.engine.runner import ProgressFn


class ProgressDisplay:
    """Context manager; `start(totals)` is given to the API and returns the per-sample callback."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
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
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, TaskID] = {}
        self.counts: dict[str, list[int]] = {}

    def __enter__(self) -> ProgressDisplay:
        self.progress.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def start(self, totals: dict[str, int]) -> ProgressFn:
        for label, total in totals.items():
            self.tasks[label] = self.progress.add_task(label, total=total, rate="", errors=0, tokens=0)
            self.counts[label] = [0, 0]

        def tick(label: str, done: int, errors: int, tokens: int) -> None:
            task = self.tasks[label]
            c = self.counts[label]
            c[0] += errors
            c[1] += tokens
            t = self.progress.tasks[self.progress.task_ids.index(task)]
            rate = f"{t.speed:.1f}/s" if t.speed else ""
            self.progress.update(task, advance=done, errors=c[0], tokens=c[1], rate=rate)

        return tick
