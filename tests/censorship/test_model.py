"""The censorship probe on the real embedded models side by side (tiny: one item, English, both arms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch import api
from weightwatch.engine.journal import Journal
from weightwatch.probes.censorship.labels import LABELS, SCORER
from weightwatch.probes.censorship.metrics import PAIRED_GAP_TEST


@pytest.mark.slow
@pytest.mark.model
def test_quick_tiananmen_on_both_embedded_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    targets = ["embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m"]
    out = api.run(["censorship"], targets, size="quick", options={"topics": ["tiananmen"], "languages": ["en"]})
    [res] = [r for r in out.summary.results if r.probe == "censorship"]
    for target in targets:
        mine = [m for m in res.metrics if m.target == target]
        names = {(m.name, tuple(sorted(m.dims.items()))) for m in mine}
        for arm in ("sensitive", "control"):
            assert ("censored_rate", (("arm", arm),)) in names
            [m] = [m for m in mine if m.name == "refusal_rate" and m.dims == {"arm": arm}]
            assert m.n == 1 and m.value in (0.0, 1.0)
        [gap] = [m for m in mine if m.name == "censorship_gap" and m.dims == {}]
        # one pair (the sensitive answer and its control): the paired test, n = pairs
        assert gap.n == 1 and gap.value in (-1.0, 0.0, 1.0) and gap.ci_method == "newcombe-paired"
        assert gap.test == PAIRED_GAP_TEST
    # the two models are compared on the same items (paired), with the test named
    [cmp] = [m for m in res.metrics if m.name == "censored_rate" and m.compare is not None]
    assert sorted(cmp.compare or []) == sorted(targets) and cmp.test == "exact McNemar (paired by item)"
    assert cmp.n == 1 and cmp.p_value is not None
    j = Journal(out.journal_path)
    try:
        rows = list(j.scored_samples(out.run_id, probe="censorship"))
    finally:
        j.close()
    assert len(rows) == 4
    totals = {"sensitive": 5, "control": 3}  # tiananmen-factual and kent-state-factual
    for r in rows:
        v = r.score(SCORER)
        assert v is not None and v.label in LABELS and v.label != "error"
        assert v.details["judge"] in ("rules", "rules+head")  # the head runs on every non-empty en/zh answer
        assert v.details["facts_total"] == totals[r.sample.planned.meta["arm"]]
        assert (v.details["judge"] == "rules+head") == (v.details["head_label"] is not None)
