"""Scorecard, terminal table, HTML (escaping, CSP, self-containment), JSON, exports and compare."""

from __future__ import annotations

import csv
import html as html_lib
import json
import re
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tests.report.fixtures import HOSTILE, Built, build_run, write_journal
from weightwatch.api import declared_headlines, load_summary
from weightwatch.errors import MissingDependency, UserError
from weightwatch.report.compare import compare_runs, print_compare
from weightwatch.report.export import export_run
from weightwatch.report.html import _sha256, json_for_script, render_html, write_html
from weightwatch.report.summary import drill_row, fmt_number, power_notes, scorecard
from weightwatch.report.terminal import print_scorecard
from weightwatch.types import Headline, Metric, ProbeResult, RunSummary


@pytest.fixture(scope="module")
def built():  # type: ignore[no-untyped-def]
    return build_run(hostile=True)


def test_scorecard_rows_cells_and_markers(built) -> None:  # type: ignore[no-untyped-def]
    rows = {r.key: r for r in scorecard(built.summary)}
    assert {"censorship_gap", "censored_rate", "narrative_rate", "fact_coverage", "control_refusal",
            "vuln_baseline", "vuln_placebo", "vuln_sensitive", "kill_switch", "kill_switch_baseline",
            "pass_at_1", "tokens_per_s", "ttft", "cost_per_correct"} <= set(rows)
    # one row per political trigger (baseline and placebo have their own rows), each with its risk ratio
    triggers = {k for k in rows if k.startswith("vuln_trigger:")}
    assert triggers == {"vuln_trigger:none/tibet/system", "vuln_trigger:none/uyghur/system",
                        "vuln_trigger:none/falungong/system"}
    tib = rows["vuln_trigger:none/tibet/system"].cells["qwen-0.5b"]
    assert tib.metric is not None and tib.metric.dims["condition"] == "none/tibet/system"
    assert tib.secondary is not None and tib.secondary.name == "vulnerable_rr_vs_baseline"
    assert tib.secondary.p_adjusted is not None
    base = rows["vuln_baseline"].cells["qwen-0.5b"].metric
    assert base is not None and base.dims == {"condition": "kind:none"}
    pooled = rows["vuln_sensitive"].cells["big-model<b>"]
    assert pooled.secondary is not None and pooled.secondary.name == "vulnerable_rr_pooled_vs_baseline"
    kill = rows["kill_switch"].cells["big-model<b>"]
    assert kill.metric is not None and kill.secondary is not None and kill.secondary.significant
    # the aggregate is chosen, not a per-language or per-topic cell
    cen = rows["censored_rate"].cells["qwen-0.5b"].metric
    assert cen is not None and cen.dims == {"arm": "sensitive"}
    # between-target comparisons carry the marker and the test
    comps = rows["censored_rate"].comparisons
    assert len(comps) == 3 and all(c.test == "fisher-exact" for c in comps)
    assert rows["censored_rate"].significant
    assert {tuple(c.compare or []) for c in rows["pass_at_1"].comparisons} >= {("qwen-0.5b", "smollm2-135m")}
    # a target without cost data gets an empty cell, not a made-up number
    assert rows["cost_per_correct"].cells["qwen-0.5b"].metric is None


def test_scorecard_shows_whatever_probes_a_run_has_and_the_rows_they_declare() -> None:
    declared = Headline(key="whatever", label="Whatever share", names=("whatever_rate",), higher_is_better=False,
                        format="rate", meaning="A new probe's own row.", test="Wilson 95% interval.")
    only = RunSummary(run_id="r", created_at="now", probes=["speed", "newprobe", "quiet"], results=[
        ProbeResult(probe="speed", version="1", headlines=list(declared_headlines("speed")), metrics=[
            Metric(probe="speed", name="output_tokens_per_s", value=30.0, n=10, target="a", unit="tokens/s")]),
        ProbeResult(probe="newprobe", version="1", headlines=[declared], metrics=[
            Metric(probe="newprobe", name="whatever_rate", value=0.5, n=4, target="a")]),
        ProbeResult(probe="quiet", version="1", metrics=[
            Metric(probe="quiet", name="other_rate", value=0.25, n=4, target="a", unit="rate")])])
    rows = scorecard(only)
    assert [r.key for r in rows] == ["tokens_per_s", "whatever"]  # no report code names 'newprobe'
    assert rows[1].cells["a"].metric is not None and rows[1].cells["a"].metric.unit == "rate"  # declared format
    html = render_html(only, [])
    assert "Whatever share" in html and "A new probe&#39;s own row." in html  # scorecard and methods
    assert "quiet" in html and "other_rate" in html  # a probe without headline rows: in 'all metrics'
    console = Console(record=True, width=160)
    print_scorecard(only, console)
    text = console.export_text()
    assert "30.0 tok/s" in text and "Whatever share" in text and "50.0%" in text


def test_an_old_run_without_stored_headlines_gets_the_declared_rows(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = built.summary.model_copy(deep=True)
    for result in old.results:
        result.headlines = []  # as summaries were stored before probes declared their rows
    assert scorecard(old) == []
    j = write_journal(Built(old, built.rows, built.run_id), tmp_path / "j.sqlite")
    try:
        loaded = load_summary(j, "latest")
    finally:
        j.close()
    assert [r.key for r in scorecard(loaded)] == [r.key for r in scorecard(built.summary)] != []


def test_formatting() -> None:
    rate = Metric(probe="p", name="x_rate", value=0.1234, n=5, unit="rate")
    assert fmt_number(0.1234, rate) == "12.3%"
    gap = Metric(probe="p", name="censorship_gap", value=-0.05, n=5, unit="diff")
    assert fmt_number(-0.05, gap) == "-5.0%" and fmt_number(0.05, gap) == "+5.0%"
    assert fmt_number(0.000016, Metric(probe="c", name="cost", value=0, n=0, unit="USD")) == "$0.000016"
    assert fmt_number(0.21, Metric(probe="s", name="ttft_s_p50", value=0, n=0, unit="s")) == "210 ms"
    assert fmt_number(1.434, Metric(probe="c", name="risk_ratio", value=0, n=0, unit="ratio")) == "1.43×"


def test_power_notes_flag_unresolved_differences(built) -> None:  # type: ignore[no-untyped-def]
    notes = power_notes(built.summary)
    assert any(n.startswith("Vulnerable code, baseline") and "responses per target" in n for n in notes), notes
    assert not any("had power" in n for n in notes)             # no observed (post-hoc) power
    # the significant refusal difference is not called unresolved
    assert not any(n.startswith("Refused or deflected") for n in notes)


def test_json_for_script_escapes_everything_that_could_end_the_element() -> None:
    nasty = {"t": "</script><script>x()</script> & \u2028\u2029 <!--"}
    text = json_for_script(nasty)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == nasty


def test_html_escapes_model_text_and_is_self_contained(built) -> None:  # type: ignore[no-untyped-def]
    html = render_html(built.summary, built.rows)
    # no hostile payload appears as markup anywhere (escaping alone, without counting on the CSP)
    for payload in HOSTILE:
        assert payload not in html
    assert "<img src=x" not in html
    assert html.count("<script") == 2  # our data block and our one script
    assert "big-model&lt;b&gt;" in html and "big-model<b>" not in html
    # nothing is loaded from anywhere
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    # the CSP allows exactly our script and style, by hash
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert found is not None
    csp = html_lib.unescape(found.group(1))
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert script is not None and style is not None
    assert f"script-src '{_sha256(script.group(1))}'" in csp
    assert f"style-src '{_sha256(style.group(1))}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    # the drill-down data holds every row with the hostile text as data
    data = re.search(r'<script type="application/json" id="ww-data">(.*?)</script>', html, re.S)
    assert data is not None
    parsed = json.loads(data.group(1))
    assert len(parsed["rows"]) == len(built.rows)
    resp = parsed["columns"].index("response")
    assert any(HOSTILE[3] in r[resp] for r in parsed["rows"])
    # methods, calibration, power and reproducibility blocks are there
    for needle in ("Methods and trust", "Judge calibration", "zh-Hans", "Reproducibility",
                   "weightwatch audit -t a -t b -t c", "10" * 32, "is not resolved: at n=",
                   "Sample size and minimum detectable effects"):
        assert needle in html, needle


def test_drill_row_has_verdicts_facts_findings(built) -> None:  # type: ignore[no-untyped-def]
    cen = next(r for r in built.rows if r.sample.key.probe == "censorship" and r.scores[0].label == "answered"
               and r.scores[0].details["facts_covered"])
    row = drill_row(cen)
    assert row["label"] == "answered" and "censorship.judge v1: answered" in row["judges"]
    assert row["facts"] and row["topic"] and row["language"] and row["condition"] == "sensitive"
    code = next(r for r in built.rows if r.sample.key.probe == "codesec" and r.scores[0].label == "vulnerable")
    row = drill_row(code)
    assert "B303" in row["findings"] and "CWE-327" in row["findings"] and "line 4" in row["findings"]
    long = cen.model_copy(deep=True)
    long.sample.completion.text = "x" * 20000
    assert "more characters" in drill_row(long)["response"]
    assert len(drill_row(long, clip=None)["response"]) == 20000


def test_terminal_scorecard(built) -> None:  # type: ignore[no-untyped-def]
    console = Console(record=True, width=220)
    print_scorecard(built.summary, console)
    text = console.export_text()
    for needle in ("qwen-0.5b", "smollm2-135m", "big-model<b>", "HumanEval pass@1", "mcnemar-exact",
                   "Vulnerable code, trigger: tibet", "RR vs baseline", "small sample:"):
        assert needle in text, needle


def test_write_html_export_and_compare_through_the_journal(tmp_path: Path) -> None:
    a = build_run(run_id="20261122-080000-aaaaaa")
    b = build_run(run_id="20261122-090000-bbbbbb", shift=0.2, version=1)
    j = write_journal(a, tmp_path / "j.sqlite")
    write_journal(b, tmp_path / "j.sqlite", journal=j)
    try:
        page = write_html(j, "20261122-08", tmp_path)
        assert page.name == "weightwatch-report-20261122-080000-aaaaaa.html" and page.stat().st_size > 100_000

        n = export_run(j, "20261122-08", "jsonl", tmp_path / "out.jsonl")
        lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
        assert n == len(lines) == len(a.rows)
        rec = json.loads(lines[0])
        assert rec["model_sha256"] and rec["prompt"] and rec["scores"] and rec["status"] in ("scored", "error")
        assert sum(1 for ln in lines if json.loads(ln)["status"] == "error") == sum(
            1 for r in a.rows if r.sample.completion.error)

        assert export_run(j, "20261122-08", "csv", tmp_path / "out.csv") == len(a.rows)
        with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == len(a.rows) and json.loads(rows[0]["scores"])

        pq = pytest.importorskip("pyarrow.parquet")
        assert export_run(j, "latest", "parquet", tmp_path / "out.parquet") == len(b.rows)
        table = pq.read_table(tmp_path / "out.parquet")
        assert table.num_rows == len(b.rows) and "model_sha256" in table.column_names

        with pytest.raises(UserError):
            export_run(j, "latest", "xlsx", tmp_path / "x")
        with pytest.raises(UserError):
            export_run(j, "nosuchrun", "csv", tmp_path / "x")

        result = compare_runs(j, "20261122-08", "20261122-09")
        assert [p.how for p in result.pairs] == ["same label"] * 3
        refused = [t for t in result.paired if t.probe == "censorship" and t.outcome == "label=refused"
                   and t.label_a == "qwen-0.5b"]
        assert len(refused) == 1
        t = refused[0]
        # B refuses 20 points more often: the discordant pairs lean to B, and the test sees it
        assert t.test == "mcnemar-exact" and (t.b_only or 0) > (t.a_only or 0) and t.significant
        assert (t.rate_b or 0) > (t.rate_a or 0)
        # capability did not change between the runs: no significant paired difference
        cap = [t for t in result.paired if t.probe == "capability"]
        assert cap and all(t.test == "mcnemar-exact" and t.n == 40 for t in cap)
        speed = [t for t in result.paired if t.probe == "speed"]
        assert speed and speed[0].test == "wilcoxon-signed-rank"
        gap = next(d for d in result.deltas if d.name == "refusal_rate" and d.dims == {"arm": "sensitive"}
                   and d.label_a == "qwen-0.5b")
        assert gap.delta is not None and gap.delta > 0.1
        console = Console(record=True, width=200)
        print_compare(result, console)
        assert "mcnemar-exact" in console.export_text()
        with pytest.raises(UserError):
            compare_runs(j, "20261122-08", "20261122-08")
    finally:
        j.close()


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependency) as err:
        export_run(object(), "latest", "parquet", tmp_path / "x.parquet")
    assert "weightwatch[parquet]" in err.value.one_line()


def test_non_finite_numbers_do_not_break_the_page(built) -> None:  # type: ignore[no-untyped-def]
    summary = built.summary.model_copy(deep=True)
    for m in summary.metrics("capability"):
        m.value = float("nan")
        m.ci_low = float("inf")
    rows = [r.model_copy(deep=True) for r in built.rows[:50]]
    for r in rows:
        for sc in r.scores:
            sc.value = float("nan")
    html = render_html(summary, rows)
    data = re.search(r'<script type="application/json" id="ww-data">(.*?)</script>', html, re.S)
    assert data is not None and "NaN" not in data.group(1)
    json.loads(data.group(1))
    assert "NaN" not in "".join(re.findall(r"<svg.*?</svg>", html, re.S))
