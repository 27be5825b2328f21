"""Ctrl-C for a run: the first one stops it cleanly, a second one quits at once.

The first SIGINT cancels the run's task: requests in flight are abandoned (an in-process model stops
between two decode steps, or inside one through llama.cpp's abort callback; an HTTP request is
dropped), every sample finished so far is already committed to the journal, and the run is marked
interrupted, so the same command resumes it. A second SIGINT ends the process immediately
(`os._exit`): the journal is SQLite in WAL mode with a commit per sample, so nothing finished is lost.
The handler is a plain `signal.signal` handler, so it runs even while the event loop is busy in
synchronous code.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_INTERRUPTED = 130


def run_interruptible(coro: Coroutine[Any, Any, T], *, on_first: Callable[[], None] | None = None,
                      on_second: Callable[[], None] | None = None) -> T:
    """`asyncio.run(coro)`, with the two-step Ctrl-C above. Raises KeyboardInterrupt after a clean stop."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    presses = 0

    def handler(signum: int, frame: Any) -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            if on_first is not None:
                on_first()
            loop.call_soon_threadsafe(task.cancel)
            return
        if on_second is not None:
            on_second()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if presses:
                raise KeyboardInterrupt from None
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
        signal.signal(signal.SIGINT, previous)
