"""Minimum detectable effects: the smallest difference a run of a given size could detect.

Reported instead of "observed" (post-hoc) power, which is a function of the p-value and says nothing
new. Both designs are the ones weightwatch's probes test with:

- two independent proportions (Fisher's exact / two-proportion tests between targets or arms):
  the smallest |p1 - p0| for which `n_per_arm(p0, p1)` <= n (unpooled normal approximation, the same
  formula as `weightwatch.stats.power.n_per_arm`);
- paired proportions (McNemar's exact test on the same items): Connor's (1987) approximation,
  n = (z_a sqrt(psi) + z_b sqrt(psi - d^2))^2 / d^2, with psi the share of discordant pairs; the smallest
  |d| for which that n <= the pairs available (|d| <= psi: the difference is made of discordant pairs).

Two-sided alpha 0.05 and power 0.8 unless asked otherwise; no multiple-comparison adjustment (a
Holm-adjusted family needs more).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from weightwatch.stats.power import n_per_arm

_N = NormalDist()


def _bisect(ok: object, lo: float, hi: float, steps: int = 60) -> float:
    """Smallest x in [lo, hi] with ok(x) true, for ok monotone in x (false below, true above)."""
    assert callable(ok)
    for _ in range(steps):
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def mde_two_proportions(p0: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Smallest difference from a base rate `p0` detectable with `n` per arm in EITHER direction (the
    larger of the upward and downward answers; a direction with no room below 0 or above 1 is skipped).
    None when n is 0 or no difference within [0, 1] is detectable."""
    if n <= 0 or not 0.0 <= p0 <= 1.0:
        return None
    best: float | None = None
    for sign in (1.0, -1.0):
        room = (1.0 - p0) if sign > 0 else p0
        if room <= 1e-9:
            continue

        def detectable(d: float, sign: float = sign) -> bool:
            need = n_per_arm(p0, p0 + sign * d, alpha, power)
            return need is not None and need <= n

        if not detectable(room):
            continue
        d = _bisect(detectable, 0.0, room)
        best = d if best is None else max(best, d)
    return best


def n_pairs(psi: float, d: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Pairs needed to detect a paired difference `d` with discordant share `psi` (Connor 1987)."""
    if d == 0 or psi <= 0 or abs(d) > psi:
        return None
    za, zb = _N.inv_cdf(1 - alpha / 2), _N.inv_cdf(power)
    return int(math.ceil((za * math.sqrt(psi) + zb * math.sqrt(psi - d * d)) ** 2 / (d * d)))


def mde_paired(psi: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Smallest detectable difference between paired proportions with `n` pairs and a discordant share
    `psi` (Connor 1987). None when there are no pairs or no discordance to work with."""
    if n <= 0 or psi <= 0:
        return None
    za, zb = _N.inv_cdf(1 - alpha / 2), _N.inv_cdf(power)
    psi = min(psi, 1.0)

    def needed(d: float) -> float:
        return (za * math.sqrt(psi) + zb * math.sqrt(max(psi - d * d, 0.0))) ** 2 / (d * d)

    # |d| = |b - c| / n can never exceed the discordant share (b + c) / n: an effect larger than psi does not
    # exist at this discordance (the formula alone would allow up to sqrt(psi))
    top = psi
    if needed(top) > n:
        return None
    return _bisect(lambda d: needed(d) <= n, 1e-9, top)


def discordance_if_independent(p_a: float, p_b: float) -> float:
    """The discordant share two paired outcomes would have if they were independent (a planning value
    when the run's own discordance is not known)."""
    return p_a * (1 - p_b) + p_b * (1 - p_a)
