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


def test_a_long_label_is_shortened_before_the_times_on_a_terminal() -> None:
    """At 100 columns an `openai:MODEL@URL` label squeezed the elapsed time and the ETA to '0:00:…'; and a label
    was read as rich markup ('mock:[red]x' lost its brackets)."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    long_label = "openai:fake-model@http://127.0.0.1:18234/v1"
    with ProgressDisplay(console) as display:
        tick = display.start({long_label: 64, "mock:[red]x": 2})
        tick(long_label, 10, 0, 110)
        tick("mock:[red]x", 1, 0, 3)
    last = [ln for ln in buf.getvalue().splitlines() if "10/64" in ln][-1]
    assert "…" not in last.split("10/64")[1], last  # counts, rate, elapsed and eta whole
    assert "openai:fake-model@" in last and "…" in last.split("10/64")[0], last
    assert "mock:[red]x" in buf.getvalue()


def test_the_resume_command_never_says_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """After Ctrl-C on `run ... --fresh`, the 'resume with' command kept --fresh, which asks everything again."""
    import sys

    from weightwatch.cli import _interrupted_message

    monkeypatch.setattr(sys, "argv", ["weightwatch", "run", "sanity", "-t", "mock:echo", "--fresh"])
    message = _interrupted_message(sys.argv[1:])
    assert message.endswith("resume with: weightwatch run sanity -t mock:echo"), message
