"""A rate measured by an imperfect judge, corrected for the judge's known errors (Rogan-Gladen).

If a judge calls a truly positive answer positive with probability Se (sensitivity, its recall on
positives) and a truly negative answer negative with probability Sp (specificity), the observed positive
rate p estimates p = theta*Se + (1-theta)*(1-Sp), so theta = (p + Sp - 1) / (Se + Sp - 1)
(Rogan & Gladen 1978). The interval comes from the delta method with the sampling variance of p, Se and
Sp (Greenland 1988), clipped to [0, 1]. With Se + Sp <= 1 the judge carries no information: no estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Corrected:
    value: float  # clipped to [0, 1]
    lo: float
    hi: float
    raw: float  # before clipping (outside [0, 1] when the judge's figures do not fit this sample)


def rogan_gladen(k: int, n: int, se_k: int, se_n: int, sp_k: int, sp_n: int, conf: float = 0.95) -> Corrected | None:
    """Corrected rate from k positives of n judged answers, with Se = se_k/se_n and Sp = sp_k/sp_n measured
    on labelled answers. None when any count is zero or the judge is no better than chance (Se + Sp <= 1)."""
    if n <= 0 or se_n <= 0 or sp_n <= 0:
        return None
    p, se, sp = k / n, se_k / se_n, sp_k / sp_n
    j = se + sp - 1
    if j <= 0:
        return None
    theta = (p + sp - 1) / j
    var = (p * (1 - p) / n + theta ** 2 * se * (1 - se) / se_n + (1 - theta) ** 2 * sp * (1 - sp) / sp_n) / j ** 2
    half = NormalDist().inv_cdf(1 - (1 - conf) / 2) * math.sqrt(max(var, 0.0))
    clip = min(1.0, max(0.0, theta))
    return Corrected(value=clip, lo=max(0.0, theta - half), hi=min(1.0, theta + half), raw=theta)
