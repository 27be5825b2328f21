"""Every WEIGHTWATCH_* variable of a fixed form: a bad value is one line naming the variable, the value and
what is allowed (exit 2, no traceback), before any work; it used to be ignored silently for
WEIGHTWATCH_LLAMA_EXTRA_BUFTS, WEIGHTWATCH_CENSORSHIP_HEAD, WEIGHTWATCH_PROGRESS_INTERVAL and
WEIGHTWATCH_SANDBOX_SIMULATE, and only checked when a llama.cpp model loaded for WEIGHTWATCH_THREADS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww
from weightwatch import envvars
from weightwatch.errors import UserError

BAD = [
    ("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "yes", ("=0 (off)", "=1 (on)")),
    ("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "2", ("=0 (off)", "=1 (on)")),
    ("WEIGHTWATCH_CENSORSHIP_HEAD", "maybe", ("0, off, no, false", "1, on, yes, true")),
    ("WEIGHTWATCH_CENSORSHIP_HEAD", "OFF", ("0, off, no, false",)),  # head.py would read 'OFF' as on
    ("WEIGHTWATCH_THREADS", "abc", ("whole number", "at least 1")),
    ("WEIGHTWATCH_THREADS", "0", ("must be at least 1",)),
    ("WEIGHTWATCH_PARALLEL", "-2", ("must be at least 1",)),
    ("WEIGHTWATCH_PARALLEL", "1.5", ("whole number",)),
    ("WEIGHTWATCH_PROGRESS_INTERVAL", "soon", ("seconds above 0",)),
    ("WEIGHTWATCH_PROGRESS_INTERVAL", "0", ("seconds above 0",)),
    ("WEIGHTWATCH_MAX_RETRY_WAIT", "-5", ("seconds above 0",)),
    ("WEIGHTWATCH_SANDBOX_SIMULATE", "off", ("allowed: none",)),
    ("WEIGHTWATCH_BWRAP", "/nonexistent/bwrap", ("not a program", "bubblewrap")),
    ("WEIGHTWATCH_SEMGREP_RULES", "/nonexistent/rules", ("not a folder", "semgrep rule files")),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_bad_value_is_one_line_before_any_work(tmp_path: Path, name: str, value: str,
                                              allowed: tuple[str, ...]) -> None:
    proc = ww("run", "sanity", "-t", "mock:echo", home=tmp_path, extra_env={name: value})
    assert_one_line_error(proc, f"{name}={value!r}", *allowed)
    assert "progress" not in proc.stderr


def test_help_is_shown_whatever_the_environment_holds(tmp_path: Path) -> None:
    proc = ww("run", "--help", home=tmp_path, extra_env={"WEIGHTWATCH_THREADS": "abc"})
    assert proc.returncode == 0 and "Usage" in proc.stdout, proc.stderr


def test_every_variable_in_the_source_is_known() -> None:
    """A new WEIGHTWATCH_* variable in src/ must be added to envvars.py's table (and checked there) or be
    one of the path variables config.py checks."""
    src = Path(envvars.__file__).parent
    used = {m for f in src.rglob("*.py") for m in re.findall(r"WEIGHTWATCH_[A-Z_]+[A-Z]", f.read_text("utf-8"))}
    table = set(re.findall(r"^\| (WEIGHTWATCH_[A-Z_]+) \|", envvars.__doc__ or "", re.M))
    assert used - {"WEIGHTWATCH_HOME", "WEIGHTWATCH_MODELS", "WEIGHTWATCH_CONFIG"} <= table, used - table
    checked = Path(envvars.__file__).read_text("utf-8").split("def check_environment", 1)[1]
    assert all(f'"{name}"' in checked for name in table), table


def test_good_values_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in (("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "0"), ("WEIGHTWATCH_CENSORSHIP_HEAD", "off"),
                        ("WEIGHTWATCH_THREADS", " 2 "), ("WEIGHTWATCH_PARALLEL", "4"),
                        ("WEIGHTWATCH_PROGRESS_INTERVAL", "2.5"), ("WEIGHTWATCH_SANDBOX_SIMULATE", "none"),
                        ("WEIGHTWATCH_SEMGREP_RULES", str(tmp_path)), ("WEIGHTWATCH_BWRAP", "sh")):
        monkeypatch.setenv(name, value)
    envvars.check_environment()
    assert envvars.zero_or_one("WEIGHTWATCH_LLAMA_EXTRA_BUFTS") is False
    assert envvars.switch("WEIGHTWATCH_CENSORSHIP_HEAD") is False
    assert envvars.whole_number("WEIGHTWATCH_THREADS", "2") == 2


def test_llama_extra_bufts_read_where_it_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.targets.cpu import extra_buffer_types_enabled, extra_buffer_types_rule

    monkeypatch.setenv("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "1")
    assert extra_buffer_types_enabled() is True and extra_buffer_types_rule() == "WEIGHTWATCH_LLAMA_EXTRA_BUFTS"
    monkeypatch.setenv("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "true")  # used to fall back to the CPU rule silently
    with pytest.raises(UserError, match="WEIGHTWATCH_LLAMA_EXTRA_BUFTS='true' is not allowed"):
        extra_buffer_types_enabled()


def test_api_run_checks_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import weightwatch

    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "nein")
    with pytest.raises(UserError, match="WEIGHTWATCH_CENSORSHIP_HEAD='nein'"):
        weightwatch.run(["sanity"], ["mock:echo"], journal_file=tmp_path / "j.sqlite")
    assert not (tmp_path / "j.sqlite").exists()


def test_an_unknown_variable_is_named_with_the_closest_known_one(tmp_path: Path) -> None:
    """WEIGHTWATCH_THREAD=1 (no S) was silently ignored, the default thread count used."""
    assert set(envvars.KNOWN) >= {"WEIGHTWATCH_THREADS", "WEIGHTWATCH_HOME", "WEIGHTWATCH_SEMGREP_RULES"}
    proc = ww("runs", home=tmp_path, extra_env={"WEIGHTWATCH_THREAD": "1", "WEIGHTWATCH_XYZZY": "1"})
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == ["warning: WEIGHTWATCH_THREAD is not a weightwatch variable and is ignored; did you mean "
                     "WEIGHTWATCH_THREADS?",
                     "warning: WEIGHTWATCH_XYZZY is not a weightwatch variable and is ignored (the variables: "
                     "src/weightwatch/envvars.py)"], proc.stderr
    assert ww("runs", home=tmp_path, extra_env={"WEIGHTWATCH_THREADS": "1"}).stderr == ""
