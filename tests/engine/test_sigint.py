"""Ctrl-C on a real `weightwatch run` of an embedded model, mid-generation: the process stops, keeps
what finished, says how to resume, and the same command then completes the run.

A real subprocess on the real SmolLM2 GGUF. The test polls the journal until at least one sample has
landed, sends SIGINT, and waits (generously) for the exit; it asserts no speed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.targets.test_models_real import needs_model

pytestmark = [pytest.mark.model, pytest.mark.slow]

SAMPLES = 7  # sanity at full size: 8 items x (1 greedy + 7 samples) = 64 requests
TOTAL = 8 * (SAMPLES + 1)


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(con.execute("SELECT COUNT(*) FROM samples WHERE error IS NULL AND probe = 'sanity'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _status(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [r[0] for r in con.execute("SELECT status FROM runs ORDER BY created_at")]
    finally:
        con.close()


@needs_model("smollm2-135m")
def test_sigint_stops_keeps_finished_samples_and_resumes(tmp_path: Path) -> None:
    env = dict(os.environ, WEIGHTWATCH_HOME=str(tmp_path), WEIGHTWATCH_THREADS="1")
    db = tmp_path / "journal.sqlite"
    cmd = [sys.executable, "-m", "weightwatch", "run", "sanity", "--size", "full", "--samples", str(SAMPLES),
           "-t", "embedded:smollm2-135m", "--format", "json"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None and _count(db) < 1:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert _count(db) >= 1
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr[-2000:]
    assert "resume with: weightwatch run sanity" in stderr
    assert "Traceback" not in stderr
    kept = _count(db)
    assert 1 <= kept < TOTAL
    assert _status(db) == ["interrupted"]

    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{kept} sample(s) reused from the journal" in done.stderr
    assert _count(db) == TOTAL
    assert _status(db) == ["finished"]
