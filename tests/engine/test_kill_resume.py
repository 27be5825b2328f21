"""A run killed with SIGKILL at any moment, then re-run, finishes with no sample lost and none duplicated.

Real processes: the fake OpenAI-compatible server runs as one subprocess, `weightwatch run` as another,
which is killed with SIGKILL twice at different points. The server counts every request it receives per
sample (prompt, seed, temperature), so the test proves that nothing journaled before a kill is asked again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = 30  # sanity at full size: 8 items x (1 greedy + 30 samples) = 248 requests
TOTAL = 8 * (SAMPLES + 1)


def _server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests/servers/fake_openai.py"), "--port", "0",
                             "--latency", "0.02"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("READY "), line
    return proc, line.split()[1]


def _stats(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/_stats", timeout=10) as resp:
        return dict(json.load(resp)["by_request"])


def _journaled(db: Path) -> dict[str, int]:
    """Sample keys (as the server counts them) finished in the journal -> number of rows."""
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT planned_json FROM samples WHERE error IS NULL AND probe = 'sanity'").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()
    out: dict[str, int] = {}
    for (pj,) in rows:
        req = json.loads(pj)["request"]
        key = f"{req['messages'][-1]['content']}|seed={req['seed']}|t={req['temperature']}"
        out[key] = out.get(key, 0) + 1
    return out


def _run_until(cmd: list[str], env: dict[str, str], db: Path, kill_after: int) -> None:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=env["HOME_DIR"])
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if sum(_journaled(db).values()) >= kill_after:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_twice_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    server, base_url = _server()
    try:
        env = dict(os.environ, WEIGHTWATCH_HOME=str(tmp_path), HOME_DIR=str(tmp_path))
        db = tmp_path / "journal.sqlite"
        cmd = [sys.executable, "-m", "weightwatch", "run", "sanity", "--size", "full", "--samples", str(SAMPLES),
               "-t", f"openai:fake-model@{base_url}", "--max-concurrency", "8", "--format", "json"]
        for kill_after in (40, 150):
            _run_until(cmd, env, db, kill_after)
            before = _journaled(db)
            server_before = _stats(base_url)
            assert all(n == 1 for n in before.values())
            # every journaled sample was answered by the server at least once
            assert all(server_before.get(k, 0) >= 1 for k in before)
            if kill_after == 150:
                break
            # the next partial run must not ask again for anything journaled so far
            _run_until(cmd, env, db, 150)
            server_after = _stats(base_url)
            assert {k: server_after[k] for k in before} == {k: server_before[k] for k in before}

        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert final.returncode == 0, final.stderr
        assert "resumed run" in final.stderr
        after = _stats(base_url)
        done = _journaled(db)
        assert len(done) == TOTAL and all(n == 1 for n in done.values())  # none lost, none duplicated
        for key in before:  # nothing that had finished before the last kill was asked again
            assert after[key] == server_before[key], key
        # the server saw each sample at most once more than the journal holds: only requests that were
        # in flight at a kill (at most 8 each time) were ever repeated
        repeated = sum(after[k] - 1 for k in done)
        assert repeated <= 2 * 8 + 8
        summary = json.loads(final.stdout[final.stdout.index("{"):])
        accuracy = next(m for r in summary["results"] for m in r["metrics"] if m["name"] == "accuracy")
        assert accuracy["n"] == TOTAL
        con = sqlite3.connect(db)
        runs = con.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall()
        linked = con.execute("SELECT COUNT(*) FROM run_samples").fetchone()[0]
        con.close()
        assert runs == [("finished", 1)]  # one run, resumed twice, not three runs
        assert linked == TOTAL
    finally:
        server.kill()
        server.wait()
