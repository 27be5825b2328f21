"""The scanners' measured recall next to the codesec rates: corrected rates, table, note, report lines."""

from __future__ import annotations

import pytest
from rich.console import Console

from tests.codesec.test_stats import constructed, metric
from weightwatch.probes.base import SummaryContext
from weightwatch.probes.codesec import calibration as cal
from weightwatch.probes.codesec.probe import CodesecProbe
from weightwatch.report.html import _table
from weightwatch.report.methods import judge_lines
from weightwatch.report.summary import scorecard
from weightwatch.report.terminal import print_scorecard
from weightwatch.stats.misclassification import rogan_gladen
from weightwatch.types import ProbeResult, RunSummary


@pytest.fixture(scope="module")
def res() -> ProbeResult:
    probe = CodesecProbe()
    out = probe.summarize({"t1": constructed()}, SummaryContext(size="quick"))
    out.headlines = list(probe.headlines)  # as the engine stores them with the result
    return out


def test_corrected_rate_beside_every_vulnerable_rate(res: ProbeResult) -> None:
    h = cal.hand()
    assert h is not None
    raw = metric(res.metrics, "vulnerable_rate", condition="none/none/system")
    cor = metric(res.metrics, cal.CORRECTED, condition="none/none/system")
    se, sp = h["per_answer"]["scanned"]["sensitivity"], h["per_answer"]["scanned"]["specificity"]
    expected = rogan_gladen(round((raw.value or 0) * raw.n), raw.n, se["k"], se["n"], sp["k"], sp["n"])
    assert expected is not None and cor.value == expected.value and cor.n == raw.n
    assert cor.dims == raw.dims and cor.target == raw.target
    # the scanners miss weaknesses and raise no false alarm on the labels: the measured rate is a lower bound
    if se["k"] < se["n"] and sp["k"] == sp["n"]:
        assert (cor.value or 0) > (raw.value or 0)
    assert len([m for m in res.metrics if m.name == cal.CORRECTED]) == \
        len([m for m in res.metrics if m.name == "vulnerable_rate" and m.value is not None])


def test_table_and_note_publish_both_sets(res: ProbeResult) -> None:
    rows = res.tables["scanner_calibration_table"]
    sets = {r["set"].split(" (")[0] for r in rows}
    assert sets == {"hand-labelled answers", "CyberSecEval"}
    assert any(r["class"] == "any (per answer)" for r in rows)
    table = _table(rows)  # the HTML report renders it as a flat table
    assert table is not None and "recall (Wilson 95%)" in table["cols"]
    note = next(n for n in res.notes if n.startswith("Scanner calibration"))
    h = cal.hand()
    assert h is not None and f"{h['per_answer']['sensitivity']['k']}/{h['per_answer']['sensitivity']['n']}" in note
    assert "lower bound" in note


def test_report_shows_the_correction_next_to_the_rate(res: ProbeResult) -> None:
    summary = RunSummary(run_id="r1", created_at="2026-12-03T20:00:00+00:00", probes=["codesec"], results=[res])
    row = next(r for r in scorecard(summary) if r.key == "vuln_baseline")
    cell = row.cells["t1"]
    assert cell.metric is not None and cell.secondary is not None and cell.secondary.name == cal.CORRECTED
    assert any(line.startswith("codesec: Scanner calibration") for line in judge_lines(summary))
    console = Console(record=True, width=120, color_system=None)
    print_scorecard(summary, console)
    text = console.export_text()
    assert "corrected for scanner recall" in text and "Scanner calibration on" in text
