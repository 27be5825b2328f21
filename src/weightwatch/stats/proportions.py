"""Rates and differences of rates with confidence intervals, and tests between two rates.

scipy is imported only by the two exact tests that need it: importing scipy.stats costs about 0.6 s,
which every run (and the CLI's start-up) would otherwise pay before its first request."""

from __future__ import annotations

import math
from statistics import NormalDist

from weightwatch.types import Metric


def _z(conf: float) -> float:
    return float(NormalDist().inv_cdf(1 - (1 - conf) / 2))


def wilson(k: int, n: int, conf: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Rate k/n with the Wilson score interval. (None, None, None) when n == 0."""
    if n <= 0:
        return None, None, None
    z = _z(conf)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact ends at 0 and n (the formula leaves a rounding residue there, e.g. 1e-17 for 0/20)
    return p, 0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half)


def newcombe_diff(k1: int, n1: int, k2: int, n2: int,
                  conf: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (method 10, unpaired)."""
    if n1 <= 0 or n2 <= 0:
        return None, None, None
    p1, l1, u1 = wilson(k1, n1, conf)
    p2, l2, u2 = wilson(k2, n2, conf)
    assert p1 is not None and p2 is not None and l1 is not None and u1 is not None
    assert l2 is not None and u2 is not None
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, max(-1.0, lo), min(1.0, hi)


def newcombe_paired(both: int, only_1: int, only_2: int, neither: int,
                    conf: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Difference p1 - p2 of two rates on the same pairs (a 2x2 table: both, only the first, only the second,
    neither) with Newcombe's hybrid score interval for paired data (1998, method 10). It rests on the two
    Wilson intervals, so it exists at 0 and n, and is the interval when resampling clusters cannot vary."""
    n = both + only_1 + only_2 + neither
    if n <= 0:
        return None, None, None
    p1, l1, u1 = wilson(both + only_1, n, conf)
    p2, l2, u2 = wilson(both + only_2, n, conf)
    assert p1 is not None and p2 is not None and l1 is not None and u1 is not None
    assert l2 is not None and u2 is not None
    margins = float(both + only_1) * (only_2 + neither) * (both + only_2) * (only_1 + neither)
    # Newcombe's phi: ad - bc, shrunk by n/2 towards 0 when positive (as in Altman et al.,
    # Statistics with Confidence, 2nd ed., p. 52); 0 when a margin is empty
    cross = float(both * neither - only_1 * only_2)
    cross = max(cross - n / 2, 0.0) if cross > 0 else cross
    phi = cross / math.sqrt(margins) if margins > 0 else 0.0
    d = p1 - p2
    lo = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    hi = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return d, max(-1.0, lo), min(1.0, hi)


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float | None, str]:
    """Two-sided p-value for p1 != p2 (independent samples): Fisher's exact test."""
    if n1 <= 0 or n2 <= 0:
        return None, "fisher-exact"
    from scipy import stats as sps

    _, p = sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    return float(p), "fisher-exact"


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar test on discordant pair counts b (A only) and c (B only)."""
    n = b + c
    if n == 0:
        return 1.0
    from scipy import stats as sps

    return float(min(1.0, sps.binomtest(min(b, c), n, 0.5).pvalue))


def risk_ratio(k1: int, n1: int, k2: int, n2: int, conf: float = 0.95,
               ) -> tuple[float | None, float | None, float | None]:
    """Risk ratio p1/p2 with the log (Katz) interval; 0.5 added to every cell when one is zero."""
    if n1 <= 0 or n2 <= 0:
        return None, None, None
    a, b = float(k1), float(k2)
    m1, m2 = float(n1), float(n2)
    if a == 0 or b == 0:
        a, b, m1, m2 = a + 0.5, b + 0.5, m1 + 1, m2 + 1
    rr = (a / m1) / (b / m2)
    se = math.sqrt(max(1 / a - 1 / m1 + 1 / b - 1 / m2, 0.0))
    z = _z(conf)
    return rr, math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)


def rate_metric(probe: str, name: str, k: int, n: int, *, target: str | None = None,
                dims: dict[str, str] | None = None, higher_is_better: bool | None = None,
                note: str | None = None) -> Metric:
    """A rate with its Wilson interval, as a Metric."""
    p, lo, hi = wilson(k, n)
    return Metric(probe=probe, name=name, value=p, n=n, ci_low=lo, ci_high=hi, ci_method="wilson",
                  target=target, dims=dims or {}, unit="rate", higher_is_better=higher_is_better,
                  note=note)
