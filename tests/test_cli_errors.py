"""Bad input gets one line saying what is wrong and what to do, exit code 2, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def ww(*args: str, home: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200")
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "weightwatch", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=home)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    for n in needles:
        assert n in lines[0], lines[0]


def test_unknown_probe(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "nosuchprobe", "-t", "embedded:smollm2-135m", home=tmp_path),
                          "unknown probe 'nosuchprobe'", "sanity")


def test_no_target(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "sanity", home=tmp_path), "no target", "-t")


def test_unknown_size(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "sanity", "-t", "embedded:smollm2-135m", "--size", "huge", home=tmp_path),
                          "unknown size 'huge'")


def test_report_without_runs(tmp_path: Path) -> None:
    proc = ww("report", "latest", home=tmp_path)
    assert_one_line_error(proc, "no finished run")


def test_broken_config(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text("[targets\nbroken", encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "not valid TOML")


def test_corrupt_journal(tmp_path: Path) -> None:
    (tmp_path / "journal.sqlite").write_bytes(b"this is not a database" * 100)
    assert_one_line_error(ww("runs", home=tmp_path), "journal", "cannot be opened")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = ww("--debug", "run", "nosuchprobe", "-t", "x", home=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_version_and_help(tmp_path: Path) -> None:
    proc = ww("--version", home=tmp_path)
    assert proc.returncode == 0 and "weightwatch" in proc.stdout
    proc = ww("--help", home=tmp_path)
    assert proc.returncode == 0 and "audit" in proc.stdout


def test_unknown_command(tmp_path: Path) -> None:
    # typer vendors its own click: its usage errors once fell through to "internal error"
    proc = ww("models", home=tmp_path)
    assert_one_line_error(proc, "No such command 'models'", "--help")
    assert "internal error" not in proc.stderr


def test_unknown_option(tmp_path: Path) -> None:
    assert_one_line_error(ww("runs", "--no-such-option", home=tmp_path), "--no-such-option", "--help")
