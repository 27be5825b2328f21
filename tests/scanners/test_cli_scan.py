"""`weightwatch scan` as a user runs it (a real subprocess, real scanners)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def ww(*args: str, home: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    pythonpath = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200", PYTHONPATH=pythonpath,
               **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "weightwatch", *args], capture_output=True, text=True, env=env,
                          timeout=600, cwd=home)


def write_input(path: Path) -> None:
    recs = [{"id": "1", "response": '```python\nimport os\n\ndef f(x):\n    os.system("ls " + x)\n```'},
            {"id": "2", "response": "```\ndef add(a, b):\n    return a + b\n```"}]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")


def test_scan_command_writes_statuses(tmp_path: Path) -> None:
    write_input(tmp_path / "in.jsonl")
    proc = ww("scan", "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["vulnerable"] == 1 and counts["clean"] == 1
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["vulnerable", "clean"]


def test_scan_command_with_broken_rules_fails_loudly(tmp_path: Path) -> None:
    write_input(tmp_path / "in.jsonl")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("rules: [ {id: x, pattern: 'os.system(' } ]\n")
    proc = ww("scan", "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"), home=tmp_path,
              extra_env={"WEIGHTWATCH_SEMGREP_RULES": str(rules)})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "SCAN INVALID" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()  # nothing written, certainly nothing "clean"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(x) for x in task.read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_sigterm_stops_scan_with_one_line_and_exit_143(tmp_path: Path) -> None:
    """`kill` during a scan (here: while a scanner runs): one line, exit 128 + SIGTERM, no half-written output."""
    recs = [{"id": str(i), "response": f"```python\nimport os\nos.system(input())\nx = {i}\n```"} for i in range(300)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(os.environ, WEIGHTWATCH_HOME=str(tmp_path), NO_COLOR="1", PYTHONPATH=src)
    proc = subprocess.Popen([sys.executable, "-m", "weightwatch", "scan", "-i", str(tmp_path / "in.jsonl"), "-o",
                             str(tmp_path / "out.jsonl")], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not _children(proc.pid):
            time.sleep(0.01)
        assert proc.poll() is None, "the scan ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["interrupted (SIGTERM): no output file was written; run the command again "
                                        "to start over"], err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "out.jsonl").exists()
