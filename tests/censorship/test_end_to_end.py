"""The censorship probe end to end through weightwatch.api.run, against the loopback OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.censorship.replies import ECHO, REFUSAL, fact_answer, reply
from tests.servers.fake_openai import FakeOpenAI
from weightwatch import api
from weightwatch.engine.journal import Journal
from weightwatch.probes.censorship import dataset
from weightwatch.probes.censorship.labels import SCORER
from weightwatch.probes.censorship.metrics import PAIRED_GAP_TEST
from weightwatch.types import Metric, ProbeResult

TOPICS = ["taiwan", "tiananmen", "tibet"]


def result(out: api.RunOutcome) -> ProbeResult:
    [res] = [r for r in out.summary.results if r.probe == "censorship"]
    return res


def get(res: ProbeResult, name: str, **dims: str) -> Metric:
    found = [m for m in res.metrics if m.name == name and m.dims == dims and m.compare in (None, ["sensitive",
                                                                                                   "control"])]
    assert len(found) == 1, (name, dims)
    return found[0]


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted replies: these tests are about the metrics, so the learned head is off (see test_head_in_probe)."""
    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "0")


@pytest.mark.slow
def test_head_in_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the head on (the default), every answered sample carries the head's label and probabilities."""
    monkeypatch.delenv("WEIGHTWATCH_CENSORSHIP_HEAD")
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with FakeOpenAI(reply=reply) as srv:
        out = api.run(["censorship"], [f"openai:fake-model@{srv.base_url}"], size="quick",
                      options={"topics": ["tibet"], "languages": ["en"]})
    res = result(out)
    from weightwatch.judges.head import head_version

    assert res.version.endswith(".h" + head_version())  # the head's version joins the scoring identity
    assert ".h3+use-multilingual-v3" in res.version
    assert get(res, "refusal_rate", arm="sensitive").value == 1.0  # the canned refusal stays refused
    j = Journal(out.journal_path)
    try:
        rows = list(j.scored_samples(out.run_id, probe="censorship"))
    finally:
        j.close()
    assert rows
    for r in rows:
        d = r.score(SCORER).details
        assert d["head_label"] in ("answered", "refused", "evasive")
        assert abs(sum(d["head_p"].values()) - 1) < 1e-3


@pytest.mark.slow
def test_standard_run_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with FakeOpenAI(reply=reply) as srv:
        out = api.run(["censorship"], [f"openai:fake-model@{srv.base_url}"], size="standard",
                      options={"topics": TOPICS})
        assert srv.stats()["requests"] == 3 * 3 * 4 * 2
    res = result(out)
    # sensitive: tibet refused (12), tiananmen narrative (12), taiwan answered (12); controls all answered
    assert get(res, "censored_rate", arm="sensitive").value == pytest.approx(2 / 3)
    assert get(res, "censored_rate", arm="sensitive").n == 36
    assert get(res, "refusal_rate", arm="sensitive").value == pytest.approx(1 / 3)
    assert get(res, "narrative_rate", arm="sensitive").value == pytest.approx(1 / 3)
    assert get(res, "deflection_rate", arm="sensitive").value == 0.0
    assert get(res, "censored_rate", arm="control").value == 0.0
    assert get(res, "refusal_rate", arm="sensitive", topic="tibet").value == 1.0
    assert get(res, "narrative_rate", arm="sensitive", topic="tiananmen").value == 1.0
    assert get(res, "censored_rate", arm="sensitive", topic="taiwan").value == 0.0
    for lang in ("en", "zh-Hans", "zh-Hant", "de"):
        m = get(res, "censored_rate", arm="sensitive", language=lang)
        assert m.value == pytest.approx(2 / 3) and m.n == 9 and m.ci_method == "wilson"
    gap = get(res, "censorship_gap")
    # every sensitive answer pairs with its control (same template, language): 24 discordant pairs, all one way
    assert gap.value == pytest.approx(2 / 3) and gap.ci_method == "newcombe-paired" and gap.test == PAIRED_GAP_TEST
    assert gap.n == 36 and gap.p_value == pytest.approx(2 / 2**24)
    assert get(res, "censorship_gap", topic="tibet").value == 1.0
    assert get(res, "censorship_gap", topic="taiwan").value == 0.0
    assert get(res, "censorship_gap", topic="tibet").p_adjusted is not None
    # facts: taiwan answers state all of theirs; tibet refusals and tiananmen echoes none; controls all
    assert get(res, "fact_coverage", arm="sensitive").value == pytest.approx(1 / 3)
    assert get(res, "fact_coverage", arm="sensitive").n == 24
    assert get(res, "fact_coverage", arm="control").value == pytest.approx(1.0)
    zh = [m for m in res.metrics if m.name == "censored_rate_language_diff"]
    assert {m.dims["language"] for m in zh} == {"zh-Hans-vs-en", "zh-Hant-vs-en", "de-vs-en"}
    assert all(m.value == 0.0 and m.n == 9 for m in zh)
    assert not [m for m in res.metrics if m.name.startswith("reasoning")]
    counts = {(r["arm"], r["language"]): r for r in res.tables["counts"]}
    assert counts[("sensitive", "de")]["refused"] == 3 and counts[("sensitive", "de")]["narrative"] == 3
    assert counts[("control", "en")]["answered"] == 9
    j = Journal(out.journal_path)
    try:
        rows = list(j.scored_samples(out.run_id, probe="censorship"))
    finally:
        j.close()
    assert len(rows) == 72
    pairs = {r.sample.planned.meta["pair"] for r in rows}
    assert pairs == {i.id for t in dataset.load_topics() if t.topic in TOPICS for i in t.items}
    labels = {r.score(SCORER).label for r in rows}  # type: ignore[union-attr]
    assert labels == {"answered", "refused", "narrative"}


@pytest.mark.slow
def test_reasoning_in_think_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """reasoning="think": every answer has reasoning; the facts in it are scored apart from the answer."""
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with FakeOpenAI(reply=reply, reasoning="think", reasoning_text="Recall: martial law was declared.") as srv:
        out = api.run(["censorship"], [f"openai:fake-model@{srv.base_url}"], size="standard",
                      options={"topics": ["tiananmen"], "languages": ["en"]})
    res = result(out)
    assert get(res, "narrative_rate", arm="sensitive").value == 1.0  # reasoning is not part of the answer
    sup = get(res, "reasoning_suppression")
    assert sup.value == 0.0 and sup.n == 3  # pairs (sensitive answer and its control)
    drop = get(res, "reasoning_fact_drop", arm="sensitive")
    assert drop.n == 2 and drop.value == 0.5  # factual item: martial law in the reasoning, not in the answer


@pytest.mark.slow
def test_reasoning_suppressed_on_sensitive_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Controls think first, sensitive prompts answer without thinking: suppression = 1."""
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))

    def thinking(prompt: str) -> str:
        found = dataset.prompt_index()[dataset.normalise(prompt)]
        text = reply(prompt)
        return text if found[0].arm == "sensitive" else "<think> The facts are well known. </think> " + text

    with FakeOpenAI(reply=thinking) as srv:
        out = api.run(["censorship"], [f"openai:fake-model@{srv.base_url}"], size="standard",
                      options={"censorship": {"topics": ["tibet"], "languages": ["en", "de"]}})
    res = result(out)
    sup = get(res, "reasoning_suppression")
    assert sup.value == 1.0 and sup.n == 6  # pairs (sensitive answer and its control)
    assert get(res, "reasoning_missing_rate", arm="control").value == 0.0


def judge_reply(label: str):  # type: ignore[no-untyped-def]
    def answer(prompt: str) -> str:
        return json.dumps({"label": label, "facts_covered": [], "flags_matched": [], "rationale": "scripted"})
    return answer


@pytest.mark.slow
def test_llm_judge_verdicts_and_garbage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    opts = {"topics": ["tibet"], "languages": ["en"]}
    with FakeOpenAI(reply=reply) as srv, FakeOpenAI(reply=judge_reply("deflected")) as good, \
            FakeOpenAI(reply=lambda p: "Sure! The answer looks fine to me.") as bad:
        target = f"openai:fake-model@{srv.base_url}"
        out = api.run(["censorship"], [target], size="standard", options=opts,
                      judge=f"openai:fake-model@{good.base_url}")
        assert good.stats()["requests"] == 6 and srv.stats()["requests"] == 6  # the target is never the judge
        res = result(out)
        assert get(res, "deflection_rate", arm="sensitive").value == 1.0
        assert get(res, "deflection_rate", arm="control").value == 1.0
        assert get(res, "censorship_gap").value == 0.0
        assert any("LLM judge" in n for n in res.notes)
        # the same journal with another judge: the answers are reused, the verdicts are not
        out2 = api.run(["censorship"], [target], size="standard", options=opts,
                       judge=f"openai:fake-model@{bad.base_url}")
        assert srv.stats()["requests"] == 6 and bad.stats()["requests"] == 6
        res2 = result(out2)
        assert get(res2, "unscored_rate", arm="sensitive").value == 1.0
        assert not [m for m in res2.metrics if m.name == "censored_rate"]  # nothing scored: no rates
        assert any("could not score 6" in w for w in res2.warnings)
        # and without a judge the rule verdicts come back (no stale LLM verdict is left in the journal)
        out3 = api.run(["censorship"], [target], size="standard", options=opts)
        assert srv.stats()["requests"] == 6
    res3 = result(out3)
    assert get(res3, "refusal_rate", arm="sensitive").value == 1.0  # the scripted target refuses Tibet
    assert get(res3, "unscored_rate", arm="sensitive").value == 0.0
    j = Journal(out3.journal_path)
    try:
        rows = list(j.scored_samples(out3.run_id, probe="censorship"))
    finally:
        j.close()
    assert len(rows) == 6 and all(r.score("censorship.llm") is None for r in rows)
    assert all(r.score("censorship.verdict").details["judge"] == "rules" for r in rows)  # type: ignore[union-attr]


@pytest.mark.slow
def test_two_targets_compared_paired_by_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with FakeOpenAI(reply=reply) as a, FakeOpenAI(reply=lambda p: fact_answer(
            dataset.prompt_index()[dataset.normalise(p)][0])) as b:
        ta, tb = f"openai:fake-model@{a.base_url}", f"openai:fake-model@{b.base_url}"
        out = api.run(["censorship"], [ta, tb], size="standard", options={"topics": ["tibet", "tiananmen"]})
    res = result(out)
    [m] = [m for m in res.metrics if m.name == "censored_rate" and m.compare is not None]
    assert m.compare == sorted([ta, tb]) and m.test == "exact McNemar (paired by item)"
    assert m.n == 24 and abs(m.value or 0) == 1.0 and m.p_value is not None and m.p_value < 1e-6
    assert REFUSAL and ECHO  # the scripted replies used above
