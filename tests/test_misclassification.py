"""Rogan-Gladen correction of a judge-based rate."""

from __future__ import annotations

import math

import pytest

from weightwatch.stats.misclassification import rogan_gladen


def test_perfect_judge_changes_nothing() -> None:
    c = rogan_gladen(30, 100, 50, 50, 80, 80)
    assert c is not None and c.value == pytest.approx(0.3) and c.raw == pytest.approx(0.3)
    # only the sampling variance of p remains: the Wald half-width
    assert c.hi - c.value == pytest.approx(1.959964 * math.sqrt(0.3 * 0.7 / 100), rel=1e-4)


def test_known_values() -> None:
    # Se 0.8, Sp 0.9, observed 0.31: theta = (0.31 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.3
    c = rogan_gladen(31, 100, 80, 100, 90, 100)
    assert c is not None and c.value == pytest.approx(0.3)
    var = (0.31 * 0.69 / 100 + 0.3 ** 2 * 0.8 * 0.2 / 100 + 0.7 ** 2 * 0.9 * 0.1 / 100) / 0.7 ** 2
    assert c.hi - c.value == pytest.approx(1.959964 * math.sqrt(var), rel=1e-4)
    # a judge that misses refusals makes the observed rate a lower bound: the correction raises it
    low = rogan_gladen(20, 100, 50, 100, 99, 100)
    assert low is not None and low.value > 0.2


def test_clipped_and_undefined() -> None:
    c = rogan_gladen(0, 50, 90, 100, 80, 100)  # observed below 1 - Sp: raw estimate negative
    assert c is not None and c.raw < 0 and c.value == 0.0 and c.lo == 0.0
    assert rogan_gladen(10, 100, 50, 100, 50, 100) is None  # Se + Sp = 1: no information
    assert rogan_gladen(10, 0, 5, 10, 5, 10) is None
    assert rogan_gladen(10, 100, 0, 0, 5, 10) is None
