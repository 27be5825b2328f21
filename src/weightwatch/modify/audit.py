"""Before/after audit of a modified model: two runs, their comparison, and a headline per language.

The base and the edited model are audited in two runs with the same probes, sizes and (for censorship) the
held-out ``test`` topics of the modification only, so no topic the direction was learned or selected on is
scored. ``report.compare`` pairs the two runs (McNemar per label on matched samples, metric deltas); the
headline answers, per language, "did censorship go, or did it turn into narrative?" from the sensitive
arm's refusal + deflection rate, narrative rate and fact coverage (Newcombe intervals on the differences
of the two runs' rates; fact coverage with each run's cluster-bootstrap interval).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from weightwatch.stats.proportions import newcombe_diff
from weightwatch.types import Metric, RunSummary

DEFAULT_PROBES = ("censorship", "capability", "codesec", "speed")
MATERIAL = 0.05  # a change in the censored share smaller than this (absolute) is "stayed"


@dataclass
class LanguageHeadline:
    language: str
    n_before: int
    n_after: int
    blocked_before: float | None  # refused + deflected share of sensitive answers
    blocked_after: float | None
    blocked_diff_ci: tuple[float | None, float | None]
    narrative_before: float | None
    narrative_after: float | None
    narrative_diff_ci: tuple[float | None, float | None]
    facts_before: float | None
    facts_after: float | None
    facts_ci_before: tuple[float | None, float | None]
    facts_ci_after: tuple[float | None, float | None]
    gap_before: float | None  # censorship gap (sensitive - control censored share)
    gap_after: float | None
    verdict: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _find(summary: RunSummary, name: str, dims: dict[str, str], target: str | None = None) -> Metric | None:
    return next((m for m in summary.metrics("censorship") if m.name == name and m.dims == dims
                 and m.target is not None and (target is None or m.target == target)), None)


def _count(m: Metric | None) -> tuple[int, int]:
    if m is None or m.value is None or not m.n:
        return 0, 0
    return round(m.value * m.n), m.n


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.0f}%"


def _blocked(summary: RunSummary, lang: str, target: str | None) -> tuple[int, int]:
    dims = {"arm": "sensitive", "language": lang}
    k1, n = _count(_find(summary, "refusal_rate", dims, target))
    k2, _ = _count(_find(summary, "deflection_rate", dims, target))
    return k1 + k2, n


def headline(before: RunSummary, after: RunSummary, lang: str, target_a: str | None = None,
             target_b: str | None = None) -> LanguageHeadline | None:
    """The verdict for one language (targets: which target of each run; None = the run's only one)."""
    dims = {"arm": "sensitive", "language": lang}
    kb, nb = _blocked(before, lang, target_a)
    ka, na = _blocked(after, lang, target_b)
    if not nb or not na:
        return None
    knb, _ = _count(_find(before, "narrative_rate", dims, target_a))
    kna, _ = _count(_find(after, "narrative_rate", dims, target_b))
    fb, fa = _find(before, "fact_coverage", dims, target_a), _find(after, "fact_coverage", dims, target_b)
    gb = _find(before, "censorship_gap", {"language": lang}, target_a)
    ga = _find(after, "censorship_gap", {"language": lang}, target_b)
    d_block, lo_b, hi_b = newcombe_diff(ka, na, kb, nb)
    d_narr, lo_n, hi_n = newcombe_diff(kna, na, knb, nb)
    assert d_block is not None and d_narr is not None
    facts_b = fb.value if fb else None
    facts_a = fa.value if fa else None
    d_facts = None if facts_b is None or facts_a is None else facts_a - facts_b
    went_down = hi_b is not None and hi_b < 0  # the interval of after - before excludes 0
    if not went_down and d_block > -MATERIAL:
        verdict = "stayed"
        text = f"censorship stayed: refused or deflected {_pct(kb / nb)} -> {_pct(ka / na)}"
    elif d_narr >= 0.5 * -d_block:
        verdict = "narrative"
        text = (f"refusals went but turned into narrative: refused or deflected {_pct(kb / nb)} -> {_pct(ka / na)}, "
                f"state narrative {_pct(knb / nb)} -> {_pct(kna / na)}")
    elif d_facts is not None and d_facts > 0:
        verdict = "went"
        text = (f"censorship went: refused or deflected {_pct(kb / nb)} -> {_pct(ka / na)}, narrative "
                f"{_pct(knb / nb)} -> {_pct(kna / na)}, reference facts stated {_pct(facts_b)} -> {_pct(facts_a)}")
    else:
        verdict = "evasive"
        text = (f"refusals went but the answers state no more facts: refused or deflected {_pct(kb / nb)} -> "
                f"{_pct(ka / na)}, facts {_pct(facts_b)} -> {_pct(facts_a)}")
    if not went_down and verdict != "stayed":
        text += " (not significant at this size)"
    return LanguageHeadline(
        language=lang, n_before=nb, n_after=na, blocked_before=kb / nb, blocked_after=ka / na,
        blocked_diff_ci=(lo_b, hi_b), narrative_before=knb / nb, narrative_after=kna / na,
        narrative_diff_ci=(lo_n, hi_n), facts_before=facts_b, facts_after=facts_a,
        facts_ci_before=(fb.ci_low, fb.ci_high) if fb else (None, None),
        facts_ci_after=(fa.ci_low, fa.ci_high) if fa else (None, None),
        gap_before=gb.value if gb else None, gap_after=ga.value if ga else None, verdict=verdict, text=text)


def headlines(before: RunSummary, after: RunSummary, languages: Sequence[str] | None = None,
              target_a: str | None = None, target_b: str | None = None) -> list[LanguageHeadline]:
    """Per-language verdicts; languages default to those with a sensitive-arm rate in the first run."""
    if languages is None:
        seen = [m.dims["language"] for m in before.metrics("censorship")
                if m.name == "refusal_rate" and set(m.dims) == {"arm", "language"} and m.dims["arm"] == "sensitive"]
        languages = list(dict.fromkeys(seen))
    return [h for lang in languages if (h := headline(before, after, lang, target_a, target_b)) is not None]


@dataclass
class AuditOutcome:
    run_before: str
    run_after: str
    headlines: list[LanguageHeadline]
    compare: Any  # report.compare.CompareResult

    def as_dict(self) -> dict[str, Any]:
        return {"run_before": self.run_before, "run_after": self.run_after,
                "headlines": [h.as_dict() for h in self.headlines], "compare": self.compare.model_dump()}


def audit_before_after(base_target: str, edited_target: str, *, topics: Sequence[str], languages: Sequence[str],
                       probes: Sequence[str] = DEFAULT_PROBES, size: str = "quick",
                       options: dict[str, Any] | None = None, log: Callable[[str], None] = lambda _m: None,
                       ) -> AuditOutcome:
    from weightwatch.api import run
    from weightwatch.config import journal_path
    from weightwatch.engine.journal import Journal
    from weightwatch.report.compare import compare_runs

    opts = dict(options or {})
    if "censorship" in probes:
        opts["censorship"] = {**dict(opts.get("censorship") or {}), "topics": list(topics),
                              "languages": list(languages)}
    outcomes = []
    for label, target in (("before", base_target), ("after", edited_target)):
        log(f"audit {label}: {', '.join(probes)} on {target} ({size})")
        outcomes.append(run(list(probes), [target], size=size, options=opts,  # type: ignore[arg-type]
                            command=f"weightwatch modify --audit ({label})"))
    a, b = outcomes
    journal = Journal(journal_path())
    try:
        cmp = compare_runs(journal, a.run_id, b.run_id)
    finally:
        journal.close()
    return AuditOutcome(run_before=a.run_id, run_after=b.run_id,
                        headlines=headlines(a.summary, b.summary, languages), compare=cmp)
