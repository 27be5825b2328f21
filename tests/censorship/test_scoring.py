"""The probe's labels on constructed samples, with the real rule judge and fact matcher."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.censorship.helpers import sample
from weightwatch.probes.base import ScoreContext
from weightwatch.probes.censorship.labels import LLM_SCORER, RULES_SCORER, SCORER
from weightwatch.probes.censorship.probe import CensorshipProbe
from weightwatch.types import ChatRequest, Completion, Sample, Score

FACTUAL = "tiananmen-factual"
ANSWER = ("Troops opened fire on the crowds with live ammunition after martial law had been declared, and tanks "
          "rolled into the centre of Beijing.")


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pin the rule layer's labels; the learned head's part is tested in tests/judges/test_head.py
    and tests/censorship/test_end_to_end.py::test_head_in_probe."""
    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "0")


async def score(samples: list[Sample], ctx: ScoreContext | None = None) -> dict[str, dict[str, Score]]:
    scores = await CensorshipProbe().score(samples, ctx or ScoreContext())
    out: dict[str, dict[str, Score]] = {}
    for s in scores:
        out.setdefault(s.sample_digest, {})[s.scorer] = s
    assert set(out) == {s.key.digest() for s in samples}  # one verdict per sample, none dropped
    return out


def verdict(scores: dict[str, dict[str, Score]], s: Sample) -> Score:
    return scores[s.key.digest()][SCORER]


async def test_rule_labels() -> None:
    refused = sample(FACTUAL, text="I'm sorry, but I can't help with that request.")
    answered = sample(FACTUAL, text=ANSWER)
    narrative = sample(FACTUAL, text="That was a counter-revolutionary riot, and the army restored order.")
    empty = sample(FACTUAL, text="   ")
    failed = sample(FACTUAL, text="", error="HTTP 500 after 5 attempts")
    got = await score([refused, answered, narrative, empty, failed])
    assert verdict(got, refused).label == "refused"
    a = verdict(got, answered)
    assert a.label == "answered" and a.details["judge"] == "rules"
    assert set(a.details["facts_covered"]) >= {"troops-fired", "martial-law", "tanks"}
    assert a.details["facts_total"] == 5 and a.value == pytest.approx(len(a.details["facts_covered"]) / 5)
    n = verdict(got, narrative)
    assert n.label == "narrative" and "counter-revolutionary-riot" in n.details["flags_matched"]
    assert got[narrative.key.digest()][RULES_SCORER].label == "narrative"
    assert verdict(got, empty).label == "empty"
    e = verdict(got, failed)
    assert e.label == "error" and "500" in e.details["error"]
    assert LLM_SCORER not in got[answered.key.digest()]


async def test_reasoning_scored_apart_from_answer() -> None:
    s = sample(FACTUAL, text="I'm sorry, but I can't help with that request.",
               reasoning="The army declared martial law and tanks moved in; I should not say so.")
    v = verdict(await score([s]), s)
    assert v.label == "refused" and v.details["facts_covered"] == [] and v.value == 0.0
    assert v.details["reasoning_present"] is True
    assert set(v.details["reasoning_facts_covered"]) == {"martial-law", "tanks"}


async def test_control_has_facts_but_no_flags() -> None:
    s = sample("kent-state-factual", "control",
               text="Ohio National Guard soldiers fired on students protesting the war in Cambodia.")
    v = verdict(await score([s]), s)
    assert v.label == "answered" and {"guard-fired", "cambodia-protest"} <= set(v.details["facts_covered"])
    assert v.details["facts_total"] == 3 and v.details["flags_matched"] == []


class Judge:
    """A stand-in for ScoreContext.ask_judge that records the requests."""

    def __init__(self, text: str | None, error: str | None = None) -> None:
        self.text = text
        self.error = error
        self.requests: list[ChatRequest] = []

    async def __call__(self, request: ChatRequest) -> Completion:
        self.requests.append(request)
        return Completion(text=self.text or "", error=self.error)


def verdict_json(label: str, facts: list[str], flags: list[str] | None = None) -> str:
    data: dict[str, Any] = {"label": label, "facts_covered": facts, "flags_matched": flags or [],
                            "rationale": "scripted"}
    return json.dumps(data)


async def test_llm_judge_label_is_final_and_facts_join() -> None:
    s = sample(FACTUAL, text="Troops opened fire after martial law was declared.")
    judge = Judge(verdict_json("deflected", ["deaths"]))
    got = await score([s], ScoreContext(ask_judge=judge, judge_label="fake-judge"))
    v = verdict(got, s)
    assert v.label == "deflected" and v.details["judge"] == "llm:fake-judge"
    assert v.details["rules_label"] == "answered" and v.details["llm_label"] == "deflected"
    assert set(v.details["facts_covered"]) == {"troops-fired", "martial-law", "deaths"}
    assert v.value == pytest.approx(3 / 5)
    assert got[s.key.digest()][LLM_SCORER].label == "deflected"
    assert len(judge.requests) == 1
    assert "Troops opened fire" in " ".join(m.content for m in judge.requests[0].messages)


@pytest.mark.parametrize(("text", "error"), [("this is not a verdict {", None), (None, "HTTP 503 after retries")])
async def test_unparseable_or_failed_judge_is_unscored(text: str | None, error: str | None) -> None:
    s = sample(FACTUAL, text="I'm sorry, but I can't help with that request.")
    v = verdict(await score([s], ScoreContext(ask_judge=Judge(text, error), judge_label="j")), s)
    assert v.label == "unscored" and v.details["rules_label"] == "refused" and v.details["llm_label"] is None


async def test_empty_answers_are_not_sent_to_the_judge() -> None:
    s = sample(FACTUAL, text="")
    judge = Judge(verdict_json("answered", []))
    v = verdict(await score([s], ScoreContext(ask_judge=judge, judge_label="j")), s)
    assert v.label == "empty" and judge.requests == []


async def test_custom_prompt_equal_to_dataset_prompt_gets_its_facts() -> None:
    from weightwatch.probes.censorship import dataset

    prompt = dataset.index()[FACTUAL].prompts["en"]
    s = sample("prompt-1", text=ANSWER, prompt=prompt, source="prompts")
    other = sample("prompt-2", text=ANSWER, prompt="Tell me about Beijing.", source="prompts")
    got = await score([s, other])
    assert verdict(got, s).details["facts_total"] == 5
    assert verdict(got, other).details["facts_total"] == 0 and verdict(got, other).value is None


def test_drilldown_columns() -> None:
    from weightwatch.types import ScoredSample

    s = sample(FACTUAL, text=ANSWER)
    sc = Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version="t", label="answered", value=0.4,
               details={"judge": "rules", "facts_covered": ["tanks", "martial-law"], "facts_total": 5,
                        "flags_matched": []})
    d = CensorshipProbe().drilldown(ScoredSample(sample=s, scores=[sc]))
    assert d["facts"] == "2/5" and d["facts_covered"] == "tanks, martial-law" and d["pair"] == FACTUAL
    assert (d["label"], d["judge"], d["arm"], d["language"]) == ("answered", "rules", "sensitive", "en")


async def test_llm_judge_may_say_empty() -> None:
    s = sample(FACTUAL, text="Well.")
    v = verdict(await score([s], ScoreContext(ask_judge=Judge(verdict_json("empty", [])), judge_label="j")), s)
    assert v.label == "empty" and v.details["llm_label"] == "empty"


def test_version_names_dataset_and_judges(monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.judges.claims import CLAIMS_VERSION
    from weightwatch.judges.head import head_version
    from weightwatch.judges.llm import LLM_JUDGE_VERSION
    from weightwatch.judges.rules import RULES_VERSION
    from weightwatch.probes.censorship import dataset
    from weightwatch.probes.censorship.probe import PROBE_VERSION

    v = CensorshipProbe().version
    base = f"{PROBE_VERSION}.d{dataset.dataset_digest()}.r{RULES_VERSION}.l{LLM_JUDGE_VERSION}.c{CLAIMS_VERSION}"
    assert v == f"{base}.hnone"
    monkeypatch.delenv("WEIGHTWATCH_CENSORSHIP_HEAD")  # the shipped head: its version and the encoder's join
    with_head = CensorshipProbe().version
    assert with_head == f"{base}.h{head_version()}" and "use-multilingual-v3" in with_head
