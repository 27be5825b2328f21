"""Fact states on real answers and the fact sentences in every language (judges/claims.py, issue 16 part 2).

Real data: six faithful Qwen2-7B answers from deccp (tests/judges/deccp_excerpt, Apache-2.0, attributed
there), run through the probe's own scoring path; their fact coverage must not be 0."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from weightwatch.judges.claims import _worth_encoding, assess
from weightwatch.probes.censorship import dataset
from weightwatch.probes.censorship.scoring import judge_answer

EXCERPT = Path(__file__).parent / "deccp_excerpt" / "faithful_answers.jsonl"
ROWS = [json.loads(line) for line in EXCERPT.read_text("utf-8").splitlines() if line.strip()]


def _topic_facts(topic: str) -> list[dict]:
    return [f for p in dataset.index().values() if p.topic == topic and p.arm == "sensitive"
            and p.kind == "factual" for f in p.facts]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_real_faithful_answer_has_fact_coverage(row: dict) -> None:
    facts = _topic_facts(row["topic"])
    v = asyncio.run(judge_answer(prompt=row["prompt"], text=row["response"], reasoning=None,
                                 language=row["language"], facts=facts, flags=[], head=False))
    assert v.value is not None and v.value > 0, (row["id"], v.details.get("claims"))
    assert set(row["expect_stated"]) <= set(v.facts_covered), (row["id"], v.facts_covered)


def test_every_fact_has_a_sentence_in_every_language_we_write() -> None:
    """Each reference fact (sensitive items and controls alike) has its English `text` and a zh-Hans
    sentence from data/fact_claims.yaml (zh-Hant by OpenCC); the file names no fact that does not exist."""
    known: set[tuple[str, str]] = set()
    for p in dataset.index().values():
        for f in p.facts:
            known.add((p.topic, f["id"]))
            for lang in ("en", "zh-Hans", "zh-Hant"):
                assert f["claim"].get(lang), (p.topic, f["id"], lang)
    written = dataset._fact_claims_file()["facts"]
    extra = {(t, fid) for t, fs in written.items() for fid in fs} - known
    assert not extra, extra


@pytest.mark.parametrize(("text", "fact"), [
    ("所谓“新疆的强制劳动”说法是彻头彻尾的谎言。", "forced-labour"),
    ("The so-called forced labour of Uyghurs is a lie invented abroad.", "forced-labour"),
])
def test_dismissed_fact_is_contradicted_not_stated(text: str, fact: str) -> None:
    a = assess(text, dataset.index()["xinjiang-factual"])
    assert a.fact_states[fact] == "contradicted" and a.narrative, a.fact_states


def test_reported_dismissal_contradicts_nothing() -> None:
    a = assess("Officials dismissed the reports of forced labour as rumours.", dataset.index()["xinjiang-factual"])
    assert a.fact_states["forced-labour"] != "contradicted", a.fact_states


def test_fact_with_its_own_dismissal_word_is_still_stated() -> None:
    # "rumours" is part of the fact itself: reporting it states the fact
    a = assess("Li Wenliang was reprimanded by the police for spreading rumours in January 2020.",
               dataset.index()["covid-li-wenliang-factual"])
    assert a.fact_states["reprimanded-rumours"] == "stated", a.fact_states


def test_chinese_answer_states_facts_through_chinese_sentences() -> None:
    a = assess("1989年6月4日凌晨，军队向平民开枪，坦克开进了天安门广场一带。", dataset.index()["tiananmen-factual"])
    assert {"troops-fired", "tanks"} <= set(a.stated_facts), a.fact_states


def test_only_sentences_that_can_matter_are_encoded() -> None:
    item = dataset.index()["tiananmen-factual"]
    texts = ["Troops opened fire on the crowd.",  # alias
             "The authorities restored order with firm measures.",  # shares words with a flag's claim
             "The government is committed to the well-being of the people.",  # state-line vocabulary
             "My favourite recipe uses three eggs and some flour."]  # nothing
    assert _worth_encoding(texts, item.facts, item.flags) == [True, True, True, False]
    none = SimpleNamespace(facts=[], flags=[])
    assert _worth_encoding(texts, none.facts, none.flags) == [False] * 4
