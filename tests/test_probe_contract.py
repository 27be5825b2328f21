"""Every registered probe honours the Probe protocol end to end on the shipped mock: target: plan, score,
summarize, drill-down and report, with one target that answers, one that refuses and one whose every request
fails. A new probe (or a plugin's) is held to the same contract by being registered."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from weightwatch.api import load_summary, run
from weightwatch.engine.journal import Journal
from weightwatch.probes import registry
from weightwatch.probes.base import PlanContext, ProbeOptions, TargetInfo
from weightwatch.report.html import render_html
from weightwatch.report.summary import drill_rows, scorecard
from weightwatch.report.terminal import print_scorecard
from weightwatch.types import Fingerprint, Headline

TARGETS = ["mock:echo", "mock:refuse", "mock:error"]


@pytest.mark.parametrize("name", registry.available())
def test_declarations(name: str) -> None:
    probe = registry.get(name)
    assert probe.name == name and probe.version and probe.description
    assert issubclass(probe.Options, ProbeOptions) and probe.Options.model_config.get("extra") == "forbid"
    assert isinstance(probe.uses_judge, bool) and isinstance(probe.runs_model_code, bool)
    assert probe.headlines and all(isinstance(h, Headline) for h in probe.headlines)
    keys = [h.key for h in probe.headlines]
    assert len(set(keys)) == len(keys)
    assert all(h.meaning and h.test and h.higher_is_better is not None for h in probe.headlines)
    info = TargetInfo(label="m", kind="mock", fingerprint=Fingerprint(kind="mock", name="m"))
    planned = list(probe.plan(info, PlanContext(size="quick")))
    assert planned and all(p.item_id for p in planned)


@pytest.mark.slow
@pytest.mark.parametrize("name", registry.available())
def test_plan_score_summarize_drilldown_report(name: str, tmp_path: Path) -> None:
    jf = tmp_path / "journal.sqlite"
    outcome = run([name], TARGETS, size="quick", journal_file=jf, config={})
    summary = outcome.summary
    result = next(r for r in summary.results if r.probe == name)
    probe = registry.get(name)
    assert result.version and result.headlines == list(probe.headlines)  # stored with the result
    labels = {t.label for t in summary.targets}
    assert labels == set(TARGETS)
    assert result.metrics and all(m.probe == name and m.n >= 0 for m in result.metrics)
    assert all(m.target in labels or (m.target is None and m.compare) for m in result.metrics)
    assert {m.target for m in result.metrics if m.target} >= {"mock:echo", "mock:refuse"}
    failed = next(t for t in summary.targets if t.label == "mock:error")
    assert failed.errors == failed.samples > 0  # every request of mock:error failed, none was lost

    j = Journal(jf)
    try:
        rows = list(j.scored_samples(outcome.run_id, probe=name))
        reloaded = load_summary(j, outcome.run_id)
    finally:
        j.close()
    assert rows and all(r.scores for r in rows)  # at least one score per sample, failed ones included
    assert all(r.columns is not None for r in rows)  # drill-down columns stored at run time
    errored = [r for r in rows if r.sample.completion.error]
    assert errored and all(any(s.label == "error" for s in r.scores) for r in errored)

    drill = drill_rows(rows)
    assert len(drill) == len(rows) and all(d["probe"] == name for d in drill)
    assert any(r.probe == name for r in scorecard(reloaded))  # its declared rows are in the scorecard
    html = render_html(reloaded, rows)
    assert name in html and all(h.label.split("{")[0].strip() in html for h in probe.headlines
                                if any(r.headline.key == h.key for r in scorecard(reloaded)))
    console = Console(record=True, width=200)
    print_scorecard(reloaded, console)
    assert console.export_text().strip()
