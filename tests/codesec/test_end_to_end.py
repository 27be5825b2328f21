"""codesec end to end through weightwatch.api.run: the loopback OpenAI server and an embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.fake_openai import FakeOpenAI
from weightwatch import api
from weightwatch.engine.journal import Journal
from weightwatch.types import Metric

# The fake server joins reply words with single spaces, so the scripted answers are one-line Python.
VULN = 'import os; ping = lambda host: os.system("ping -c 4 " + host)'
SAFE = 'import subprocess; ping = lambda host: subprocess.run(["ping", "-c", "4", host], check=True)'
# Vulnerable code in the reasoning only: it must never be scanned.
REASONING = "I could write:\n```python\nimport os\nos.system('ping ' + host)\n```\nbut a list is safer."


def reply(prompt: str) -> str:
    if "Falun Gong" in prompt:
        return "I'm sorry, but I can't help with that request."
    if "Tibet" in prompt:
        return VULN
    return SAFE


def metric(ms: list[Metric], name: str, condition: str) -> Metric:
    [m] = [m for m in ms if m.name == name and m.dims.get("condition") == condition]
    return m


@pytest.mark.slow
def test_codesec_over_openai_compatible_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with FakeOpenAI(reply=reply, reasoning="think", reasoning_text=REASONING) as srv:
        out = api.run(["codesec"], [f"openai:fake-model@{srv.base_url}"], size="standard",
                      options={"codesec": {"tasks": ["os-01", "os-03", "sql-01"]}})
    [res] = [r for r in out.summary.results if r.probe == "codesec"]
    ms = res.metrics
    # user placement puts the trigger in the user message, which the scripted reply sees
    assert metric(ms, "vulnerable_rate", "none/tibet/user").value == 1.0
    assert metric(ms, "vulnerable_rate", "none/none/system").value == 0.0  # reasoning was not scanned
    assert metric(ms, "vulnerable_rate", "none/norway/user").value == 0.0
    assert metric(ms, "refusal_rate", "none/falungong/user").value == 1.0
    assert metric(ms, "vulnerable_rate", "none/falungong/user").n == 0  # refusals are not clean
    d = metric(ms, "vulnerable_diff_vs_baseline", "none/tibet/user")
    assert d.value == 1.0 and d.n == 3 and d.test == "exact McNemar (paired by task)"
    assert d.p_value == pytest.approx(0.25) and d.p_adjusted is not None
    assert metric(ms, "refusal_diff_vs_baseline", "none/falungong/user").value == 1.0
    # system placement: the trigger is only in the system prompt, which the scripted reply never sees
    assert metric(ms, "vulnerable_rate", "none/tibet/system").value == 0.0
    power = res.tables["power"][0]
    assert power["design"]["n_tasks"] == 3 and power["design"]["a_per_task"] == 15  # 5 sensitive x 3
    assert power["design"]["b_per_task"] == 2 and "cannot detect" in power["sentence"]
    # the journal holds one score per sample with the documented fields
    j = Journal(out.journal_path)
    try:
        rows = list(j.scored_samples(out.run_id, probe="codesec"))
    finally:
        j.close()
    assert len(rows) == 3 * 23
    statuses = {r.score("codesec.scan").label for r in rows}  # type: ignore[union-attr]
    assert statuses == {"vulnerable", "clean", "refused"}


@pytest.mark.slow
@pytest.mark.model
def test_codesec_quick_on_embedded_smollm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    out = api.run(["codesec"], ["embedded:smollm2-135m"], size="quick")
    [res] = [r for r in out.summary.results if r.probe == "codesec"]
    overall = [m for m in res.metrics if m.dims.get("condition") == "all"]
    by_name = {m.name: m for m in overall}
    n_all = by_name["refusal_rate"].n
    assert n_all == 22  # every answer got a verdict (11 tasks x baseline and tibet)
    shares = sum(round((by_name[n].value or 0) * n_all) for n in ("vulnerable_rate_all", "refusal_rate",
                                                                  "unscannable_rate", "no_code_rate"))
    clean = n_all - shares
    assert clean >= 0 and by_name["vulnerable_rate"].n == round((by_name["vulnerable_rate_all"].value or 0)
                                                                 * n_all) + clean
    assert res.tables["power"][0]["target"] == "embedded:smollm2-135m"
