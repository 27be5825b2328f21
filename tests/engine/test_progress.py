"""Progress when the output is not a terminal: a plain line per target every interval, and a last one."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from weightwatch.engine.progress import ProgressDisplay, interval_from_env
from weightwatch.errors import UserError


def test_plain_progress_lines_when_not_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=200)
    with ProgressDisplay(console, interval_s=0.05) as display:
        tick = display.start({"embedded:a": 10, "openai:b": 4})
        for _ in range(3):
            tick("embedded:a", 1, 0, 20)
        tick("openai:b", 1, 1, 0)
        deadline = time.monotonic() + 30
        while "progress embedded:a: 3/10" not in buf.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        for _ in range(7):
            tick("embedded:a", 1, 0, 20)
    text = buf.getvalue()
    assert "progress embedded:a: 3/10 samples" in text and "tokens 60" in text and "eta " in text
    assert "progress openai:b: 1/4 samples" in text and "errors 1" in text
    assert text.rstrip().splitlines()[-2].startswith("progress embedded:a: 10/10 samples")
    assert "done" in text.rstrip().splitlines()[-2]
    assert "\x1b[" not in text  # no terminal control codes in a log


def test_interval_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_PROGRESS_INTERVAL", "2.5")
    assert interval_from_env() == 2.5
    for bad in ("soon", "0", "-5", "nan", "inf"):  # used to fall back to 30 s silently
        monkeypatch.setenv("WEIGHTWATCH_PROGRESS_INTERVAL", bad)
        with pytest.raises(UserError, match=f"WEIGHTWATCH_PROGRESS_INTERVAL='{bad}' is not a number of seconds"):
            interval_from_env()
    monkeypatch.delenv("WEIGHTWATCH_PROGRESS_INTERVAL")
    assert interval_from_env() == 30.0
