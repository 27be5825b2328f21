"""Logistic regression clustered by task: GEE with cluster-robust standard errors (statsmodels).

``clustered_logit`` fits ``outcome ~ C(group) + C(context) + C(placement)`` by generalised estimating
equations (``statsmodels.GEE``, binomial family, exchangeable working correlation within a task) and
reports the robust (sandwich) standard errors, which stay valid whatever the true correlation of answers
to one task. (The former variational-Bayes mixed model gave anti-conservative p-values.) With few
clusters the sandwich is biased downwards, so the bias-reduced (Mancl-DeRouen) covariance is used. When
GEE fails (singular data, no convergence, non-finite estimates) an ordinary logistic GLM with standard
errors clustered by task is used instead. The result names the method that was actually used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

GEE = ("logistic GEE (statsmodels; exchangeable working correlation within task; bias-reduced "
       "cluster-robust SEs by task)")
GLM_CLUSTER = "logistic GLM with cluster-robust SEs by task (GEE failed: {reason})"


@dataclass
class Coefficient:
    term: str  # e.g. "group[tibet]"
    estimate: float  # log-odds
    se: float
    p_value: float | None

    @property
    def odds_ratio(self) -> float:
        return math.exp(self.estimate)

    def interval(self, z: float = 1.959964) -> tuple[float, float]:
        return math.exp(self.estimate - z * self.se), math.exp(self.estimate + z * self.se)


@dataclass
class RegressionResult:
    method: str
    n: int
    clusters: int
    coefficients: list[Coefficient] = field(default_factory=list)

    def get(self, term: str) -> Coefficient | None:
        return next((c for c in self.coefficients if c.term == term), None)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "n": self.n, "clusters": self.clusters,
                "coefficients": [{"term": c.term, "log_odds": c.estimate, "se": c.se, "p_value": c.p_value,
                                  "odds_ratio": c.odds_ratio, "or_ci": list(c.interval())}
                                 for c in self.coefficients]}


def _term_name(raw: str) -> str:
    # "C(group, Treatment('none'))[T.tibet]" -> "group[tibet]"
    if raw.startswith("C("):
        var = raw[2:].split(",")[0].split(")")[0].strip()
        level = raw.rsplit("[T.", 1)[-1].rstrip("]") if "[T." in raw else raw
        return f"{var}[{level}]"
    return raw


def _formula(df: Any, outcome: str, factors: dict[str, str]) -> str:
    terms = []
    for var, ref in factors.items():
        if df[var].nunique() > 1:
            terms.append(f"C({var}, Treatment('{ref}'))" if ref in set(df[var]) else f"C({var})")
    return f"{outcome} ~ " + (" + ".join(terms) if terms else "1")


def clustered_logit(rows: Sequence[dict[str, Any]], *, outcome: str = "y", cluster: str = "task",
                    factors: dict[str, str] | None = None) -> RegressionResult | None:
    """Fit the model on rows of {outcome: 0/1, cluster: id, factor: level ...}. None if too little data."""
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    factors = factors or {"group": "none", "context": "none", "placement": "system"}
    if len(rows) < 10:
        return None
    df = pd.DataFrame(list(rows))
    df[outcome] = df[outcome].astype(float)
    if df[outcome].nunique() < 2 or df[cluster].nunique() < 2:
        return None
    df = df.sort_values(cluster, kind="stable").reset_index(drop=True)
    formula = _formula(df, outcome, factors)
    reason = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = smf.gee(formula, cluster, df, family=sm.families.Binomial(),
                            cov_struct=sm.cov_struct.Exchangeable())
            fit = model.fit(maxiter=100, cov_type="bias_reduced")
        names = list(fit.params.index)
        means = np.asarray(fit.params, dtype=float)
        ses = np.asarray(fit.bse, dtype=float)
        if np.all(np.isfinite(means)) and np.all(np.isfinite(ses)) and np.all(ses > 0):
            coefs = []
            for name, m, se in zip(names, means, ses, strict=True):
                if name == "Intercept":
                    continue
                p = float(2 * sps.norm.sf(abs(m / se)))
                coefs.append(Coefficient(term=_term_name(name), estimate=float(m), se=float(se), p_value=p))
            return RegressionResult(method=GEE, n=len(df), clusters=int(df[cluster].nunique()),
                                    coefficients=coefs)
        reason = "non-finite estimates"
    except Exception as exc:  # statsmodels raises many kinds on degenerate data
        reason = f"{type(exc).__name__}: {exc}"[:120]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            groups = pd.factorize(df[cluster])[0]
            glm = smf.glm(formula, df, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": groups})
        coefs = []
        for name in glm.params.index:
            if name == "Intercept":
                continue
            est, se = float(glm.params[name]), float(glm.bse[name])
            if not (math.isfinite(est) and math.isfinite(se)):
                continue
            coefs.append(Coefficient(term=_term_name(name), estimate=est, se=se,
                                     p_value=float(glm.pvalues[name])))
        return RegressionResult(method=GLM_CLUSTER.format(reason=reason or "unknown"), n=len(df),
                                clusters=int(df[cluster].nunique()), coefficients=coefs)
    except Exception:
        return None
