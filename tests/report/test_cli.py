"""The report / export / compare commands, through the real CLI in a subprocess, and the whole path
from weightwatch.api.run (engine + journal + sanity probe) to the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from tests.engine.scripted import ScriptedTarget
from tests.report.fixtures import build_run, write_journal
from tests.test_cli_errors import assert_one_line_error, ww
from weightwatch.api import run
from weightwatch.engine.journal import Journal
from weightwatch.report.html import write_html
from weightwatch.report.terminal import print_scorecard
from weightwatch.types import RunSummary


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = tmp_path_factory.mktemp("home")
    j = write_journal(build_run(run_id="20261122-080000-aaaaaa"), h / "journal.sqlite")
    write_journal(build_run(run_id="20261122-090000-bbbbbb", shift=0.2, version=1), h / "journal.sqlite", journal=j)
    j.close()
    return h


def test_report_table_json_html(home: Path) -> None:
    table = ww("report", home=home)
    assert table.returncode == 0, table.stderr
    assert "20261122-090000-bbbbbb" in table.stdout and "HumanEval pass@1" in table.stdout
    js = ww("report", "20261122-08", "--format", "json", home=home)
    assert js.returncode == 0, js.stderr
    summary = RunSummary.model_validate_json(js.stdout)
    assert summary.run_id == "20261122-080000-aaaaaa" and summary.metrics("censorship")
    html = ww("report", "latest", "--format", "html", "-o", "r.html", home=home)
    assert html.returncode == 0, html.stderr
    assert (home / "r.html").stat().st_size > 100_000 and "r.html" in html.stderr


def test_export_and_compare(home: Path) -> None:
    exp = ww("export", "latest", "--format", "jsonl", "-o", "x.jsonl", home=home)
    assert exp.returncode == 0, exp.stderr
    lines = (home / "x.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 2220 and "2220 responses written" in exp.stderr
    cmp = ww("compare", "20261122-08", "20261122-09", "--format", "json", home=home)
    assert cmp.returncode == 0, cmp.stderr
    data = json.loads(cmp.stdout)
    assert len(data["pairs"]) == 3 and any(t["test"] == "mcnemar-exact" for t in data["paired"])
    table = ww("compare", "20261122-08", "20261122-09", home=home)
    assert table.returncode == 0 and "paired tests" in table.stdout


def test_format_names_in_any_case(home: Path) -> None:
    """`-f HTML` used to be refused ("unknown report format 'HTML'"): every format option reads any case."""
    html = ww("report", "latest", "-f", "HTML", "-o", "upper.html", home=home)
    assert html.returncode == 0, html.stderr
    assert (home / "upper.html").stat().st_size > 100_000
    js = ww("report", "latest", "--format", " Json ", home=home)
    assert js.returncode == 0, js.stderr
    assert RunSummary.model_validate_json(js.stdout).run_id == "20261122-090000-bbbbbb"
    exp = ww("export", "latest", "-f", "CSV", "-o", "upper.csv", home=home)
    assert exp.returncode == 0, exp.stderr
    assert "2220 responses written" in exp.stderr and (home / "upper.csv").stat().st_size > 0
    cmp = ww("compare", "20261122-08", "20261122-09", "-f", "JSON", home=home)
    assert cmp.returncode == 0, cmp.stderr
    assert json.loads(cmp.stdout)["pairs"]


def test_format_name_everywhere() -> None:
    from weightwatch.datafiles import format_name
    from weightwatch.errors import UserError

    assert format_name("HTML", ("table", "json", "html"), "report format") == "html"
    with pytest.raises(UserError) as exc:
        format_name("PDF", ("table", "json", "html"), "report format")
    assert exc.value.one_line() == "unknown report format 'PDF'; use table, json or html"


def test_bad_input_is_one_line(home: Path, tmp_path: Path) -> None:
    assert_one_line_error(ww("report", "nosuchrun", home=home), "no run 'nosuchrun'")
    assert_one_line_error(ww("report", "latest", "--format", "pdf", home=home), "unknown report format")
    assert_one_line_error(ww("export", "latest", "--format", "xlsx", home=home), "unknown export format")
    assert_one_line_error(ww("compare", "latest", "latest", home=home), "both runs")
    assert_one_line_error(ww("report", home=tmp_path), "weightwatch audit")


def test_from_api_run_to_html(tmp_path: Path) -> None:
    """Engine -> journal -> probe summary -> report, with a target whose answers are hostile HTML."""
    hostile = ScriptedTarget("evil<i>", answer=lambda p: '<script>window.__pwned=1</script> 12 Paris')
    good = ScriptedTarget("good")
    jf = tmp_path / "journal.sqlite"
    outcome = run(["sanity"], [good, hostile], journal_file=jf, config={})
    j = Journal(jf)
    try:
        page = write_html(j, outcome.run_id, tmp_path / "report.html")
    finally:
        j.close()
    text = page.read_text("utf-8")
    assert "<script>window.__pwned" not in text and "\\u003cscript\\u003ewindow.__pwned" in text
    assert "Sanity check" in text and "evil&lt;i&gt;" in text
    console = Console(record=True, width=200)
    print_scorecard(outcome.summary, console)
    out = console.export_text()
    assert "Sanity check" in out and "evil<i>" in out and "100.0%" in out
