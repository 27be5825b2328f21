"""The judges' measured calibration travels with every censorship result and shows in the HTML report."""

from __future__ import annotations

import json
import re
from importlib import resources

from weightwatch.probes.base import SummaryContext
from weightwatch.probes.censorship.probe import CensorshipProbe
from weightwatch.report.html import render_html
from weightwatch.types import RunSummary


def test_censorship_result_carries_the_shipped_calibration() -> None:
    shipped = json.loads(resources.files("weightwatch.judges").joinpath("data/calibration.json").read_text("utf-8"))
    res = CensorshipProbe().summarize({}, SummaryContext())
    acc = res.tables["calibration"]
    [overall] = [r for r in acc if r["judge"] == "rules" and r["language"] == "all"]
    cell = shipped["judges"]["rules"]["splits"]["all"]["overall"]["refused_agreement"]
    assert overall["n"] == shipped["set_size"]
    assert overall["refused vs not"].startswith(f"{cell['value']:.3f}") and f"({cell['k']}/{cell['n']})" in \
        overall["refused vs not"]
    assert {r["language"] for r in acc if r["judge"] == "rules"} == {"all", "en", "zh-Hans", "zh-Hant", "de"}
    # confusion rows: per hand label, the judge's labels add up to that label's count
    gold = shipped["judges"]["rules"]["splits"]["all"]["overall"]["gold_counts"]
    conf = [r for r in res.tables["judge_calibration"] if r["judge"] == "rules" and r["language"] == "all"]
    for row in conf:
        assert sum(v for k, v in row.items() if k.startswith("judge: ")) == gold[row["hand label"]]
    assert any("hand-labelled" in n for n in res.notes)


def test_html_methods_section_shows_the_calibration_once() -> None:
    res = CensorshipProbe().summarize({}, SummaryContext())
    summary = RunSummary(run_id="r1", created_at="2026-12-01T00:00:00+00:00", probes=["censorship"], results=[res])
    page = render_html(summary, [])
    methods = page.split('<section id="methods">', 1)[1].split("</section>", 1)[0]
    assert "censorship · calibration" in methods and "censorship · judge_calibration" in methods
    assert "refused vs not" in methods and "zh-Hant" in methods
    assert len(re.findall(r"refused vs not", page)) == 1  # not repeated in the per-probe tables
