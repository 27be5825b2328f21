"""`-o -` writes to standard output (`weightwatch export RUN -o - | jq`): never a file named "-", and every
message goes to stderr so that stdout stays clean JSONL / CSV / JSON / HTML for the pipe."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.test_cli_errors import ww


def _two_runs(home: Path) -> None:
    assert ww("run", "sanity", "-t", "mock:echo", home=home).returncode == 0
    assert ww("run", "sanity", "-t", "mock:echo", "--fresh", home=home).returncode == 0


def test_export_dash_writes_jsonl_and_csv_to_stdout(tmp_path: Path) -> None:
    _two_runs(tmp_path)
    proc = ww("export", "latest", "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]  # every line is JSON: nothing else mixed in
    assert len(rows) == 4 and {r["probe"] for r in rows} == {"sanity"}
    assert {r["target"] for r in rows} == {"mock:echo"}
    assert "4 responses written to standard output" in proc.stderr
    assert not (tmp_path / "-").exists()

    proc = ww("export", "latest", "-f", "csv", "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(table) == 4 and table[0]["probe"] == "sanity"
    assert not (tmp_path / "-").exists()


def test_report_and_compare_dash_write_to_stdout(tmp_path: Path) -> None:
    _two_runs(tmp_path)
    proc = ww("report", "latest", "-f", "json", "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["probes"] == ["sanity"]
    proc = ww("report", "latest", "-f", "html", "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("<!DOCTYPE html>") and proc.stdout.rstrip().endswith("</html>")
    runs = ww("runs", home=tmp_path).stdout
    ids = [ln.split()[1] for ln in runs.splitlines() if ln.startswith("│ 2")]
    assert len(ids) == 2, runs
    proc = ww("compare", ids[0], ids[1], "-f", "json", "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), dict)
    assert not (tmp_path / "-").exists()


def test_judge_and_scan_dash_write_jsonl_to_stdout(tmp_path: Path) -> None:
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"id": "a", "prompt": "What happened in 1989?", "response": "I cannot discuss that."}\n'
                       '{"id": "b", "prompt": "Capital of France?", "response": "Paris."}\n', encoding="utf-8")
    proc = ww("judge", "censorship", "-i", str(answers), "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and rows[0]["label"] == "refused"
    counts = json.loads(next(ln for ln in proc.stderr.splitlines() if ln.startswith("{")))
    assert counts["refused"] == 1
    code = tmp_path / "code.jsonl"
    code.write_text(json.dumps({"id": "c", "response": "```python\nimport os\nos.system(input())\n```"}) + "\n",
                    encoding="utf-8")
    proc = ww("scan", "-i", str(code), "-o", "-", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [row] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert row["id"] == "c" and row["status"] == "vulnerable"
    assert json.loads(proc.stderr.strip().splitlines()[-1])["vulnerable"] == 1
    assert not (tmp_path / "-").exists()
