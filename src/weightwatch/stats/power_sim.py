"""Power and minimum detectable effect of the *actual* paired, clustered, Holm-corrected test, by simulation.

A closed-form power for two independent proportions overstates what a study clustered by task can
detect. This module simulates the design that is really run and the test that is really applied:

* ``n_tasks`` clusters; task *i* has a baseline probability ``expit(logit(p0) + sigma * z_i)`` (tasks
  differ: ``sigma`` is the task heterogeneity on the log-odds scale); the trigger shifts every task's
  log-odds by the same ``beta``;
* the trigger arm has ``a_per_task`` answers per task (conditions pooled x samples), the reference arm
  ``b_per_task``;
* the test is :func:`weightwatch.stats.paired.paired_binary_test`'s: the exact McNemar test when each arm
  has one answer per task, otherwise the two-sided sign-flip test on per-task mean differences (exact
  enumeration up to ``EXACT_LIMIT`` tasks, else ``n_flips`` Monte Carlo flips shared by the simulated
  studies);
* significance is at the *first Holm threshold* ``alpha / family`` (a primary family of ``family``
  tests): the power to find this effect even if it is the only real one.

The effect is reported as a difference of rates (mean trigger rate minus mean baseline rate over tasks).
The minimum detectable effect (MDE) is the smallest such difference with at least ``target`` power.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from weightwatch.stats.paired import EXACT_LIMIT

DEFAULT_SIGMA = 1.0  # task heterogeneity (sd of task log-odds); see docs/codesec.md
DEFAULT_SIMS = 400
DEFAULT_FLIPS = 2000


@dataclass(frozen=True)
class Design:
    n_tasks: int
    a_per_task: int  # answers per task in the trigger arm
    b_per_task: int  # answers per task in the reference arm
    p0: float  # baseline rate
    family: int = 1  # number of primary tests Holm corrects over
    alpha: float = 0.05
    sigma: float = DEFAULT_SIGMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _task_probs(d: Design, beta: float, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    base = _logit(d.p0) + d.sigma * z
    return _expit(base), _expit(base + beta)


def effect_of(d: Design, beta: float, z: np.ndarray) -> float:
    """The rate difference (trigger minus baseline, averaged over simulated tasks) that `beta` makes."""
    p_b, p_a = _task_probs(d, beta, z)
    return float(np.mean(p_a) - np.mean(p_b))


def _pvalues(d: Design, ka: np.ndarray, kb: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """p-values of the paired test for simulated studies: ka, kb are (sims, tasks) counts."""
    if d.a_per_task == 1 and d.b_per_task == 1:
        from scipy import stats as sps

        b = np.sum((ka == 1) & (kb == 0), axis=1)
        c = np.sum((ka == 0) & (kb == 1), axis=1)
        n = b + c
        low = np.minimum(b, c)
        p = np.where(n > 0, np.minimum(1.0, 2 * sps.binom.cdf(low, np.maximum(n, 1), 0.5)), 1.0)
        return np.asarray(p, dtype=float)
    diffs = ka / d.a_per_task - kb / d.b_per_task  # (sims, tasks)
    observed = np.abs(diffs.sum(axis=1))
    stats = np.abs(diffs @ signs.T)  # (sims, flips)
    hits = np.sum(stats >= observed[:, None] - 1e-12, axis=1)
    # every sign pattern up to EXACT_LIMIT tasks: the exact test (zero differences change nothing)
    exact = d.n_tasks <= EXACT_LIMIT
    p = hits / signs.shape[0] if exact else (hits + 1) / (signs.shape[0] + 1)
    return np.where(np.all(diffs == 0, axis=1), 1.0, p)


def _signs(n_tasks: int, n_flips: int, rng: np.random.Generator) -> np.ndarray:
    if n_tasks <= EXACT_LIMIT:
        return np.array(list(itertools.product((1.0, -1.0), repeat=n_tasks)))
    return rng.choice((-1.0, 1.0), size=(n_flips, n_tasks))


def simulate_power(d: Design, beta: float, *, sims: int = DEFAULT_SIMS, seed: int = 0,
                   n_flips: int = DEFAULT_FLIPS) -> float:
    """Share of simulated studies in which the test rejects at alpha / family."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((sims, d.n_tasks))
    p_b, p_a = _task_probs(d, beta, z)
    ka = rng.binomial(d.a_per_task, p_a)
    kb = rng.binomial(d.b_per_task, p_b)
    signs = _signs(d.n_tasks, n_flips, rng)
    p = _pvalues(d, ka, kb, signs)
    return float(np.mean(p <= d.alpha / d.family))


@dataclass
class PowerResult:
    design: Design
    power_at: dict[str, float]  # "0.082" (rate difference) -> power
    mde: float | None  # smallest rate difference with >= target power (None: not within the search)
    target: float
    sims: int
    seed: int

    def sentence(self) -> str:
        d = self.design
        where = (f"{d.n_tasks} tasks, {d.a_per_task} vs {d.b_per_task} answers per task, baseline "
                 f"{d.p0:.0%}, alpha {d.alpha} / {d.family} (first Holm step)")
        if self.mde is None:
            return (f"cannot detect even a {MAX_EFFECT * 100:.0f} percentage point increase with "
                    f"{self.target:.0%} power ({where})")
        return (f"cannot detect an effect smaller than {self.mde * 100:.1f} percentage points "
                f"({self.target:.0%} power; {where})")

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design.to_dict(), "power_at": self.power_at, "mde": self.mde,
                "target_power": self.target, "sims": self.sims, "seed": self.seed,
                "method": "simulation of the paired test by task (McNemar / sign-flip), task random effect, "
                          "first Holm threshold", "sentence": self.sentence()}


MAX_EFFECT = 0.6


def minimum_detectable_effect(d: Design, *, target: float = 0.8, sims: int = DEFAULT_SIMS, seed: int = 0,
                              n_flips: int = DEFAULT_FLIPS, steps: int = 14) -> tuple[float | None, float]:
    """(MDE as a rate difference, its log-odds shift): bisection on beta with common random numbers."""
    z = np.random.default_rng(seed + 7).standard_normal(20000)
    lo, hi = 0.0, _logit(min(0.99, d.p0 + MAX_EFFECT)) - _logit(d.p0)
    if simulate_power(d, hi, sims=sims, seed=seed, n_flips=n_flips) < target:
        return None, hi
    for _ in range(steps):
        mid = (lo + hi) / 2
        if simulate_power(d, mid, sims=sims, seed=seed, n_flips=n_flips) >= target:
            hi = mid
        else:
            lo = mid
    return effect_of(d, hi, z), hi


def beta_for_effect(d: Design, effect: float) -> float:
    """The log-odds shift that makes the given average rate difference (bisection)."""
    z = np.random.default_rng(7).standard_normal(20000)
    lo, hi = 0.0, 8.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if effect_of(d, mid, z) < effect:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def power_report(d: Design, effects: list[float], *, target: float = 0.8, sims: int = DEFAULT_SIMS,
                 seed: int = 0, n_flips: int = DEFAULT_FLIPS) -> PowerResult:
    power_at = {f"{e:.3f}": simulate_power(d, beta_for_effect(d, e), sims=sims, seed=seed, n_flips=n_flips)
                for e in effects}
    mde, _ = minimum_detectable_effect(d, target=target, sims=sims, seed=seed, n_flips=n_flips)
    return PowerResult(design=d, power_at=power_at, mde=mde, target=target, sims=sims, seed=seed)
