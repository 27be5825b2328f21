"""The methods section states what THIS run did (its tests, corrections, sizes, minimum detectable effects),
charts cannot be misread (gaps on their own diverging axis, heat-map cells tied to n, no zero-width
intervals), and the HTML adoption section credits with the user's [origins]."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

from tests.report.fixtures import build_run, write_journal
from weightwatch.report import charts
from weightwatch.report.figures import build_figures
from weightwatch.report.html import render_html, write_html
from weightwatch.report.methods import mde_lines
from weightwatch.report.summary import fmt_ci, scorecard
from weightwatch.stats.mde import mde_paired, mde_two_proportions, n_pairs
from weightwatch.stats.power import n_per_arm
from weightwatch.types import Metric


def _methods_table(html: str) -> dict[str, str]:
    body = html[html.index('id="methods-rows"'):]
    body = body[:body.index("</table>")]
    out = {}
    for key, cells in re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', body, re.S):
        out[key] = html_lib.unescape(re.sub(r"<[^>]+>", " | ", cells))
    return out


def test_methods_text_names_the_tests_this_run_used() -> None:
    built = build_run()
    html = render_html(built.summary, built.rows)
    rows = _methods_table(html)
    # HumanEval compared paired tasks with exact McNemar (what the probe recorded), not Fisher's
    assert "exact McNemar test (paired items) on 3 pair(s)" in rows["pass_at_1"]
    assert "Fisher" not in rows["pass_at_1"]
    # the censorship refusal comparison used Fisher's exact test, Holm-adjusted over its 3 pairs
    assert "Fisher's exact test on 3 pair(s), Holm-adjusted (3 of 3 p-values)" in rows["censored_rate"]
    # a row whose metrics carry no test between targets says so instead of naming one
    assert "no test in this run" in rows["narrative_rate"]
    assert "Wilson score interval (n=267–269 per target)" in rows["censored_rate"]
    # change the run's test: the text follows
    for m in built.summary.metrics("capability"):
        if m.compare:
            m.test = "wilcoxon-signed-rank"
    rows2 = _methods_table(render_html(built.summary, built.rows))
    assert "Wilcoxon signed-rank test (paired)" in rows2["pass_at_1"] and "McNemar" not in rows2["pass_at_1"]
    # the run's size, extra samples and the scorers that produced the verdicts
    assert "Size quick; 2 extra sample(s) per item beside the greedy pass; seed 0; 3 target(s)" in html
    assert "Verdicts by censorship: censorship.judge v1 (1620 verdicts)" in html
    # the judge's measured accuracy, from the calibration table the probe published with the run
    assert ("censorship judge accuracy measured on hand-labelled answers: en: accuracy 0.93 (n=120) | zh-Hans: "
            "accuracy 0.88 (n=80)") in html_lib.unescape(html)
    # the sandbox isolation the run recorded is part of the methods
    built.summary.isolation = "network namespace, unprivileged user, rlimits"
    html3 = render_html(built.summary, built.rows)
    run_part = html3[html3.index('id="methods-run"'):]
    assert "Model-written code ran isolated: network namespace, unprivileged user, rlimits." in run_part


def test_minimum_detectable_effects_replace_observed_power() -> None:
    built = build_run()
    rows = {r.key: r for r in scorecard(built.summary)}
    lines = mde_lines(list(rows.values()))
    pass1 = next(x for x in lines if x.startswith("HumanEval pass@1"))
    assert "paired items (exact McNemar)" in pass1 and "n=40 per target" in pass1
    refused = next(x for x in lines if x.startswith("Refused or deflected"))
    assert "two independent proportions" in refused and "n=267 per target" in refused
    html = render_html(built.summary, built.rows)
    assert "had power" not in html and "Sample size and minimum detectable effects" in html
    # the MDE is the difference n_per_arm says this n can detect (19% at 414 per arm: 27.2%, field notes)
    d = mde_two_proportions(0.19, 414)
    assert d is not None and abs(0.19 + d - 0.272) < 0.002 and n_per_arm(0.19, 0.19 + d) == 414
    assert mde_two_proportions(0.19, 100) > d  # type: ignore[operator]  # fewer responses, larger MDE
    # paired (Connor): more discordance or fewer pairs -> a larger detectable difference
    small, big = mde_paired(0.2, 164), mde_paired(0.4, 164)
    assert small is not None and big is not None and small < big
    assert mde_paired(0.2, 40) > small  # type: ignore[operator]
    assert mde_paired(0.0, 100) is None
    # the pairs needed for the MDE found at n pairs are n (Connor's formula both ways)
    d40 = mde_paired(0.3, 40)
    assert d40 is not None and n_pairs(0.3, d40) == 40
    # an unresolved paired difference is priced in paired items, not in independent responses
    from weightwatch.report.summary import power_notes
    note = next(x for x in power_notes(built.summary) if x.startswith("HumanEval pass@1"))
    assert "(paired items, power 0.8" in note and note.endswith("paired items.")


def test_degenerate_interval_is_never_shown_as_an_interval() -> None:
    m = Metric(probe="censorship", name="fact_coverage", value=0.0, n=807, ci_low=0.0, ci_high=0.0,
               ci_method="cluster-bootstrap", unit="share")
    assert fmt_ci(m) == "(no interval: the resampled values did not vary, n=807)"
    assert "[0.0%, 0.0%]" not in fmt_ci(m)
    svg = charts.ci_chart([("fact coverage", [("t", 0.0, 0.0, 0.0)])], ["t"], fmt=lambda v: f"{100 * v:.1f}%",
                          title="x", hi=1.0)
    assert "[0.0%, 0.0%]" not in svg and "no interval: no spread" in svg


def test_gaps_get_their_own_diverging_axis() -> None:
    built = build_run()
    for m in built.summary.metrics("censorship"):       # one target with a negative gap
        if m.name == "censorship_gap" and m.target == "smollm2-135m":
            m.value, m.ci_low, m.ci_high = -0.438, -0.52, -0.35
    figs = {f.key: f for f in build_figures(built.summary, scorecard(built.summary))}
    rates, gaps = figs["rates"].svg, figs["gaps"].svg
    assert "Censorship gap" not in rates and "Censorship gap" in gaps
    assert 'data-axis-min="0"' in rates and 'data-axis-max="1"' in rates
    lo = float(re.search(r'data-axis-min="([^"]+)"', gaps).group(1))  # type: ignore[union-attr]
    hi = float(re.search(r'data-axis-max="([^"]+)"', gaps).group(1))  # type: ignore[union-attr]
    assert lo == -hi and lo < -0.438 and 'class="zero"' in gaps and ">0</text>" in gaps


def test_heatmap_cells_tied_to_n_and_hatched_below_the_minimum() -> None:
    cells = {("a", "t1"): (0.5, 0.3, 0.7, 8), ("a", "t2"): (0.5, 0.45, 0.55, 400), ("a", "t3"): (0.5, 0.35, 0.65, 40)}
    svg = charts.heatmap(["a"], ["t1", "t2", "t3"], cells, title="h", fmt=lambda v: f"{100 * v:.0f}%")
    assert svg.count('class="cell small-n"') == 1 and svg.count("n too small") == 1
    assert re.search(r'class="cell small-n" data-n="8"[^>]*fill="url\(#hatch-', svg)
    op = dict(re.findall(r'class="cell" data-n="(\d+)"[^>]*fill-opacity="([\d.]+)"', svg))
    assert float(op["400"]) == 1.0 and float(op["40"]) < 1.0
    widths = [float(b) - float(a) for a, b in re.findall(r'class="ci" x1="([\d.]+)"[^>]*x2="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[0] < widths[1]                       # n=400 narrower than n=40
    assert charts.cell_opacity(charts.MIN_N) == 0.35 and charts.cell_opacity(10_000) == 1.0


def test_html_adoption_section_uses_origins_from_weightwatch_toml(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ecosystem.hubserver import FakeHub, load_items
    from weightwatch.ecosystem.hub import take_snapshot
    from weightwatch.ecosystem.store import SnapshotStore

    home = tmp_path / "home"
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(home))
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.delenv("WEIGHTWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    with FakeHub(load_items("hand_models.json"), page_size=4) as server, SnapshotStore() as store:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        take_snapshot(store, page_size=4, token=False)
    journal = write_journal(build_run(samples=1), home / "journal.sqlite")
    try:
        before = write_html(journal, "latest", tmp_path / "before.html").read_text("utf-8")
        (tmp_path / "weightwatch.toml").write_text('[origins]\nsome-user = "DE"\n', encoding="utf-8")
        after = write_html(journal, "latest", tmp_path / "after.html").read_text("utf-8")
    finally:
        journal.close()
    section = after[after.index('id="adoption"'):]
    assert "Germany" in section and "Germany" not in before[before.index('id="adoption"'):]
