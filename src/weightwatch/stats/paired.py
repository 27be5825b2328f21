"""Paired tests by cluster (task): exact McNemar on single binary outcomes, sign-flip permutation otherwise."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from weightwatch.stats.proportions import mcnemar_exact

EXACT_LIMIT = 16  # enumerate all 2^n sign flips up to this many non-zero clusters


def sign_flip_test(diffs: Sequence[float], *, n_perm: int = 20000, seed: int = 0) -> float:
    """Two-sided sign-flip permutation test that the per-cluster differences are centred on zero.

    Exact enumeration for up to EXACT_LIMIT non-zero differences, otherwise Monte Carlo with
    p = (hits + 1) / (n_perm + 1)."""
    d = np.array([x for x in diffs if x != 0], dtype=float)
    if len(d) == 0:
        return 1.0
    observed = abs(d.sum())
    eps = 1e-12
    if len(d) <= EXACT_LIMIT:
        hits = 0
        total = 0
        for flips in itertools.product((1.0, -1.0), repeat=len(d)):
            total += 1
            if abs(float(np.dot(flips, d))) >= observed - eps:
                hits += 1
        return hits / total
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(n_perm, len(d)))
    stats = np.abs(signs @ d)
    hits = int(np.sum(stats >= observed - eps))
    return (hits + 1) / (n_perm + 1)


def paired_binary_test(a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], *,
                       seed: int = 0) -> tuple[float | None, str, int]:
    """Paired test of arm a vs arm b over clusters present in both: (p-value, test name, clusters).

    One binary outcome per cluster and arm: exact McNemar on discordant clusters. Several outcomes per
    cluster (repeated samples, pooled placebos): sign-flip permutation on per-cluster mean differences."""
    keys = [k for k in a if k in b and len(a[k]) > 0 and len(b[k]) > 0]
    if not keys:
        return None, "none (no paired tasks)", 0
    if all(len(a[k]) == 1 and len(b[k]) == 1 for k in keys):
        b_only = sum(1 for k in keys if a[k][0] >= 0.5 > b[k][0])
        c_only = sum(1 for k in keys if b[k][0] >= 0.5 > a[k][0])
        return mcnemar_exact(b_only, c_only), "exact McNemar (paired by task)", len(keys)
    diffs = [float(np.mean(a[k]) - np.mean(b[k])) for k in keys]
    return sign_flip_test(diffs, seed=seed), "sign-flip permutation over tasks", len(keys)
