"""A difference the sample cannot settle reads "not enough data to tell", never a bare number."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from weightwatch.report.summary import Cell, ScoreRow, comparison_text, settling_n, undecided, undecided_text
from weightwatch.report.terminal import _cell
from weightwatch.types import Headline, Metric


def _diff(value: float, lo: float, hi: float, p: float, n: int = 32) -> Metric:
    return Metric(probe="censorship", name="refusal_gap", value=value, n=n, ci_low=lo, ci_high=hi, unit="diff",
                  test="mcnemar-exact", p_value=p, compare=["A", "B"])


def test_wide_non_significant_difference_is_undecided() -> None:
    wide = _diff(0.062, -0.256, 0.364, 0.71)
    assert undecided(wide)
    text = comparison_text(wide)
    assert text.startswith("A vs B: not enough data to tell") and "-25.6%" in text and "+36.4%" in text
    assert "*" not in text and "+6.2%" not in text
    # and how much data would settle it: half-width 31 points must shrink to 10 + 6.2 -> n x (31/16.2)^2
    assert settling_n(wide) == 118 and text.endswith("n=32; about n=118 would settle it)")
    assert undecided_text(wide) == "not enough data to tell (needs n≈118, has 32)"


def test_settled_differences_keep_their_number() -> None:
    significant = _diff(0.30, 0.12, 0.48, 0.001)
    narrow_null = _diff(0.01, -0.04, 0.06, 0.6, n=800)  # "no difference larger than ~5 points" is a finding
    one_sided = _diff(0.15, -0.02, 0.32, 0.09)  # interval does not reach -10 points
    for m in (significant, narrow_null, one_sided):
        assert not undecided(m)
        assert "not enough data" not in comparison_text(m)
    assert comparison_text(significant).endswith("*") or "p=" in comparison_text(significant)


def test_scorecard_cell_says_it_too() -> None:
    row = ScoreRow(key="gap", label="gap", probe="censorship", dims={},
                   headline=Headline(key="gap", label="gap", names=("refusal_gap",)))
    row.cells["A"] = Cell(metric=_diff(0.062, -0.256, 0.364, 0.71))
    buf = io.StringIO()
    table = Table()
    table.add_column("A")
    table.add_row(_cell(row, "A", compact=False))
    Console(file=buf, width=120, color_system=None).print(table)
    assert "not enough data to tell" in buf.getvalue() and "has 32" in buf.getvalue()
    assert "needs n≈118" in buf.getvalue()


def test_html_scorecard_cell_says_it_too() -> None:
    from tests.report.fixtures import build_run
    from weightwatch.report.html import render_html
    from weightwatch.report.summary import scorecard

    built = build_run()
    rows = scorecard(built.summary)
    tested = [c.metric for r in rows for c in r.cells.values() if c.metric is not None and c.metric.test]
    assert tested  # the fixture has per-target metrics with their own test
    m = tested[0]
    m.value, m.ci_low, m.ci_high, m.p_value, m.p_adjusted, m.unit = 0.06, -0.25, 0.36, 0.7, None, "diff"
    assert undecided(m)
    html = render_html(built.summary, built.rows)
    assert "not enough data to tell" in html


def test_methods_name_the_paired_gap_test_and_its_power() -> None:
    from weightwatch.report.methods import mde_lines, row_methods

    gap = Metric(probe="censorship", name="censorship_gap", value=0.1875, n=32, ci_low=0.014, ci_high=0.344,
                 ci_method="newcombe-paired", unit="difference", target="A", compare=["sensitive", "control"],
                 test="exact McNemar (sensitive vs control, paired by template)", p_value=0.0703, mde=0.2386,
                 n_needed=54)
    row = ScoreRow(key="gap", label="Censorship gap", probe="censorship", dims={},
                   headline=Headline(key="gap", label="Censorship gap", names=("censorship_gap",)))
    row.cells["A"] = Cell(metric=gap)
    assert "exact McNemar test (each sensitive answer paired with its control from the same template)" in \
        row_methods(row)
    assert "Newcombe hybrid score interval for paired rates" in row_methods(row)
    assert mde_lines([row]) == [
        "Censorship gap, A: exact McNemar test (each sensitive answer paired with its control from the same "
        "template) at n=32: the smallest difference it could detect was 23.9 points (power 0.8, two-sided alpha "
        "0.05; the difference seen would need n≈54)."]
