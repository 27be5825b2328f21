"""The censorship gap is tested paired (sensitive and control answer of one template): exact McNemar and
Newcombe's paired interval, checked against hand-computed values; unpaired only when answers do not pair up;
too few discordant pairs read "not enough data to tell"."""

from __future__ import annotations

import pytest

from tests.censorship.helpers import scored
from weightwatch.probes.censorship.metrics import PAIRED_GAP_TEST, UNPAIRED_GAP_TEST, summarize
from weightwatch.report.summary import undecided, undecided_text
from weightwatch.stats.mde import mde_paired, mde_two_proportions, n_pairs
from weightwatch.types import Metric, ProbeResult, ScoredSample


def gap_of(rows: list[ScoredSample]) -> tuple[Metric, ProbeResult]:
    res = ProbeResult(probe="censorship", version="t")
    summarize(res, {"A": rows}, repeated=False)
    [g] = [m for m in res.metrics if m.name == "censorship_gap" and m.dims == {} and m.target == "A"]
    return g, res


def pairs(both: int, only_s: int, only_c: int, neither: int, *, paired: bool = True) -> list[ScoredSample]:
    """A 2x2 table of sensitive/control pairs as scored answers (censored = refused)."""
    cells = [(True, True)] * both + [(True, False)] * only_s + [(False, True)] * only_c + [(False, False)] * neither
    out = []
    for i, (s, c) in enumerate(cells):
        out.append(scored(f"s{i}", "refused" if s else "answered", pair=f"s{i}"))
        # paired=False: the control carries no pair id (e.g. a journal from before pairs were recorded)
        out.append(scored(f"c{i}", "refused" if c else "answered", "control", pair=f"s{i}" if paired else None))
    return out


def test_paired_gap_against_hand_computed_example() -> None:
    # Newcombe (1998, Stat Med 17:2635) Table II: 36 both, 12 first only, 2 second only, 0 neither (n = 50).
    # By hand: gap = (12 - 2) / 50 = 0.2; interval 0.0569 to 0.3404 (Newcombe's published figures);
    # exact McNemar on the 14 discordant pairs: 2 * P(X <= 2 | 14, 1/2) = 2 * (1 + 14 + 91) / 2^14 = 0.012939
    g, res = gap_of(pairs(36, 12, 2, 0))
    assert g.test == PAIRED_GAP_TEST and g.ci_method == "newcombe-paired"
    assert g.n == 50  # pairs
    assert g.value == pytest.approx(0.2)
    assert (g.ci_low, g.ci_high) == pytest.approx((0.0569, 0.3404), abs=1e-4)
    assert g.p_value == pytest.approx(212 / 16384)
    assert g.significant and g.cannot_tell is None
    assert "discordant 12 (only sensitive) vs 2 (only control)" in (g.note or "")
    # the design's power: Connor's formula on the discordant share seen (14/50)
    assert g.mde == pytest.approx(mde_paired(14 / 50, 50))
    assert g.n_needed == n_pairs(14 / 50, 0.2)
    assert not any("tested unpaired" in w for w in res.warnings)


def test_paired_beats_unpaired_when_answers_correlate_within_a_template() -> None:
    # 32 pairs, 8 discordant all one way: censored 14/32 vs 6/32. Unpaired (Fisher) does not reach 0.05;
    # paired (exact McNemar, 8 vs 0: 2 / 2^8 = 0.0078) does.
    g, _ = gap_of(pairs(6, 8, 0, 18))
    assert g.test == PAIRED_GAP_TEST and g.p_value == pytest.approx(2 / 256)
    u, _ = gap_of(pairs(6, 8, 0, 18, paired=False))
    assert u.test == UNPAIRED_GAP_TEST
    assert g.value == pytest.approx(u.value) and u.p_value is not None and u.p_value > 0.05
    assert g.mde is not None and u.mde is not None and g.mde < u.mde


def test_unpaired_fallback_says_so() -> None:
    g, res = gap_of(pairs(6, 8, 0, 18, paired=False))
    assert g.test == UNPAIRED_GAP_TEST and g.ci_method == "newcombe"
    assert g.n == 64  # answers, not pairs
    assert "unpaired: 0 of 32 answers have their control partner" in (g.note or "")
    assert any("tested unpaired" in w for w in res.warnings)
    assert g.mde == pytest.approx(mde_two_proportions((14 / 32 + 6 / 32) / 2, 32))
    assert g.n_needed is not None and g.n_needed % 2 == 0  # both arms


def test_partial_pairs_stay_paired_above_the_share_and_say_what_was_left_out() -> None:
    rows = pairs(6, 8, 0, 18)
    rows.append(scored("s99", "refused", pair="s99"))  # a sensitive answer whose control failed
    g, _ = gap_of(rows)
    assert g.test == PAIRED_GAP_TEST and g.n == 32
    assert "1 answer(s) without their partner left out" in (g.note or "")


def test_too_few_discordant_pairs_read_not_enough_data_to_tell() -> None:
    # 3 vs 0 discordant of 32: the interval does not reach -10 points, yet exact McNemar cannot reach
    # p < 0.05 with 3 discordant pairs (2 / 2^3 = 0.25): the sample cannot support a claim
    g, res = gap_of(pairs(2, 3, 0, 27))
    assert g.p_value == pytest.approx(0.25)
    assert g.ci_low is not None and g.ci_low > -0.10
    assert g.cannot_tell == "only 3 discordant pair(s): exact McNemar cannot reach p < 0.05 with fewer than 6"
    assert undecided(g)
    text = undecided_text(g)
    assert text.startswith("not enough data to tell (only 3 discordant pair(s)")
    assert f"needs n≈{g.n_needed}, has 32" in text
    assert any("not enough data to tell" in w and "only 3 discordant" in w for w in res.warnings)


def test_wide_paired_gap_names_its_detectable_effect() -> None:
    # 6 vs 4 discordant of 32: +6.2%, interval about -14 to +26 points, p = 0.75: undecided by its interval;
    # the cell names what the paired design could detect and the pairs the gap seen would need
    g, res = gap_of(pairs(2, 6, 4, 20))
    assert g.ci_low is not None and g.ci_low < -0.10 and g.cannot_tell is None
    assert undecided(g) and g.mde is not None and g.n_needed is not None
    assert g.mde == pytest.approx(mde_paired(10 / 32, 32)) and g.n_needed == n_pairs(10 / 32, 2 / 32)
    assert undecided_text(g) == (f"not enough data to tell (cannot detect an effect smaller than "
                                 f"{100 * g.mde:.1f} points; needs n≈{g.n_needed}, has 32)")
    # the warning says it in the paired design's terms too
    assert any(f"the paired design cannot detect a gap smaller than {100 * g.mde:.1f} points" in w
               and f"would need ~{g.n_needed} pairs" in w for w in res.warnings)
