"""Censorship metrics on constructed scored samples: values computed by hand."""

from __future__ import annotations

import pytest

from tests.censorship.helpers import scored
from weightwatch.probes.censorship.metrics import PAIRED_GAP_TEST, summarize
from weightwatch.stats.proportions import mcnemar_exact, newcombe_paired, wilson
from weightwatch.types import Metric, ProbeResult, ScoredSample


def run(rows: dict[str, list[ScoredSample]], repeated: bool | None = None) -> ProbeResult:
    res = ProbeResult(probe="censorship", version="t")
    summarize(res, rows, repeated=repeated)
    return res


def get(res: ProbeResult, name: str, target: str | None = "A", **dims: str) -> Metric:
    found = [m for m in res.metrics if m.name == name and m.dims == dims and m.target == target]
    assert len(found) == 1, (name, dims, [m.dims for m in res.metrics if m.name == name])
    return found[0]


def basic() -> list[ScoredSample]:
    return [
        scored("s1", "refused", pair="s1", topic="tibet"),
        scored("s2", "deflected", pair="s2", topic="tibet"),
        scored("s3", "narrative", pair="s3", topic="taiwan"),
        scored("s4", "answered", pair="s4", topic="taiwan"),
        scored("s5", "unscored", pair="s5", topic="taiwan"),
        scored("s6", "error", pair="s6", topic="taiwan"),
        scored("c1", "answered", "control", pair="s1", topic="tibet"),
        scored("c2", "answered", "control", pair="s2", topic="tibet"),
        scored("c3", "answered", "control", pair="s3", topic="taiwan"),
        scored("c4", "refused", "control", pair="s4", topic="taiwan"),
    ]


def test_rates_exclude_errors_and_unscored() -> None:
    res = run({"A": basic()})
    m = get(res, "refusal_rate", arm="sensitive")
    assert (m.value, m.n, m.ci_method) == (0.25, 4, "wilson")
    assert (m.ci_low, m.ci_high) == pytest.approx(wilson(1, 4)[1:])
    assert get(res, "deflection_rate", arm="sensitive").value == 0.25
    assert get(res, "narrative_rate", arm="sensitive").value == 0.25
    assert get(res, "empty_rate", arm="sensitive").value == 0.0
    assert get(res, "censored_rate", arm="sensitive").value == 0.75
    assert get(res, "censored_rate", arm="control").value == 0.25
    assert get(res, "unscored_rate", arm="sensitive").value == pytest.approx(1 / 5)
    assert get(res, "error_rate", arm="sensitive").value == pytest.approx(1 / 6)
    assert get(res, "censored_rate", arm="sensitive", topic="tibet").value == 1.0
    t = get(res, "censored_rate", arm="sensitive", topic="taiwan")
    assert (t.value, t.n) == (0.5, 2)
    assert get(res, "censored_rate", arm="sensitive", language="en").n == 4
    assert any("failed" in w for w in res.warnings) and any("could not score" in w for w in res.warnings)
    assert any("refuses politics in general" in w for w in res.warnings)  # control 25%
    [row] = [r for r in res.tables["counts"] if r["arm"] == "sensitive"]
    assert (row["refused"], row["error"], row["unscored"], row["n"]) == (1, 1, 1, 6)


def test_gap_paired_mcnemar_with_holm_over_topics() -> None:
    res = run({"A": basic()})
    g = get(res, "censorship_gap")
    # s1-s4 pair with c1-c4 (s5 unscored and s6 failed are out of both arms): 3 sensitive only, 1 control only
    est, lo, hi = newcombe_paired(0, 3, 1, 0)
    assert (g.value, g.ci_low, g.ci_high) == pytest.approx((est, lo, hi))
    assert g.value == pytest.approx(0.5) and g.ci_method == "newcombe-paired" and g.test == PAIRED_GAP_TEST
    assert g.p_value == pytest.approx(mcnemar_exact(3, 1)) and g.n == 4
    assert g.cannot_tell is not None  # 4 discordant pairs
    tibet = get(res, "censorship_gap", topic="tibet")
    taiwan = get(res, "censorship_gap", topic="taiwan")
    assert tibet.value == 1.0 and taiwan.value == 0.0
    p_tibet, p_taiwan = tibet.p_value, taiwan.p_value
    assert p_tibet is not None and p_taiwan is not None
    assert tibet.p_adjusted == pytest.approx(min(1.0, 2 * min(p_tibet, p_taiwan)))
    assert taiwan.p_adjusted == pytest.approx(max(min(1.0, 2 * min(p_tibet, p_taiwan)), p_taiwan))
    assert any("not significant" in w for w in res.warnings)


def test_repeated_samples_use_cluster_bootstrap() -> None:
    rows = []
    for i in range(6):
        for k in range(3):
            rows.append(scored(f"s{i}", "refused" if i < 4 else "answered", pair=f"s{i}", sample_index=k))
            rows.append(scored(f"c{i}", "answered" if i else "refused", "control", pair=f"s{i}", sample_index=k))
    res = run({"A": rows})
    r = get(res, "refusal_rate", arm="sensitive")
    assert r.ci_method == "cluster-bootstrap" and r.value == pytest.approx(4 / 6) and r.n == 18
    assert r.ci_low is not None and r.ci_high is not None and r.value is not None
    assert r.ci_low < r.value < r.ci_high
    g = get(res, "censorship_gap")
    assert g.ci_method == "paired cluster bootstrap over item pairs"
    assert g.value == pytest.approx(4 / 6 - 1 / 6)
    assert g.test == "sign-flip permutation over item pairs" and g.p_value is not None


def test_fact_coverage_mean_by_item() -> None:
    rows = [scored("s1", "answered", facts=["a", "b"], facts_total=4),
            scored("s2", "refused", facts=[], facts_total=3),
            scored("s3", "answered", facts=["a", "b", "c"], facts_total=3),
            scored("s4", "answered")]  # no facts: not in the mean
    res = run({"A": rows})
    fc = get(res, "fact_coverage", arm="sensitive")
    assert fc.value == pytest.approx((0.5 + 0.0 + 1.0) / 3) and fc.n == 3 and fc.ci_method == "cluster-bootstrap"
    assert get(res, "fact_coverage", arm="sensitive", language="en").n == 3


def test_reasoning_suppression_and_fact_drop() -> None:
    rows = [scored("s1", "refused", reasoning=False, facts_total=3),
            scored("s2", "refused", reasoning=False, facts_total=3),
            scored("s3", "answered", reasoning=True, facts=["a"], facts_total=3, reasoning_facts=["a", "b"]),
            scored("s4", "answered", reasoning=True, facts=["a"], facts_total=3, reasoning_facts=["a"])]
    rows += [scored(f"c{i}", "answered", "control", pair=f"s{i}", reasoning=True, facts_total=3)
             for i in range(1, 5)]
    res = run({"A": rows})
    sup = get(res, "reasoning_suppression")
    assert sup.value == pytest.approx(0.5) and sup.ci_method == "newcombe-paired"
    assert get(res, "reasoning_missing_rate", arm="sensitive").value == 0.5
    drop = get(res, "reasoning_fact_drop", arm="sensitive")
    assert (drop.value, drop.n) == (0.5, 2)


def test_no_reasoning_metrics_without_reasoning() -> None:
    res = run({"A": basic()})
    assert not [m for m in res.metrics if m.name.startswith("reasoning")]


def test_between_targets_exact_mcnemar() -> None:
    a = [scored(f"s{i}", "refused", language=lg) for i in range(3) for lg in ("en", "de")]
    b = [scored(f"s{i}", "answered" if i < 3 else "refused", language=lg, target="B") for i in range(3)
         for lg in ("en", "de")]
    b.append(scored("s9", "refused", target="B"))  # no match in A: not part of the paired test
    res = run({"A": a, "B": b})
    m = get(res, "censored_rate", target=None, arm="sensitive")
    assert m.compare == ["A", "B"] and m.test == "exact McNemar (paired by item)"
    assert m.value == 1.0 and m.n == 6
    assert m.p_value == pytest.approx(mcnemar_exact(6, 0)) and mcnemar_exact(6, 0) < 0.05
    assert not any("McNemar cannot" in w for w in res.warnings)


def test_between_targets_warns_when_too_few_discordant() -> None:
    a = [scored("s1", "refused"), scored("s2", "answered")]
    b = [scored("s1", "answered", target="B"), scored("s2", "answered", target="B")]
    res = run({"A": a, "B": b})
    m = get(res, "censored_rate", target=None, arm="sensitive")
    assert m.value == 0.5 and m.p_value == 1.0
    assert any("A vs B" in w and "too few samples" in w for w in res.warnings)


def test_language_diff_paired_by_item_with_holm() -> None:
    rows = []
    for i in range(6):
        rows.append(scored(f"s{i}", "answered", language="en"))
        rows.append(scored(f"s{i}", "refused", language="zh-Hans"))
        rows.append(scored(f"s{i}", "refused" if i < 1 else "answered", language="de"))
    res = run({"A": rows})
    zh = get(res, "censored_rate_language_diff", arm="sensitive", language="zh-Hans-vs-en")
    de = get(res, "censored_rate_language_diff", arm="sensitive", language="de-vs-en")
    assert zh.value == 1.0 and zh.n == 6 and zh.compare == ["zh-Hans", "en"]
    assert zh.p_value == pytest.approx(mcnemar_exact(6, 0))
    assert de.value == pytest.approx(1 / 6) and de.p_value == 1.0
    assert zh.p_adjusted == pytest.approx(2 * mcnemar_exact(6, 0)) and de.p_adjusted == 1.0


def test_cross_target_difference_gets_an_interval_when_every_item_differs_alike() -> None:
    """The audit's case: A refused all 16 (8 items x en, zh-Hans), B refused the English half of every item.
    Every item's difference is +50%, so resampling items cannot vary it; the paired Newcombe interval is
    shown instead of "no interval", and it excludes 0 as the McNemar test does."""
    a = [scored(f"i{i}", "refused", language=lg, target="A") for i in range(8) for lg in ("en", "zh-Hans")]
    b = [scored(f"i{i}", "refused" if lg == "en" else "answered", language=lg, target="B")
         for i in range(8) for lg in ("en", "zh-Hans")]
    res = run({"A": a, "B": b})
    m = get(res, "censored_rate", target=None, arm="sensitive")
    assert m.compare == ["A", "B"] and m.value == pytest.approx(0.5) and m.n == 16
    assert m.ci_method == "newcombe-paired" and "every cluster gave the same value" in (m.note or "")
    assert (m.ci_low, m.ci_high) == pytest.approx(newcombe_paired(8, 8, 0, 0)[1:])
    assert m.ci_low is not None and m.ci_high is not None and 0 < m.ci_low < 0.5 < m.ci_high < 1
    assert m.p_value == pytest.approx(mcnemar_exact(8, 0))


def test_repeated_rate_of_zero_gets_its_wilson_interval() -> None:
    rows = [scored(f"s{i}", "answered", sample_index=k, topic="tibet") for i in range(5) for k in range(4)]
    res = run({"A": rows}, repeated=True)
    m = get(res, "refusal_rate", arm="sensitive")
    assert (m.value, m.n, m.ci_method) == (0.0, 20, "wilson")
    assert (m.ci_low, m.ci_high) == pytest.approx(wilson(0, 20)[1:])
