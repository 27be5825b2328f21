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
