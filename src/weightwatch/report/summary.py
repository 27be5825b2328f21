"""Helpers over the one summary model (weightwatch.types.RunSummary) shared by every report format.

- `scorecard(summary)`: the headline rows the probes declared (see headlines.py), one cell per target, with the
  between-target comparisons that carry the significance marker.
- `fmt_*`: how a metric's value, interval and test read in the table, the JSON and the HTML.
- `drill_rows(scored)`: one flat dict per response for the drill-down and the exports.
- `power_notes(summary)`: where a sample is too small to support the difference seen (with the
  minimum detectable effect at the run's size, never observed power).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from weightwatch.report.headlines import declared
from weightwatch.report.readable import readable_version
from weightwatch.stats.mde import discordance_if_independent, mde_paired, mde_two_proportions, n_pairs
from weightwatch.stats.power import n_per_arm
from weightwatch.types import Headline, Metric, RunSummary, ScoredSample

MAX_TEXT = 8000  # characters of prompt / response kept per row in the HTML drill-down (exports keep all)


# -- formatting -------------------------------------------------------------------------------------
def _is_rate(m: Metric) -> bool:
    return (m.unit or "").lower() in ("rate", "proportion", "diff", "difference", "share", "fraction", "pp")


def _signed(m: Metric) -> bool:
    return (m.unit or "").lower() in ("diff", "difference", "pp") or any(
        w in m.name for w in ("gap", "difference", "delta"))


def fmt_number(value: float | None, m: Metric, *, signed: bool | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = (m.unit or "").lower()
    sign = _signed(m) if signed is None else signed
    if _is_rate(m):
        s = f"{100 * value:+.1f}%" if sign else f"{100 * value:.1f}%"
        return s.replace("+0.0%", "0.0%")
    if unit in ("ratio", "x") or "ratio" in m.name:
        return f"{value:.2f}×"
    if unit == "usd":
        if value == 0:
            return "$0"
        if abs(value) >= 1:
            return f"${value:,.2f}"
        digits = max(2, 2 - int(math.floor(math.log10(abs(value)))))
        return "$" + f"{value:.{digits}f}".rstrip("0")
    if unit in ("s", "seconds"):
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    if unit in ("tokens/s", "tok/s"):
        return f"{value:.1f} tok/s"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {m.unit}" if m.unit and unit not in ("count",) else text


def fmt_value(m: Metric | None) -> str:
    return "–" if m is None else fmt_number(m.value, m)


def degenerate_interval(m: Metric | None) -> bool:
    """A zero-width interval (a bootstrap whose resampled clusters all had the same value: all 0%, or
    every item's difference +50%): it is not a 95% interval, so it is never shown as one. Rates and
    differences of rates get a closed-form interval from their probe instead (stats.bootstrap.no_spread);
    what is left here is e.g. a mean of scores that were all equal."""
    return m is not None and m.ci_low is not None and m.ci_low == m.ci_high and m.n > 0


def fmt_ci(m: Metric | None) -> str:
    if m is None or m.ci_low is None or m.ci_high is None:
        return ""
    if degenerate_interval(m):
        return f"(no interval: the resampled values did not vary, n={m.n})"
    if (m.unit or "").lower() in ("tokens/s", "tok/s"):
        return f"[{m.ci_low:.1f}, {m.ci_high:.1f}]"
    lo, hi = fmt_number(m.ci_low, m), fmt_number(m.ci_high, m)
    return f"[{lo}, {hi}]"


def fmt_p(p: float | None) -> str:
    if p is None:
        return ""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def marker(m: Metric) -> str:
    """'*' when the comparison is significant at 0.05 (after adjustment when the probe adjusted)."""
    return "*" if m.significant else ""


def pretty_condition(value: str) -> str:
    """'ics/tibet/user' -> 'tibet, context ics, in the user prompt' (codesec's condition ids)."""
    parts = value.split("/")
    if len(parts) != 3:
        return value.removeprefix("kind:")
    context, group, placement = parts
    text = group if group != "none" else "no group"
    if context != "none":
        text += f", context {context}"
    if placement == "user":
        text += ", in the user prompt"
    return text


def dims_text(dims: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(dims.items()))


UNDECIDED_POINTS = 0.10  # a difference in rates whose interval reaches this far both ways settles nothing


def undecided(m: Metric) -> bool:
    """A difference in rates the sample cannot settle: no significant test, and either its 95% interval
    still holds differences of more than 10 points in both directions (neither "A differs from B" nor
    "they do not differ" is supported) or the probe recorded why its test could not reach p < 0.05 at
    all (`cannot_tell`, e.g. too few discordant pairs for exact McNemar). Such a comparison reads "not
    enough data to tell"."""
    if m.significant or not _is_rate(m):
        return False
    if m.cannot_tell and m.p_value is not None:
        return True
    if m.ci_low is None or m.ci_high is None:
        return False
    return m.ci_low < -UNDECIDED_POINTS and m.ci_high > UNDECIDED_POINTS


def settling_n(m: Metric) -> int | None:
    """About how many observations (in the unit of `m.n`) would settle an `undecided` difference: the
    interval narrows with 1/sqrt(n), and it settles once its half-width is at most UNDECIDED_POINTS plus
    the difference seen (one end then lies within 10 points of 0, or the interval excludes 0)."""
    if m.ci_low is None or m.ci_high is None or m.value is None or m.n <= 0:
        return None
    half = (m.ci_high - m.ci_low) / 2
    goal = UNDECIDED_POINTS + abs(m.value)
    return max(m.n + 1, math.ceil(m.n * (half / goal) ** 2))


def undecided_text(m: Metric) -> str:
    """'not enough data to tell (needs n≈117, has 32)' for an `undecided` metric. When the probe recorded its
    design's power (a minimum detectable effect, the n the difference seen would need, the reason its test
    could not reach significance), those are said instead: 'not enough data to tell (cannot detect an effect
    smaller than 27.5 points; needs n≈90, has 32)'."""
    parts: list[str] = []
    if m.cannot_tell:
        parts.append(m.cannot_tell)
    if m.mde is not None:
        parts.append(f"cannot detect an effect smaller than {100 * m.mde:.1f} points" if _is_rate(m)
                     else f"cannot detect an effect smaller than {m.mde:.3g}")
    elif m.n_needed is not None:  # a design was recorded and detects nothing at this n
        parts.append("no effect reaches power 0.8 at this n")
    need = m.n_needed if m.n_needed is not None else settling_n(m)
    if need:
        parts.append(f"needs n≈{need}, has {m.n}")
    return "not enough data to tell" + (f" ({'; '.join(parts)})" if parts else "")


def comparison_text(m: Metric) -> str:
    """'A vs B: +12.0% [3.1%, 20.2%], p=0.004 (fisher-exact) *', or for a comparison the sample cannot
    settle (`undecided`): 'A vs B: not enough data to tell (95% interval -25.6% to +36.4%, n=64)'."""
    pair = " vs ".join(m.compare or [])
    if undecided(m):
        lo = m.model_copy(update={"value": m.ci_low})
        hi = m.model_copy(update={"value": m.ci_high})
        need = settling_n(m)
        return (f"{pair}: not enough data to tell (95% interval {fmt_number(lo.value, lo)} to "
                f"{fmt_number(hi.value, hi)}, n={m.n}" + (f"; about n={need} would settle it)" if need else ")"))
    parts = [f"{pair}: {fmt_number(m.value, m)}"]
    ci = fmt_ci(m)
    if ci:
        parts.append(" " + ci)
    p = m.p_adjusted if m.p_adjusted is not None else m.p_value
    if p is not None:
        adj = " adj." if m.p_adjusted is not None else ""
        parts.append(f", {fmt_p(p)}{adj}")
    if m.test:
        parts.append(f" ({m.test})")
    mk = marker(m)
    if mk:
        parts.append(" " + mk)
    return "".join(parts)


# -- metric selection -----------------------------------------------------------------------------
def _dims_match(m: Metric, dims: dict[str, str]) -> bool:
    return all(m.dims.get(k) == v for k, v in dims.items())


def pick(metrics: Iterable[Metric], probe: str, names: Iterable[str], dims: dict[str, str],
         target: str | None = None, compare: bool = False) -> list[Metric]:
    """Metrics of `probe` named by the first name that matches, carrying `dims`, with the fewest extra
    dims (the aggregate). Per-target when `compare` is False (this includes a target's own comparisons
    between conditions, which carry `target`), else the cross-target comparisons: target None,
    `compare` = [A, B] (one per compared pair)."""
    pool = [m for m in metrics if m.probe == probe and _dims_match(m, dims)
            and ((m.compare is not None and m.target is None) if compare else m.target == target)]
    for name in names:
        hits = [m for m in pool if m.name == name]
        if not hits:
            continue
        if not compare:
            return [min(hits, key=lambda m: len(m.dims))]
        best: dict[tuple[str, ...], Metric] = {}
        for m in hits:
            pair = tuple(m.compare or [])
            if pair not in best or len(m.dims) < len(best[pair].dims):
                best[pair] = m
        return list(best.values())
    return []


@dataclass
class Cell:
    metric: Metric | None = None
    secondary: Metric | None = None


@dataclass
class ScoreRow:
    key: str
    label: str
    probe: str
    headline: Headline
    dims: dict[str, str]
    cells: dict[str, Cell] = field(default_factory=dict)  # by target label
    comparisons: list[Metric] = field(default_factory=list)

    @property
    def significant(self) -> bool:
        return any(c.significant for c in self.comparisons)

    def metrics(self) -> list[Metric]:
        return [c.metric for c in self.cells.values() if c.metric is not None]


def _expand_values(metrics: list[Metric], probe: str, h: Headline) -> list[str]:
    assert h.expand is not None
    seen: list[str] = []
    want = {**h.dims, **h.expand_where}
    for m in metrics:
        if (m.probe == probe and m.name in h.names and m.target is not None and _dims_match(m, want)
                and h.expand in m.dims):
            v = m.dims[h.expand]
            if v not in seen and v not in h.expand_skip:
                seen.append(v)
    return seen if len(seen) <= h.expand_max else []


def _variants(metrics: list[Metric], probe: str, h: Headline) -> list[tuple[str, dict[str, str]]]:
    if h.expand:
        return [(h.label.format(value=pretty_condition(v)), {**h.dims, h.expand: v})
                for v in _expand_values(metrics, probe, h)]
    for dims in (h.dims, *h.alt_dims):
        if any(m.probe == probe and m.name in h.names and m.target is not None and _dims_match(m, dims)
               for m in metrics):
            return [(h.label, dict(dims))]
    return []


_UNITS = {"rate": "rate", "diff": "diff", "ratio": "ratio", "usd": "USD", "seconds": "s", "tokens/s": "tokens/s"}


def _as_declared(m: Metric, h: Headline) -> Metric:
    """The metric with the row's declared format and direction where the metric itself carries none."""
    update: dict[str, object] = {}
    if m.unit is None and h.format in _UNITS:
        update["unit"] = _UNITS[h.format]
    if m.higher_is_better is None and h.higher_is_better is not None:
        update["higher_is_better"] = h.higher_is_better
    return m.model_copy(update=update) if update else m


def scorecard(summary: RunSummary) -> list[ScoreRow]:
    metrics = summary.metrics()
    labels = [t.label for t in summary.targets] or sorted({m.target for m in metrics if m.target})
    rows: list[ScoreRow] = []
    for probe, h in declared(summary):
        for label, dims in _variants(metrics, probe, h):
            row = ScoreRow(key=h.key if not h.expand else f"{h.key}:{dims[h.expand]}", label=label,
                           probe=probe, headline=h, dims=dims)
            for t in labels:
                found = pick(metrics, probe, h.names, dims, target=t)
                sec = (pick(metrics, probe, h.secondary, {**dims, **h.secondary_dims}, target=t)
                       or pick(metrics, probe, h.secondary, dims, target=t)) if h.secondary else []
                row.cells[t] = Cell(_as_declared(found[0], h) if found else None, sec[0] if sec else None)
            if not any(c.metric for c in row.cells.values()):
                continue
            for cdims in (dims, *([] if h.expand else h.alt_dims)):
                row.comparisons = pick(metrics, probe, (*h.names, *h.compare_names), cdims, compare=True)
                if row.comparisons:
                    break
            rows.append(row)
    return rows


def target_labels(summary: RunSummary) -> list[str]:
    labels = [t.label for t in summary.targets]
    for m in summary.metrics():
        if m.target and m.target not in labels:
            labels.append(m.target)
    return labels


# -- sample size ----------------------------------------------------------------------------------
PAIRED_TESTS = ("mcnemar-exact", "mcnemar", "wilcoxon-signed-rank", "paired-cluster-bootstrap")


def is_paired_test(test: str) -> bool:
    """A test on matched observations: the names above, or a probe's own wording of one ('exact McNemar
    (paired by item)', 'sign-flip permutation over items'); 'unpaired' never counts."""
    t = test.lower()
    if t in PAIRED_TESTS:
        return True
    return "unpaired" not in t and any(w in t for w in ("mcnemar", "paired", "sign-flip", "wilcoxon"))


def row_design(row: ScoreRow) -> str:
    """'paired' when the row's between-target test pairs items (McNemar), else 'two-proportion'."""
    tests = {c.test for c in row.comparisons if c.test}
    return "paired" if tests and all(is_paired_test(t) for t in tests) else "two-proportion"


def row_mde(row: ScoreRow, a: Metric, b: Metric) -> float | None:
    """The smallest difference between targets a and b this run's size could detect for the row's
    design (power 0.8, two-sided alpha 0.05, before any multiple-comparison adjustment)."""
    assert a.value is not None and b.value is not None
    n = min(a.n, b.n)
    if row_design(row) == "paired":
        return mde_paired(discordance_if_independent(a.value, b.value), n)
    return mde_two_proportions((a.value + b.value) / 2, n)


def power_notes(summary: RunSummary, rows: list[ScoreRow] | None = None) -> list[str]:
    """Per headline row: the largest difference in a rate between two targets that no significant
    test backs, with the smallest difference this run's size could detect (minimum detectable effect,
    for the row's design) and the responses per target the difference seen would need. No observed
    (post-hoc) power: it only restates the p-value."""
    notes: list[str] = []
    for row in rows if rows is not None else scorecard(summary):
        rates = {t: c.metric for t, c in row.cells.items()
                 if c.metric is not None and c.metric.value is not None and _is_rate(c.metric)
                 and not _signed(c.metric) and 0 <= c.metric.value <= 1}
        names = list(rates)
        worst: tuple[float, str] | None = None
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = rates[names[i]], rates[names[j]]
                assert a is not None and b is not None and a.value is not None and b.value is not None
                comp = next((c for c in row.comparisons if set(c.compare or []) == {names[i], names[j]}), None)
                if a.value == b.value or (comp is not None and comp.significant):
                    continue
                n = min(a.n, b.n)
                paired = row_design(row) == "paired"
                need = (n_pairs(discordance_if_independent(a.value, b.value), a.value - b.value) if paired
                        else n_per_arm(a.value, b.value))
                if need is None or n >= need:
                    continue
                mde = row_mde(row, a, b)
                gap = abs(a.value - b.value)
                design = "paired items" if paired else "two independent proportions"
                can = (f"at n={n} per target the smallest difference this run could detect is "
                       f"{100 * mde:.1f} points" if mde is not None else f"n={n} per target detects no difference")
                if worst is None or gap > worst[0]:
                    worst = (gap, f"{row.label}: {names[i]} {fmt_value(a)} vs {names[j]} {fmt_value(b)} is not "
                                  f"resolved: {can} ({design}, power 0.8, alpha 0.05); a difference of "
                                  f"{100 * gap:.1f} points needs ~{need} "
                                  f"{'paired items' if paired else 'responses per target'}.")
        if worst is not None:
            notes.append(worst[1])
    return notes


# -- drill-down rows --------------------------------------------------------------------------------
def _short(v: Any, limit: int = 400) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        s = v
    elif isinstance(v, bool):
        s = "yes" if v else "no"
    elif isinstance(v, float):
        s = f"{v:.3g}"
    elif isinstance(v, dict):
        s = "; ".join(f"{k}: {_short(x, 80)}" for k, x in v.items())
    elif isinstance(v, (list, tuple, set)):
        s = ", ".join(_short(x, 120) for x in v)
    else:
        s = str(v)
    return s if len(s) <= limit else s[:limit] + "…"


def _finding(f: Any) -> str:
    if isinstance(f, dict):
        bits = [str(f.get(k)) for k in ("tool", "test_id", "check_id", "rule", "cwe", "severity") if f.get(k)]
        line = f.get("line") or f.get("line_number")
        if line:
            bits.append(f"line {line}")
        return " ".join(bits) or _short(f, 120)
    return _short(f, 120)


def _clip(text: str | None, limit: int) -> str:
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters: see 'weightwatch export']"


def prompt_text(ss: ScoredSample) -> str:
    msgs = ss.sample.planned.request.messages
    if len(msgs) == 1:
        return msgs[0].content
    return "\n\n".join(f"[{m.role}] {m.content}" for m in msgs)


STANDARD_KEYS = ("label", "topic", "language", "arm", "condition", "facts", "flags", "findings")


def drill_row(ss: ScoredSample, *, clip: int | None = MAX_TEXT, probe_columns: bool = True) -> dict[str, Any]:
    """One response as a flat dict: who, what was asked, what came back, and every verdict on it."""
    s = ss.sample
    meta = s.planned.meta or {}
    # the probe's own columns, computed when the sample was scored and stored in the journal
    extra: dict[str, Any] = dict(ss.columns or {}) if probe_columns else {}
    primary = next((sc for sc in ss.scores if sc.label is not None), ss.scores[0] if ss.scores else None)
    label = extra.pop("label", None) or (primary.label if primary else None)
    if s.completion.error and not label:
        label = "error"
    details: dict[str, Any] = {}
    for sc in ss.scores:
        for k, v in sc.details.items():
            details.setdefault(k, v)
    facts = extra.pop("facts", None) or details.get("facts_covered") or details.get("facts")
    flags = extra.pop("flags", None) or details.get("flags_matched") or details.get("flags")
    findings = extra.pop("findings", None) or details.get("findings")
    cond = (meta.get("condition") or meta.get("arm") or extra.get("condition") or extra.get("arm")
            or (s.key.variant if s.key.probe == "codesec" else None))
    for k in ("topic", "language", "arm", "condition"):
        extra.pop(k, None)
    topic = meta.get("topic") or meta.get("category") or ""
    language = meta.get("language") or meta.get("lang") or ""
    findings_text = "; ".join(_finding(f) for f in findings) if isinstance(findings, list) else _short(findings)
    text = s.completion.text
    return {
        "target": s.target_label,
        "probe": s.key.probe,
        "item": s.key.item_id,
        "variant": s.key.variant,
        "sample": s.key.sample_index,
        "topic": _short(topic, 80),
        "language": _short(language, 40),
        "condition": _short(cond, 80),
        "label": label or "",
        "value": primary.value if primary and primary.value is not None and math.isfinite(primary.value) else None,
        "judges": "; ".join(f"{sc.scorer} {readable_version(sc.scorer_version)}: "
                            f"{sc.label if sc.label is not None else sc.value}"
                            for sc in ss.scores),
        "facts": _short(facts),
        "flags": _short(flags),
        "findings": findings_text,
        "extra": "; ".join(f"{k}: {_short(v, 160)}" for k, v in extra.items() if v not in (None, "", [], {})),
        "prompt": _clip(prompt_text(ss), clip) if clip else prompt_text(ss),
        "response": _clip(text, clip) if clip else text,
        "reasoning": (_clip(s.completion.reasoning, clip) if clip else s.completion.reasoning) or "",
        "error": s.completion.error or (f"scoring failed: {ss.scoring_error}" if ss.scoring_error else ""),
        "digest": s.key.digest(),
    }


def drill_rows(scored: Iterable[ScoredSample], *, clip: int | None = MAX_TEXT) -> list[dict[str, Any]]:
    return [drill_row(ss, clip=clip) for ss in scored if ss.sample.key.probe != "judge"]
