"""Ctrl-C (and SIGTERM) for a run: the first one stops it cleanly, a second one quits at once.

The first SIGINT cancels the run's task: requests in flight are abandoned (an in-process model stops
between two decode steps, or inside one through llama.cpp's abort callback; an HTTP request is
dropped), every sample finished so far is already committed to the journal, and the run is marked
interrupted, so the same command resumes it. A second SIGINT ends the process immediately
(`os._exit`): the journal is SQLite in WAL mode with a commit per sample, so nothing finished is lost.
The handler is a plain `signal.signal` handler, so it runs even while the event loop is busy in
synchronous code.

SIGTERM (what `kill`, systemd, Docker and CI runners send) is handled like the first Ctrl-C: the run stops
cleanly and is marked interrupted (`Interrupted.signum` says which signal; the CLI exits 128 + signum).
Any second signal of either kind quits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A run stopped cleanly by a signal; `signum` is the first signal received (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def run_interruptible(coro: Coroutine[Any, Any, T], *, on_first: Callable[[int], None] | None = None,
                      on_second: Callable[[int], None] | None = None) -> T:
    """`asyncio.run(coro)`, with the two-step stop above (SIGINT or SIGTERM; the callbacks get the signal
    number). Raises `Interrupted` (a KeyboardInterrupt) after a clean stop."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    first: int | None = None

    def handler(signum: int, frame: Any) -> None:
        nonlocal first
        if first is None:
            first = signum
            if on_first is not None:
                on_first(signum)
            loop.call_soon_threadsafe(task.cancel)
            return
        if on_second is not None:
            on_second(signum)
        sys.stderr.flush()
        os._exit(128 + first)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if first is not None:
                raise Interrupted(first) from None
            raise
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


RECEIVED: list[int] = []  # the signals `sigterm_interrupts` turned into Interrupted, in this process
KEPT: list[str] = []  # what the running command has kept so far (the last note wins), said if it is interrupted


def keep_note(text: str) -> None:
    """Say what is kept if the command is interrupted from now on, e.g. 'the adapter is written: PATH' (the
    CLI's interrupted line then reads 'interrupted: <text>')."""
    KEPT.append(text)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises `Interrupted(SIGTERM)` in the main thread, as Ctrl-C raises
    KeyboardInterrupt: for synchronous commands that already stop cleanly on Ctrl-C (a Hub snapshot marks
    itself interrupted), so `kill` does not leave them "running". Outside the main thread: no change.
    The signal is also recorded in `RECEIVED` (typer turns the exception into a bare exit code 130; the CLI
    reads it there to say what stopped the command and exit 143)."""

    def handler(signum: int, frame: Any) -> None:
        RECEIVED.append(signum)
        raise Interrupted(signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
