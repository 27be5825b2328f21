"""Closed-form intervals used where a cluster bootstrap has no spread: Wilson at 0 and n, paired Newcombe."""

from __future__ import annotations

import pytest

from weightwatch.stats.bootstrap import cluster_bootstrap, no_spread, paired_cluster_bootstrap
from weightwatch.stats.proportions import newcombe_paired, wilson


def test_wilson_exists_at_zero_and_n() -> None:
    p, lo, hi = wilson(0, 20)
    assert (p, lo) == (0.0, 0.0) and hi == pytest.approx(0.1611, abs=1e-4)
    p, lo, hi = wilson(20, 20)
    assert (p, hi) == (1.0, 1.0) and lo == pytest.approx(0.8389, abs=1e-4)


def test_newcombe_paired_worked_example() -> None:
    # Newcombe (1998), Stat Med 17:2635, Table II example: 36 both, 12 first only, 2 second only, 0 neither
    d, lo, hi = newcombe_paired(36, 12, 2, 0)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0569, 0.3404), abs=1e-4)


def test_newcombe_paired_at_the_edges() -> None:
    d, lo, hi = newcombe_paired(8, 8, 0, 0)  # 16/16 vs 8/16 on the same items
    assert d == 0.5 and lo is not None and hi is not None and 0 < lo < 0.5 < hi < 1
    d, lo, hi = newcombe_paired(0, 0, 0, 20)  # 0/20 vs 0/20: an interval around 0, as wide as Wilson's
    assert d == 0.0 and (lo, hi) == pytest.approx((-wilson(0, 20)[2], wilson(0, 20)[2]))  # type: ignore[operator]
    assert newcombe_paired(0, 0, 0, 0) == (None, None, None)


def test_no_spread_is_what_the_bootstrap_returns_for_equal_clusters() -> None:
    _, lo, hi = cluster_bootstrap({"a": [0.0, 0.0], "b": [0.0, 0.0]})
    assert no_spread(lo, hi)
    _, lo, hi = paired_cluster_bootstrap({"a": [1.0, 1.0], "b": [1.0, 1.0]}, {"a": [1.0, 0.0], "b": [0.0, 1.0]})
    assert no_spread(lo, hi)  # both items differ by +50%: not "all values equal", yet no spread
    _, lo, hi = cluster_bootstrap({"a": [1.0], "b": [0.0], "c": [1.0]})
    assert not no_spread(lo, hi) and not no_spread(None, None)
