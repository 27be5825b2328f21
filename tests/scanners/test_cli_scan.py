"""`weightwatch scan` as a user runs it (a real subprocess, real scanners)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
