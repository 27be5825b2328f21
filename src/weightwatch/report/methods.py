"""The methods section, generated from what the run actually did (never fixed wording).

For every headline row: the interval methods and the tests its metrics carry (the exact names the
probe recorded: e.g. exact McNemar for paired HumanEval tasks, Fisher's exact between independent
arms), whether p-values were adjusted for multiple comparisons, and the sizes behind them. For the run:
size, extra samples, the scorers (judges, scanners) and versions that produced the verdicts, sandbox
isolation when recorded, and the minimum detectable effect of each headline comparison at the run's
size (instead of observed power).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from weightwatch.report.readable import readable_version
from weightwatch.report.summary import ScoreRow, _is_rate, _signed, row_design, row_mde
from weightwatch.types import Metric, RunSummary, ScoredSample

TEST_NAMES = {
    "fisher-exact": "Fisher's exact test",
    "mcnemar-exact": "exact McNemar test (paired items)",
    "mcnemar": "McNemar test (paired items)",
    "mann-whitney-u": "Mann-Whitney U test",
    "wilcoxon-signed-rank": "Wilcoxon signed-rank test (paired)",
    "two-proportion-z": "two-proportion z test",
    "chi-square": "chi-square test",
    "permutation": "permutation test",
    "exact McNemar (sensitive vs control, paired by template)":
        "exact McNemar test (each sensitive answer paired with its control from the same template)",
    "fisher-exact (unpaired: the answers do not pair up)":
        "Fisher's exact test (unpaired: the sensitive and control answers did not pair up)",
}
CI_NAMES = {
    "wilson": "Wilson score interval",
    "newcombe": "Newcombe hybrid score interval (difference of two rates)",
    "newcombe-paired": "Newcombe hybrid score interval for paired rates (1998, method 10)",
    "risk ratio (Katz log)": "Katz log interval (risk ratio)",
    "cluster-bootstrap": "cluster bootstrap (percentile)",
    "paired cluster-bootstrap over tasks": "paired cluster bootstrap over tasks",
    "order-statistic": "order-statistic interval for the median",
}


def test_name(test: str) -> str:
    return TEST_NAMES.get(test, test)


def ci_name(method: str) -> str:
    return CI_NAMES.get(method, method)


def _correction(metrics: Iterable[Metric]) -> str | None:
    ms = [m for m in metrics if m.p_value is not None]
    adjusted = [m for m in ms if m.p_adjusted is not None]
    if not adjusted:
        return None
    names = {str(getattr(m, "correction", None) or "Holm") for m in adjusted}
    return f"{', '.join(sorted(names))}-adjusted ({len(adjusted)} of {len(ms)} p-values)"


def _n_range(ms: list[Metric]) -> str:
    ns = sorted({m.n for m in ms})
    if not ns:
        return ""
    return f"n={ns[0]}" if len(ns) == 1 else f"n={ns[0]}–{ns[-1]}"


def row_methods(row: ScoreRow) -> str:
    """What the row's numbers rest on in this run: intervals, own tests, between-target tests."""
    cells = row.metrics()
    secondary = [c.secondary for c in row.cells.values() if c.secondary is not None]
    parts: list[str] = []
    cis = sorted({m.ci_method for m in cells if m.ci_method})
    if cis:
        parts.append("interval: " + ", ".join(ci_name(c) for c in cis) + f" ({_n_range(cells)} per target)")
    elif cells:
        parts.append(f"no interval ({_n_range(cells)} per target)")
    own = sorted({m.test for m in cells + secondary if m.test})
    if own:
        corr = _correction(cells + secondary)
        parts.append("against its own reference: " + ", ".join(test_name(t) for t in own)
                     + (f", {corr}" if corr else ""))
    between = sorted({m.test for m in row.comparisons if m.test})
    if between:
        corr = _correction(row.comparisons)
        parts.append(f"between targets: {', '.join(test_name(t) for t in between)} on {len(row.comparisons)} "
                     f"pair(s)" + (f", {corr}" if corr else ", unadjusted"))
    elif len(cells) > 1:
        parts.append("between targets: no test in this run (compare the intervals only)")
    return "; ".join(parts) + "."


def mde_lines(rows: list[ScoreRow]) -> list[str]:
    """Per headline rate row with at least two targets: the minimum detectable difference at this run's
    size, for the design the row's comparison uses; per target, the power a probe recorded on its own
    comparison (Metric.mde, e.g. the censorship gap's paired design)."""
    out: list[str] = []
    for row in rows:
        for label, cell in row.cells.items():  # a target's own comparison that recorded its design's power
            m = cell.metric
            if m is None or not m.test or (m.mde is None and m.n_needed is None):
                continue
            can = (f"the smallest difference it could detect was {100 * m.mde:.1f} points (power 0.8, two-sided "
                   "alpha 0.05" if m.mde is not None else "no difference reached power 0.8 (two-sided alpha 0.05")
            out.append(f"{row.label}, {label}: {test_name(m.test)} at n={m.n}: {can}"
                       + (f"; the difference seen would need n≈{m.n_needed}" if m.n_needed else "") + ").")
        rates = [c.metric for c in row.cells.values() if c.metric is not None and c.metric.value is not None
                 and _is_rate(c.metric) and not _signed(c.metric) and 0 <= c.metric.value <= 1]
        if len(rates) < 2:
            continue
        worst: tuple[float, Metric, Metric] | None = None
        for i in range(len(rates)):
            for j in range(i + 1, len(rates)):
                d = row_mde(row, rates[i], rates[j])
                if d is not None and (worst is None or d > worst[0]):
                    worst = (d, rates[i], rates[j])
        design = ("paired items (exact McNemar)" if row_design(row) == "paired"
                  else "two independent proportions")
        n = min(m.n for m in rates)
        if worst is None:
            out.append(f"{row.label}: n={n} per target is too small to detect any difference ({design}).")
            continue
        out.append(f"{row.label}: differences of {100 * worst[0]:.1f} points or more between two targets were "
                   f"detectable at this run's size (n={n} per target, {design}, power 0.8, two-sided alpha "
                   f"0.05, before any adjustment for many comparisons); smaller differences may exist unseen.")
    return out


def scorer_lines(scored: Iterable[ScoredSample]) -> list[str]:
    """Which scorers (judges, scanners, tests) produced the verdicts, per probe, with their versions."""
    seen: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for ss in scored:
        for sc in ss.scores:
            seen[ss.sample.key.probe][(sc.scorer, sc.scorer_version)] += 1
    out = []
    for probe in sorted(seen):
        items = ", ".join(f"{name} {readable_version(ver)} ({n} verdicts)"
                          for (name, ver), n in sorted(seen[probe].items()))
        out.append(f"{probe}: {items}")
    return out


def run_lines(summary: RunSummary) -> list[str]:
    """Size, samples, seed, targets; sandbox isolation when the run recorded it."""
    lines = [f"Size {summary.size}; {summary.samples} extra sample(s) per item beside the greedy pass; seed "
             f"{summary.seed}; {len(summary.targets)} target(s); probes: {', '.join(summary.probes) or 'none'}."]
    if summary.isolation:
        lines.append(("Model-written code ran WITHOUT a sandbox (--allow-unsandboxed-code): "
                      if summary.unsandboxed_code else "Model-written code ran isolated: ") + summary.isolation
                     + ("" if summary.isolation.endswith(".") else "."))
    for r in summary.results:
        for note in r.notes:
            if "sandbox" in note.lower():
                lines.append(f"{r.probe}: {note}.")
    return lines


SCANNER_NOTE = "Scanner calibration"  # how a probe's note on its scanners' measured recall begins


def judge_lines(summary: RunSummary) -> list[str]:
    """The judges' measured accuracy, from the calibration table a probe published with this run (overall
    rows when there are, else one figure per language), so the methods name how far a verdict can be
    trusted; the full tables (agreement, confusion) follow once under 'Judge calibration'."""
    out: list[str] = []
    for r in summary.results:
        rows = r.tables.get("calibration")
        if not isinstance(rows, list) or not all(isinstance(x, dict) for x in rows):
            continue
        overall = [x for x in rows if x.get("language") == "all"] or rows
        parts = []
        for x in overall:
            who = " ".join(str(x[k]) for k in ("judge", "language") if x.get(k) and x.get(k) != "all")
            # accuracy only: the other agreement figures are in the calibration tables right below
            figures = "; ".join(f"{k} {v}" for k, v in x.items() if "accuracy" in k and v not in (None, ""))
            n = f" (n={x['n']})" if x.get("n") is not None else ""
            parts.append(f"{who or 'overall'}: {figures}{n}")
        if parts:
            out.append(f"{r.probe} judge accuracy measured on hand-labelled answers: " + " | ".join(parts) + ".")
    for r in summary.results:  # the scanners' recall on hand-labelled answers (codesec)
        out.extend(f"{r.probe}: {n}" for n in r.notes if n.startswith(SCANNER_NOTE))
    return out
