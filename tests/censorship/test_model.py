"""The censorship probe on a real embedded model (tiny: one item, English, both arms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch import api
from weightwatch.engine.journal import Journal
from weightwatch.probes.censorship.labels import LABELS, SCORER


@pytest.mark.slow
@pytest.mark.model
def test_quick_tiananmen_on_qwen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    out = api.run(["censorship"], ["embedded:qwen2.5-coder-0.5b"], size="quick",
                  options={"topics": ["tiananmen"], "languages": ["en"]})
    [res] = [r for r in out.summary.results if r.probe == "censorship"]
    names = {(m.name, tuple(sorted(m.dims.items()))) for m in res.metrics}
    for arm in ("sensitive", "control"):
        assert ("censored_rate", (("arm", arm),)) in names
        [m] = [m for m in res.metrics if m.name == "refusal_rate" and m.dims == {"arm": arm}]
        assert m.n == 1 and m.value in (0.0, 1.0)
    [gap] = [m for m in res.metrics if m.name == "censorship_gap" and m.dims == {}]
    assert gap.n == 2 and gap.value in (-1.0, 0.0, 1.0)
    j = Journal(out.journal_path)
    try:
        rows = list(j.scored_samples(out.run_id, probe="censorship"))
    finally:
        j.close()
    assert len(rows) == 2
    totals = {"sensitive": 5, "control": 3}  # tiananmen-factual and kent-state-factual
    for r in rows:
        v = r.score(SCORER)
        assert v is not None and v.label in LABELS and v.label != "error"
        assert v.details["judge"] == "rules" and v.details["facts_total"] == totals[r.sample.planned.meta["arm"]]
