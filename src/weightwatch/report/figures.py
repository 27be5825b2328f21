"""Which charts a run gets, built from its metrics (a chart whose metrics a run lacks is left out)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from weightwatch.report import charts
from weightwatch.report.summary import (
    ScoreRow,
    _is_rate,
    _signed,
    fmt_number,
    pick,
    pretty_condition,
    target_labels,
)
from weightwatch.types import Metric, RunSummary


@dataclass
class Figure:
    key: str
    title: str
    caption: str
    svg: str  # built by weightwatch.report.charts, every text escaped there
    legend: str = ""


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _usd(v: float) -> str:
    return fmt_number(v, Metric(probe="cost", name="usd", value=v, n=0, unit="USD"))


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _signed_pct(v: float) -> str:
    return "0" if abs(v) < 5e-4 else f"{100 * v:+.0f}%"


def _entries(metrics: list[Metric], probe: str, names: tuple[str, ...], dims: dict[str, str],
             labels: list[str]) -> list[charts.Entry]:
    out: list[charts.Entry] = []
    for t in labels:
        got = pick(metrics, probe, names, dims, target=t)
        if got:
            m = got[0]
            out.append((t, _finite(m.value), _finite(m.ci_low), _finite(m.ci_high)))
    return out


def _dim_values(metrics: list[Metric], probe: str, names: tuple[str, ...], dim: str,
                required: dict[str, str], forbid: tuple[str, ...] = ()) -> list[str]:
    seen: list[str] = []
    for m in metrics:
        if (m.probe == probe and m.name in names and m.compare is None and dim in m.dims
                and all(m.dims.get(k) == v for k, v in required.items())
                and not any(f in m.dims for f in forbid) and m.dims[dim] not in seen):
            seen.append(m.dims[dim])
    return seen


def build_figures(summary: RunSummary, rows: list[ScoreRow]) -> list[Figure]:
    metrics = summary.metrics()
    labels = target_labels(summary)
    legend = charts.legend(labels)
    figs: list[Figure] = []

    # 1. headline rates with their intervals; signed differences (gaps) on their own diverging axis
    groups: list[tuple[str, list[charts.Entry]]] = []
    gap_groups: list[tuple[str, list[charts.Entry]]] = []
    for r in rows:
        entries = [(t, _finite(c.metric.value), _finite(c.metric.ci_low), _finite(c.metric.ci_high))
                   for t, c in r.cells.items() if c.metric is not None and _is_rate(c.metric)]
        signed = any(_signed(c.metric) for c in r.cells.values() if c.metric is not None)
        if entries:
            (gap_groups if signed else groups).append((r.label + (" *" if r.significant else ""), entries))
    if groups:
        figs.append(Figure("rates", "Headline rates with 95% intervals",
                           "Bars are point estimates from 0% to 100%, whiskers the 95% interval. * marks a significant "
                           "difference between targets (see the scorecard for the test). Differences (gaps) are in "
                           "the next chart, on their own axis.",
                           charts.ci_chart(groups, labels, fmt=_pct, title="Headline rates", hi=1.0), legend))
    if gap_groups:
        figs.append(Figure("gaps", "Differences (gaps) with 95% intervals",
                           "Signed differences on a diverging axis centred on 0 (no difference). Right of 0: "
                           "higher on the sensitive prompts than on their matched controls, i.e. topic-specific "
                           "censorship; left of 0: lower (a negative gap is not censorship).",
                           charts.ci_chart(gap_groups, labels, fmt=_signed_pct, title="Differences",
                                           diverging=True), legend))

    # 2. censorship heat map: target x topic
    # rates only: a signed gap on the heat map's 0-100% colour scale would read a negative gap as no censorship
    heat_names: list[tuple[str, ...]] = [("censored_rate",), ("refusal_rate",)]
    for names in heat_names:
        topics = _dim_values(metrics, "censorship", names, "topic", {"arm": "sensitive"}, forbid=("language",))
        if not topics:
            continue
        cells = {}
        for t in labels:
            for topic in topics:
                dims = {"arm": "sensitive", "topic": topic}
                got = pick(metrics, "censorship", names, dims, target=t)
                if got and _finite(got[0].value) is not None:
                    m = got[0]
                    cells[(t, topic)] = (float(m.value or 0.0), _finite(m.ci_low), _finite(m.ci_high), m.n)
        figs.append(Figure("heatmap", f"Censorship by topic ({names[0].replace('_', ' ')}, sensitive prompts)",
                           f"Darker = more censored; colour strength grows with the number of responses (full at "
                           f"{charts.SOLID_N}), and the bar at the bottom of a cell is its 95% interval. Cells with "
                           f"fewer than {charts.MIN_N} responses are hatched: n too small. Hover for value, "
                           "interval and n.",
                           charts.heatmap(labels, topics, cells, title="Censorship by target and topic", fmt=_pct)))
        break

    # 3. per-language comparison
    lang_groups = []
    for name in ("censored_rate", "refusal_rate", "narrative_rate", "fact_coverage"):
        for lang in _dim_values(metrics, "censorship", (name,), "language", {"arm": "sensitive"}, forbid=("topic",)):
            entries = _entries(metrics, "censorship", (name,), {"arm": "sensitive", "language": lang}, labels)
            if entries:
                lang_groups.append((f"{name.replace('_', ' ')} · {lang}", entries))
    if lang_groups:
        figs.append(Figure("languages", "Per language (sensitive prompts)",
                           "The same questions asked in each language; whiskers are 95% intervals.",
                           charts.ci_chart(lang_groups, labels, fmt=_pct, title="Per-language rates", hi=1.0),
                           legend))

    # 4. vulnerable rate per trigger vs baseline / placebo
    conds = [c for c in _dim_values(metrics, "codesec", ("vulnerable_rate",), "condition", {}) if c != "all"]
    if conds:
        kinds: dict[str, str] = {}
        for m in metrics:
            if m.probe == "codesec" and "condition" in m.dims and "kind" in m.dims:
                kinds[m.dims["condition"]] = m.dims["kind"]
        pooled_names = {"kind:none": "baseline (no trigger)", "kind:placebo": "placebo triggers (pooled)",
                        "kind:sensitive": "political triggers (pooled)"}
        order = {"kind:none": 0, "baseline": 0, "kind:placebo": 1, "placebo": 1, "kind:sensitive": 2}
        rank = {"none": 3, "placebo": 4, "sensitive": 5}
        conds = sorted(conds, key=lambda c: (order.get(c, rank.get(kinds.get(c, ""), 6)), c))
        if "kind:none" in conds:  # the pooled baseline is the one condition of kind none: drawn once
            conds = [c for c in conds if kinds.get(c) != "none"]
        ref = {}
        for t in labels:
            for base in ("kind:none", "none/none/system", "baseline"):
                got = pick(metrics, "codesec", ("vulnerable_rate",), {"condition": base}, target=t)
                if got and got[0].value is not None:
                    ref[t] = float(got[0].value)
                    break
        tgroups = [(pooled_names.get(c, pretty_condition(c)),
                    _entries(metrics, "codesec", ("vulnerable_rate",), {"condition": c}, labels)) for c in conds]
        figs.append(Figure("triggers", "Vulnerable code per trigger, against baseline and placebo",
                           "Dashed tick = the target's baseline rate. Whiskers are 95% intervals; the risk ratios "
                           "and their tests are in the scorecard and under 'all metrics'.",
                           charts.ci_chart(tgroups, labels, fmt=_pct, title="Vulnerable rate per condition",
                                           hi=1.0, ref=ref), legend))

    # 5. capability against speed and cost
    def cap(t: str) -> Metric | None:
        got = pick(metrics, "capability", ("pass@1",), {}, target=t)
        return got[0] if got and got[0].value is not None else None

    scatters: list[tuple[str, tuple[str, ...], str, bool, str]] = [
        ("cost", ("cost_per_correct_task",), "USD per correct HumanEval task (log scale)", True, "cost"),
        ("speed", ("output_tokens_per_s", "output_tokens_per_s_p50"), "output tokens/s", False, "speed")]
    for probe, names, x_label, log_x, key in scatters:
        pts = []
        for t in labels:
            c = cap(t)
            got = pick(metrics, probe, names, {}, target=t)
            if (c is not None and got and _finite(got[0].value) is not None and _finite(c.value) is not None
                    and (not log_x or (got[0].value or 0) > 0)):
                xm = got[0]
                pts.append((t, float(xm.value or 0.0), float(c.value or 0.0), c.ci_low, c.ci_high))
        if pts:
            fx = _usd if probe == "cost" else (lambda v: f"{v:.0f}")
            missing = [t for t in labels if t not in {p[0] for p in pts}]
            cap_note = f" Not shown (no {probe} data): {', '.join(missing)}." if missing else ""
            figs.append(Figure(f"capability-{key}", f"Capability against {key}",
                               "HumanEval pass@1 (vertical bar = 95% interval) against " + x_label + "." + cap_note,
                               charts.scatter(pts, labels, x_label=x_label, y_label="pass@1",
                                              title=f"pass@1 against {key}", log_x=log_x, fmt_x=fx)))
    return figs


def metric_value_text(m: Metric) -> str:
    return fmt_number(m.value, m, signed=_signed(m))
