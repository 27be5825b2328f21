"""SIGTERM, killed runs and two identical runs at once, with real processes.

The fake OpenAI-compatible server runs as one subprocess (it counts every request per sample), each
`weightwatch run` as another:
- SIGTERM stops a run like the first Ctrl-C: exit 143, the run marked interrupted, a resume hint, and the
  same command finishes it;
- a run killed with SIGKILL (no chance to say so) is shown as interrupted, not "running" forever, and resumes;
- a second identical command started while the first runs waits for it, then reuses every answer: the
  server sees each request once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.engine.test_kill_resume import ROOT, _journaled, _stats

SAMPLES = 30
TOTAL = 8 * (SAMPLES + 1)


def _server(latency: float = 0.02) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests/servers/fake_openai.py"), "--port", "0",
                             "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("READY "), line
    return proc, line.split()[1]


def _statuses(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [r[0] for r in con.execute("SELECT status FROM runs ORDER BY created_at")]
    finally:
        con.close()


def _cmd(base_url: str, concurrency: int = 4) -> list[str]:
    return [sys.executable, "-m", "weightwatch", "run", "sanity", "--size", "full", "--samples", str(SAMPLES),
            "-t", f"openai:fake-model@{base_url}", "--max-concurrency", str(concurrency), "--format", "json"]


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200")


def _start_and_wait(cmd: list[str], home: Path, at_least: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cmd, env=_env(home), cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(_journaled(home / "journal.sqlite").values()) >= at_least:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before the test could act on it"
    return proc


def test_sigterm_stops_cleanly_marks_interrupted_and_resumes(tmp_path: Path) -> None:
    server, base_url = _server(latency=0.05)  # 248 requests, 2 at a time: some 6 s, time to act mid-way
    db = tmp_path / "journal.sqlite"
    try:
        proc = _start_and_wait(_cmd(base_url, concurrency=2), tmp_path, 20)
        try:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 128 + signal.SIGTERM, stderr
        assert "stopping (SIGTERM): finished samples are kept in the journal" in stderr, stderr
        assert "resume with: weightwatch run sanity" in stderr
        assert "Traceback" not in stderr
        assert _statuses(db) == ["interrupted"]
        kept = sum(_journaled(db).values())
        assert 20 <= kept < TOTAL

        done = subprocess.run(_cmd(base_url, concurrency=2), env=_env(tmp_path), cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "resumed run" in done.stderr and f"{kept} sample(s) reused from the journal" in done.stderr
        assert _statuses(db) == ["finished"]
        assert len(_journaled(db)) == TOTAL
    finally:
        server.kill()
        server.wait()


def test_a_killed_run_is_shown_interrupted_and_resumes(tmp_path: Path) -> None:
    server, base_url = _server(latency=0.05)
    db = tmp_path / "journal.sqlite"
    try:
        proc = _start_and_wait(_cmd(base_url, concurrency=2), tmp_path, 20)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        assert _statuses(db) == ["running"]  # what the killed process left behind

        runs = subprocess.run([sys.executable, "-m", "weightwatch", "runs"], env=_env(tmp_path), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert runs.returncode == 0, runs.stderr
        assert "interrupted" in runs.stdout and "running" not in runs.stdout, runs.stdout
        assert _statuses(db) == ["interrupted"]
        report = subprocess.run([sys.executable, "-m", "weightwatch", "report", "latest"], env=_env(tmp_path),
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert report.returncode == 2
        assert "stopped before finishing (status: interrupted)" in report.stderr, report.stderr
        assert "resume it with: weightwatch run sanity" in report.stderr

        done = subprocess.run(_cmd(base_url, concurrency=2), env=_env(tmp_path), cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "resumed run" in done.stderr
        assert _statuses(db) == ["finished"]
    finally:
        server.kill()
        server.wait()


def test_two_identical_runs_at_once_do_the_work_once(tmp_path: Path) -> None:
    from weightwatch.engine.journal import Journal

    server, base_url = _server(latency=0.05)
    db = tmp_path / "journal.sqlite"
    cmd = _cmd(base_url, concurrency=1)  # slow enough (248 x 50 ms, one at a time) for the second to start
    try:
        first = _start_and_wait(cmd, tmp_path, 1)
        second = subprocess.Popen(cmd, env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            # while the first runs, opening the journal must not take its live run for a killed one
            j = Journal(db)
            try:
                if first.poll() is None:
                    assert [r.status for r in j.runs()] == ["running"]
            finally:
                j.close()
            out1, err1 = first.communicate(timeout=300)
            out2, err2 = second.communicate(timeout=300)
        finally:
            for p in (first, second):
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert first.returncode == 0, err1
        assert second.returncode == 0, err2
        assert f"waiting: another weightwatch process (pid {first.pid}) is running this same run" in err2, err2
        assert f"{TOTAL} sample(s) reused from the journal" in err2, err2
        requests = _stats(base_url)
        assert len(requests) == TOTAL and all(n == 1 for n in requests.values())  # each asked once
        assert out1.count('"run_id"') == out2.count('"run_id"') == 1
        assert _statuses(db) == ["finished", "finished"]
    finally:
        server.kill()
        server.wait()
