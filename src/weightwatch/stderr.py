"""C-level stderr (fd 2) silenced while llama.cpp loads a model, with `say` writing past the silence when the command
must speak: Ctrl-C in the middle of a load (which runs in a worker thread that goes on after the command is
interrupted) otherwise sent the command's one 'interrupted' line to /dev/null."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

_SAVED: list[int] = []  # the real fd 2, dup'ed, for each silence in force (the first is the terminal's)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence C-level writes to fd 2 (llama.cpp/ggml log noise) within the block."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    _SAVED.append(saved)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        with contextlib.suppress(ValueError):
            _SAVED.remove(saved)
        os.close(saved)


def say(line: str) -> None:
    """Write one line to the real stderr, even while another thread (a model load the command no longer waits
    for) holds fd 2 silenced; its noise stays silenced."""
    sys.stderr.flush()
    for saved in list(_SAVED[:1]):
        with contextlib.suppress(OSError):  # that block ended meanwhile and closed its copy: fd 2 is back
            os.write(saved, (line + "\n").encode("utf-8", "replace"))
            return
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
