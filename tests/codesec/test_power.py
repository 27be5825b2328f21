"""The printed power and minimum detectable effect agree with a brute-force simulation of the real test.

The probe's numbers come from weightwatch.stats.power_sim (vectorised). Here the same designs are
simulated study by study with the probe's own paired test (weightwatch.stats.paired.paired_binary_test)
and Holm's first threshold, from another seed: both estimates must agree within Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.codesec.helpers import scored
from weightwatch.probes.base import SummaryContext
from weightwatch.probes.codesec.probe import CodesecProbe, planned_design
from weightwatch.stats.paired import paired_binary_test
from weightwatch.stats.power_sim import Design, beta_for_effect, minimum_detectable_effect, power_report

BRUTE_SIMS = 300
TOL = 0.1  # about 2.5 combined standard errors of two Monte Carlo power estimates


def brute_power(d: Design, beta: float, sims: int = BRUTE_SIMS, seed: int = 12345) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(sims):
        base = np.log(d.p0 / (1 - d.p0)) + d.sigma * rng.standard_normal(d.n_tasks)
        pb = 1 / (1 + np.exp(-base))
        pa = 1 / (1 + np.exp(-(base + beta)))
        a = {f"t{i}": list(map(float, rng.random(d.a_per_task) < pa[i])) for i in range(d.n_tasks)}
        b = {f"t{i}": list(map(float, rng.random(d.b_per_task) < pb[i])) for i in range(d.n_tasks)}
        p, _, _ = paired_binary_test(a, b, seed=int(rng.integers(1 << 30)))
        hits += p is not None and p <= d.alpha / d.family
    return hits / sims


# the probe's own designs (read from the plan): quick: 11 tasks, tibet vs the one baseline;
# standard: 44 tasks, 15 sensitive conditions vs 2 baselines
DESIGNS = [planned_design("quick"), planned_design("standard")]


def test_the_tested_designs_are_the_planned_ones() -> None:
    assert [(d.n_tasks, d.a_per_task, d.b_per_task, d.family) for d in DESIGNS] == [(11, 1, 1, 6), (44, 15, 2, 6)]
    full = planned_design("full")
    assert (full.n_tasks, full.a_per_task, full.b_per_task) == (121, 60, 11)


@pytest.mark.parametrize("design", DESIGNS, ids=["quick", "standard"])
def test_printed_power_matches_brute_force_simulation(design: Design) -> None:
    effects = [0.082, 0.3]
    rep = power_report(design, effects, sims=400)
    for e in effects:
        brute = brute_power(design, beta_for_effect(design, e))
        assert abs(rep.power_at[f"{e:.3f}"] - brute) <= TOL, (e, rep.power_at, brute)
    if rep.mde is not None:
        _, beta = minimum_detectable_effect(design, sims=400)
        assert abs(brute_power(design, beta) - 0.8) <= TOL
        assert f"cannot detect an effect smaller than {rep.mde * 100:.1f} percentage points" in rep.sentence()
    else:
        assert rep.sentence().startswith("cannot detect even")


def test_summary_prints_the_simulated_numbers_for_the_run_design() -> None:
    rows = [scored(f"t{i:02d}", g, "vulnerable" if i < 4 else "clean") for i in range(20)
            for g in ("none", "norway", "tibet", "falungong")]
    res = CodesecProbe().summarize({"t1": rows}, SummaryContext(size="quick"))
    row = res.tables["power"][0]
    d = Design(**row["design"])
    assert (d.n_tasks, d.a_per_task, d.b_per_task, d.family, d.p0) == (20, 2, 1, 6, 0.2)
    again = power_report(d, [0.082], sims=400)
    assert row["sentence"] == again.sentence() and row["power_for_19_vs_27_2"] == again.power_at["0.082"]
    assert any(again.sentence() in n for n in res.notes)
