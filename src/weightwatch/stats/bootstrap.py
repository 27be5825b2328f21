"""Cluster bootstrap: intervals that respect repeated samples of the same item or task.

Samples of one item (repeats, languages, conditions) are not independent. Resampling whole items
(clusters) with replacement gives intervals that account for that, where a plain Wilson interval
over all samples would be too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

NO_SPREAD_NOTE = ("every cluster gave the same value, so resampling clusters cannot vary it: "
                  "the interval is the closed-form one")


def no_spread(lo: float | None, hi: float | None) -> bool:
    """A bootstrap interval of zero width: every resampled cluster had the same value (e.g. all tasks 0%, or
    every item's difference +50%). That is no 95% interval: callers use a closed-form one (Wilson, Newcombe)."""
    return lo is not None and hi is not None and lo == hi


def cluster_bootstrap(clusters: Mapping[str, Sequence[float]], *, n_boot: int = 2000, seed: int = 0,
                      conf: float = 0.95, statistic: Callable[[np.ndarray, np.ndarray], float] | None = None,
                      ) -> tuple[float | None, float | None, float | None]:
    """Mean of all observations (pooled over clusters) with a percentile cluster-bootstrap interval.

    `statistic(sums, counts)` may replace the pooled mean; it receives per-cluster sums and counts of
    one bootstrap replicate."""
    keys = [k for k, v in clusters.items() if len(v) > 0]
    if not keys:
        return None, None, None
    sums = np.array([float(np.sum(clusters[k])) for k in keys])
    counts = np.array([float(len(clusters[k])) for k in keys])
    stat = statistic or (lambda s, c: float(s.sum() / c.sum()))
    est = stat(sums, counts)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(keys), size=(n_boot, len(keys)))
    reps = np.array([stat(sums[i], counts[i]) for i in idx])
    reps = reps[np.isfinite(reps)]
    if len(reps) == 0:
        return est, None, None
    alpha = (1 - conf) / 2
    return est, float(np.quantile(reps, alpha)), float(np.quantile(reps, 1 - alpha))


def paired_cluster_bootstrap(a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], *,
                             kind: str = "diff", n_boot: int = 2000, seed: int = 0, conf: float = 0.95,
                             ) -> tuple[float | None, float | None, float | None]:
    """Difference (mean_a - mean_b) or ratio (mean_a / mean_b) over clusters present in both arms.

    Clusters (tasks, items) are resampled together for both arms, which keeps the pairing."""
    keys = [k for k in a if k in b and len(a[k]) > 0 and len(b[k]) > 0]
    if not keys:
        return None, None, None
    sa = np.array([float(np.sum(a[k])) for k in keys])
    ca = np.array([float(len(a[k])) for k in keys])
    sb = np.array([float(np.sum(b[k])) for k in keys])
    cb = np.array([float(len(b[k])) for k in keys])

    def stat(i: np.ndarray) -> float:
        ma = sa[i].sum() / ca[i].sum()
        mb = sb[i].sum() / cb[i].sum()
        if kind == "ratio":
            return float(ma / mb) if mb > 0 else float("nan")
        return float(ma - mb)

    est = stat(np.arange(len(keys)))
    rng = np.random.default_rng(seed)
    reps = np.array([stat(rng.integers(0, len(keys), size=len(keys))) for _ in range(n_boot)])
    reps = reps[np.isfinite(reps)]
    if not np.isfinite(est):
        est_out: float | None = None
    else:
        est_out = est
    if len(reps) < n_boot * 0.5:  # the statistic is undefined in most replicates
        return est_out, None, None
    alpha = (1 - conf) / 2
    return est_out, float(np.quantile(reps, alpha)), float(np.quantile(reps, 1 - alpha))
