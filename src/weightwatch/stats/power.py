"""Power analysis for comparing two rates (how many responses per arm a difference needs)."""

from __future__ import annotations

import math
from statistics import NormalDist

_NORMAL = NormalDist()  # the standard normal (stdlib: no scipy import for a power analysis)


def n_per_arm(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Responses per arm to detect p1 vs p2 (two-sided, unpooled normal approximation).

    19% vs 27.2% at alpha 0.05 and power 0.8 gives 414, as in the field notes."""
    if p1 == p2:
        return None
    za = _NORMAL.inv_cdf(1 - alpha / 2)
    zb = _NORMAL.inv_cdf(power)
    pbar = (p1 + p2) / 2
    num = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return int(math.ceil(num / (p1 - p2) ** 2))


def power_two_proportions(p1: float, p2: float, n: int, alpha: float = 0.05) -> float | None:
    """Power to detect p1 vs p2 with n responses per arm (two-sided)."""
    if n <= 0 or p1 == p2:
        return None
    za = _NORMAL.inv_cdf(1 - alpha / 2)
    pbar = (p1 + p2) / 2
    se0 = math.sqrt(2 * pbar * (1 - pbar) / n)
    se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
    if se1 == 0:
        return 1.0
    z = (abs(p1 - p2) - za * se0) / se1
    return float(_NORMAL.cdf(z))
