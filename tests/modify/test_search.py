"""The search's KL constraint (tune/validate split, cluster-bootstrap upper bound) and its choice rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weightwatch.modify.capture import Answer
from weightwatch.modify.prompts import Prompt
from weightwatch.modify.search import (
    Trial,
    choose,
    cluster_interval,
    cluster_upper,
    kl,
    mark_pareto,
    run_search,
    split_tune_validate,
    strata_kl,
)


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


def test_stratified_bound_does_not_depend_on_the_mix_of_controls_and_harmless_prompts() -> None:
    """Controls move ten times more than harmless prompts: a pooled mean over a set with many harmless prompts
    stays under 0.1 while the controls' own mean is over it. Per stratum the bound sees the controls."""
    def rows(n_ctrl: int, n_harm: int) -> list[tuple[Prompt, float]]:
        return ([(_p(f"c{i}", "en"), 0.15 + 0.01 * (i % 3)) for i in range(n_ctrl)]
                + [(_p(f"h{i}", "en", arm="harmless"), 0.01) for i in range(n_harm)])

    few, many = rows(4, 16), rows(16, 4)
    assert float(np.mean([k for _, k in few])) < 0.1 < float(np.mean([k for _, k in many]))  # pooled: mix decides
    s_few, s_many = strata_kl(few, []), strata_kl(many, [])
    assert s_few["control"]["upper"] > 0.1 and s_many["control"]["upper"] > 0.1  # per stratum: both over
    assert abs(s_few["control"]["tune"] - 0.16) < 0.006 and s_few["harmless"]["upper"] == 0.01
    both = strata_kl(few, [(_p("v", "de"), 0.3), (_p("w", "de", arm="harmless"), 0.0)])
    assert both["control"]["validate"] == 0.3 and both["harmless"]["validate"] == 0.0
    assert both["control"]["n_validate"] == 1 and both["control"]["n_tune"] == 4


class _FakeSession:
    """First-token logits move with lambda by a per-prompt factor written in the prompt text ("k=0.5"): the
    KL against the base grows with lambda, the refusal prefix's log-probability falls with it."""
    n_layer = 24

    def __init__(self) -> None:
        self.lam = 0.0

    def set_adapter(self, path: object, scale: float = 1.0) -> None:
        self.lam = scale if path is not None else 0.0

    def _logits(self, text: str) -> np.ndarray:
        k = float(text.split("k=")[1])
        return np.array([self.lam * k, 0.0, 0.0, 0.0])

    def run(self, text: str, layers: object = ()) -> tuple[np.ndarray, dict]:
        return self._logits(text), {}

    def prefix_logprob(self, text: str, tokens: object) -> tuple[float, np.ndarray]:
        return -5.0 * self.lam, self._logits(text)

    def run_many(self, texts: list[str], layers: object = (), max_tokens: object = 0,
                 forced: list[list[int]] | None = None) -> list[Answer]:
        return [Answer(first=self._logits(t), forced_logprob=-5.0 * self.lam if f else None)
                for t, f in zip(texts, forced or [[] for _ in texts], strict=True)]


def _kp(pair: str, arm: str, k: float, lang: str = "en") -> Prompt:
    return Prompt(id=pair, pair=pair, topic="t", arm=arm, language=lang, text=f"{pair} k={k}")


def test_extra_tune_prompts_bound_lambda_and_never_validate() -> None:
    """The train topics' controls join the tune half: when they move more than the select controls, they hold
    lambda down; they are never in the validate half; the stratum figures are kept on every trial."""
    session = _FakeSession()
    sensitive = [_kp("s1", "sensitive", 0.0)]
    others = [_kp(f"sel{i}", "control", 1.0) for i in range(6)] + [_kp(f"h{i}", "harmless", 0.2) for i in range(3)]
    extra = [_kp(f"tr{i}", "control", 3.0) for i in range(12)]
    base = {(p.id, p.language): np.zeros(4) for p in [*sensitive, *others, *extra]}
    prefixes = {("s1", "en"): [1]}

    def search(extra_tune: list[Prompt]) -> list[Trial]:
        return run_search(session, lambda layer, window: Path("x"), [10], sensitive, others, base, [1],
                          budget=8, kl_max=0.1, prefixes=prefixes, extra_tune=extra_tune)  # type: ignore[arg-type]

    plain, wider = search([]), search(extra)
    best_plain = max(t.lam for t in plain if t.window == "all" and t.kl_upper <= 0.1)
    best_wider = max(t.lam for t in wider if t.window == "all" and t.kl_upper <= 0.1)
    assert best_wider < best_plain
    t = wider[0]
    assert t.kl_strata["control"]["n_tune"] > 12 and t.kl_strata["control"]["n_validate"] < 6
    assert t.kl_strata["harmless"]["n_tune"] + t.kl_strata["harmless"]["n_validate"] == 3
    # the constraint is the controls' bound (they move most), at least their tune mean
    assert abs(t.kl_upper - max(d["upper"] for d in t.kl_strata.values())) < 1e-4
    assert t.kl_upper >= t.kl_strata["control"]["tune"] - 1e-4
    # the validate figure is a stratum mean of select prompts only: the train controls would exceed it
    lam = t.lam
    k_extra = kl(np.zeros(4), np.array([lam * 3.0, 0, 0, 0]))
    assert t.kl_validate < k_extra
