"""The search's KL constraint (tune/validate split, cluster-bootstrap upper bound) and its choice rule."""

from __future__ import annotations

import numpy as np

from weightwatch.modify.prompts import Prompt
from weightwatch.modify.search import Trial, choose, cluster_interval, cluster_upper, mark_pareto, split_tune_validate


def _p(pair: str, lang: str, arm: str = "control") -> Prompt:
    return Prompt(id=f"{pair}-c", pair=pair, topic="t", arm=arm, language=lang, text=f"{pair} {lang}")


def test_split_keeps_an_items_languages_together_and_leaves_no_half_empty() -> None:
    prompts = [_p(f"item{i}", lang) for i in range(12) for lang in ("en", "de")]
    tune, val = split_tune_validate(prompts)
    assert tune and val and len(tune) + len(val) == len(prompts)
    assert {p.pair for p in tune}.isdisjoint({p.pair for p in val})
    two = [_p("a", "en"), _p("b", "en")]
    t2, v2 = split_tune_validate(two)
    assert t2 and v2


def test_cluster_upper_bound_is_above_the_mean_and_grows_with_spread() -> None:
    flat = [0.05] * 10
    ids = [str(i) for i in range(10)]
    assert abs(cluster_upper(flat, ids) - 0.05) < 1e-12
    spread = [0.0] * 8 + [0.2, 0.2]  # same mean of 0.04, two outliers
    upper = cluster_upper(spread, ids)
    assert upper > float(np.mean(spread)) + 0.02
    # clusters resampled whole: two prompts of one item count as one draw, so the bound is wider
    assert cluster_upper([0.0] * 8 + [0.2, 0.2], [*ids[:8], "x", "x"]) >= cluster_upper(spread, ids) - 1e-9
    m, lo, hi = cluster_interval(spread, ids)
    assert lo <= m <= hi and lo < hi
    assert cluster_upper([0.3], ["a"]) == 0.3  # one cluster: no spread to estimate


def _t(lam: float, kl_upper: float, kl_val: float, refusal: float, *, goal: bool | None = None,
       window: str = "all") -> Trial:
    return Trial(layer=10, window=window, lam=lam, refusal=refusal, kl=kl_upper / 2, kl_tune=kl_upper / 2,
                 kl_validate=kl_val, kl_upper=kl_upper, strength=lam * (24 if window == "all" else 5),
                 goal_met=goal, goal_checked=goal is not None)


def test_choose_prefers_the_gentlest_feasible_trial_that_met_the_goal() -> None:
    strong = _t(1.5, 0.09, 0.05, -20.0, goal=True)
    gentle = _t(1.0, 0.06, 0.04, -8.0, goal=True)
    narrow = _t(1.0, 0.03, 0.02, -4.0, goal=False, window="+-2")
    over = _t(2.0, 0.30, 0.20, -30.0)
    assert choose([strong, gentle, narrow, over], 0.1) is gentle


def test_choose_rejects_a_trial_whose_validate_kl_breaks_the_bound() -> None:
    leaky = _t(1.0, 0.08, 0.25, -15.0, goal=True)  # within the bound on tune, not on validate
    safe = _t(0.5, 0.05, 0.04, -5.0)
    assert choose([leaky, safe], 0.1) is safe  # no goal met among feasible: lowest refusal among them
    none = [_t(1.0, 0.4, 0.1, -9.0), _t(0.5, 0.2, 0.1, -3.0)]
    assert choose(none, 0.1) is none[1]  # nothing feasible: the lowest upper bound


def test_pareto_uses_the_upper_bound() -> None:
    a, b, c = _t(1.0, 0.05, 0.0, -5.0), _t(1.5, 0.09, 0.0, -9.0), _t(1.2, 0.10, 0.0, -4.0)
    trials = [a, b, c]
    mark_pareto(trials)
    assert [t.pareto for t in trials] == [True, True, False]
