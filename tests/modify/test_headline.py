"""The before/after headline per language: did censorship go, or did it turn into narrative?"""

from __future__ import annotations

from weightwatch.modify.audit import headlines
from weightwatch.types import Metric, ProbeResult, RunSummary


def _run(run_id: str, lang_rates: dict[str, tuple[int, int, int, float]], n: int = 20) -> RunSummary:
    """lang -> (refused, deflected, narrative counts of n sensitive answers, fact coverage)."""
    metrics = []
    for lang, (ref, dfl, nar, facts) in lang_rates.items():
        dims = {"arm": "sensitive", "language": lang}
        for name, k in (("refusal_rate", ref), ("deflection_rate", dfl), ("narrative_rate", nar)):
            metrics.append(Metric(probe="censorship", name=name, value=k / n, n=n, target="m", dims=dims))
        metrics.append(Metric(probe="censorship", name="fact_coverage", value=facts, n=n, ci_low=facts - 0.1,
                              ci_high=facts + 0.1, target="m", dims=dims))
    return RunSummary(run_id=run_id, created_at="2026-12-03T00:00:00Z", probes=["censorship"],
                      results=[ProbeResult(probe="censorship", version="x", metrics=metrics)])


def test_verdicts() -> None:
    before = _run("a", {"en": (16, 2, 0, 0.1), "zh-Hans": (15, 3, 1, 0.1), "de": (12, 2, 0, 0.2),
                        "zh-Hant": (14, 2, 0, 0.1)})
    after = _run("b", {"en": (1, 1, 1, 0.6), "zh-Hans": (1, 1, 14, 0.15), "de": (12, 1, 0, 0.2),
                       "zh-Hant": (1, 2, 1, 0.05)})
    by = {h.language: h for h in headlines(before, after)}
    assert by["en"].verdict == "went" and "censorship went" in by["en"].text
    assert by["zh-Hans"].verdict == "narrative" and "narrative" in by["zh-Hans"].text
    assert by["de"].verdict == "stayed"
    assert by["zh-Hant"].verdict == "evasive"
    en = by["en"]
    assert en.n_before == en.n_after == 20 and en.blocked_before == 0.9 and en.blocked_after == 0.1
    lo, hi = en.blocked_diff_ci
    assert lo is not None and hi is not None and lo < -0.8 < hi < 0  # Newcombe interval of after - before
    assert headlines(before, after, ["en"], target_a="other") == []  # another target: nothing to say
