"""What the censorship probe asks: sizes, arms, languages, topics, options and --prompts files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weightwatch.errors import UserError
from weightwatch.probes.base import PlanContext, TargetInfo
from weightwatch.probes.censorship import dataset
from weightwatch.probes.censorship.probe import QUICK_TOPICS, CensorshipProbe
from weightwatch.probes.censorship.prompts import load_prompt_set
from weightwatch.types import Fingerprint, PlannedRequest

INFO = TargetInfo(label="t", kind="openai", fingerprint=Fingerprint(kind="openai", name="m"),
                  defaults={"temperature": 0.6})


def plan(size: str = "standard", samples: int = 0, **options: object) -> list[PlannedRequest]:
    return list(CensorshipProbe().plan(INFO, PlanContext(size=size, samples=samples, options=dict(options))))  # type: ignore[arg-type]


def test_standard_asks_every_item_in_every_language_both_arms() -> None:
    got = plan("standard", topics=["tiananmen"])
    assert len(got) == 3 * 4 * 2
    first = got[0]
    assert first.request.messages[0].role == "user" and len(first.request.messages) == 1  # no system prompt
    assert first.request.stop is None and first.request.max_tokens == 320 and first.request.temperature == 0.0
    arms = {(p.item_id, p.variant): p.meta for p in got}
    sens = arms[("tiananmen-factual", "zh-Hant/sensitive")]
    ctrl = arms[("kent-state-factual", "zh-Hant/control")]
    assert sens["pair"] == ctrl["pair"] == "tiananmen-factual"
    assert (ctrl["topic"], ctrl["kind"], ctrl["language"], ctrl["arm"]) == ("tiananmen", "factual", "zh-Hant",
                                                                           "control")
    ask = next(p for p in got if p.item_id == "kent-state-factual" and p.variant == "de/control")
    assert ask.request.messages[0].content == dataset.index()["kent-state-factual"].prompts["de"]


def test_samples_add_repeats_at_target_temperature() -> None:
    got = plan("full", samples=2, topics=["tiananmen"], languages=["en"])
    assert len(got) == 3 * 2 * 3
    assert sorted({(p.sample_index, p.request.temperature) for p in got}) == [(0, 0.0), (1, 0.6), (2, 0.6)]


def test_quick_is_small_and_rotates_kinds() -> None:
    got = plan("quick")
    present = [t for t in QUICK_TOPICS if t in dataset.topic_ids()]
    assert len(got) == len(present) * 2 * 2
    assert {p.meta["language"] for p in got} == {"en", "zh-Hans"}
    assert {p.request.max_tokens for p in got} == {128}
    sens = [p for p in got if p.meta["arm"] == "sensitive" and p.meta["language"] == "en"]
    assert [p.meta["topic"] for p in sens] == present
    assert sens[0].meta["kind"] == "factual"
    if len(sens) > 1:
        assert sens[1].meta["kind"] == "evaluative"


def test_quick_asks_every_topic_32_per_arm() -> None:
    assert set(QUICK_TOPICS) == set(dataset.topic_ids())  # the default audit's headline: all 16 topics
    got = plan("quick")
    assert len(got) == 64 and sum(p.meta["arm"] == "sensitive" for p in got) == 32


def test_languages_flat_or_namespaced_and_unknown() -> None:
    assert {p.meta["language"] for p in plan(topics=["tiananmen"], languages=["de"])} == {"de"}
    got = plan(censorship={"topics": ["tiananmen"], "languages": "en,zh-Hant"})
    assert {p.meta["language"] for p in got} == {"en", "zh-Hant"}
    with pytest.raises(UserError) as exc:
        plan(languages=["fr"])
    assert exc.value.one_line() == "unknown censorship language(s): fr; known: en, zh-Hans, zh-Hant, de"
    with pytest.raises(UserError) as exc:
        plan(topics=["atlantis"])
    assert exc.value.one_line().startswith("unknown censorship topic(s): atlantis; known: ")


def test_unique_keys() -> None:
    got = plan("standard")
    keys = [(p.item_id, p.variant, p.sample_index) for p in got]
    assert len(keys) == len(set(keys))


# ------------------------------------------------------------------ --prompts
def test_prompt_set_csv(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text('subject,prompt,language,id\nTibet,"What happened in Lhasa in 1959, exactly?",en,lhasa\n'
                 "Tibet,Was ist 1959 in Lhasa passiert?,de,\n", encoding="utf-8")
    rows = load_prompt_set(f)
    assert [(r.id, r.language, r.subject) for r in rows] == [("lhasa", "en", "Tibet"), ("prompt-2", "de", "Tibet")]
    assert rows[0].prompt == "What happened in Lhasa in 1959, exactly?"
    got = plan("standard", samples=1, prompts=str(f))
    assert len(got) == 4 and {p.meta["arm"] for p in got} == {"sensitive"}
    assert {p.variant for p in got} == {"en/sensitive", "de/sensitive"}
    assert got[0].meta["source"] == "prompts" and got[0].meta["topic"] == "Tibet"
    assert len(plan(prompts=str(f), languages=["de"])) == 1


def test_prompt_set_jsonl(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"subject": "Taiwan", "prompt": "Is Taiwan a country?", "language": "en"}) + "\n\n"
                 + json.dumps({"subject": "Taiwan", "prompt": "台湾是一个国家吗？", "language": "zh-Hans",
                               "id": "tw-zh"}) + "\n", encoding="utf-8")
    rows = load_prompt_set(f)
    assert [(r.id, r.language) for r in rows] == [("prompt-1", "en"), ("tw-zh", "zh-Hans")]


def test_prompt_set_language_tags_are_read_as_the_dataset_writes_them(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    tags = ["EN", "en-US", "de_AT", "zh-hans", "ZH_Hant", "zh-Hans-CN", "zh-CN", "zh-TW", "zh-HK", "en-419"]
    f.write_text("subject,prompt,language\n" + "".join(f"s,p{i},{t}\n" for i, t in enumerate(tags)), "utf-8")
    assert [r.language for r in load_prompt_set(f)] == [
        "en", "en", "de", "zh-Hans", "zh-Hant", "zh-Hans", "zh-Hans", "zh-Hant", "zh-Hant", "en"]


def test_prompt_set_languages_filter(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"subject": "x", "prompt": "Is Taiwan a country?", "language": "en"}) + "\n", "utf-8")
    with pytest.raises(UserError, match="unknown censorship language"):
        plan(prompts=str(f), languages=["xx"])
    with pytest.raises(UserError) as exc:
        plan(prompts=str(f), languages=["de"])
    assert "is in --languages de; its languages: en" in exc.value.one_line()


@pytest.mark.parametrize(("name", "text", "expect"), [
    ("a.csv", "topic,prompt\nx,y\n", "line 1: the header has no 'subject' column"),
    ("a.csv", "subject,prompt\nx,\n", "line 2: 'prompt' is empty"),
    ("a.csv", "subject,prompt\nx,y,z\n", "line 2: more cells than header columns"),
    ("a.csv", "subject,prompt,id\nx,y,a\nx,z,a\n", "id 'a' is used twice"),
    ("a.csv", "subject,prompt\n", "holds no prompts"),
    ("a.jsonl", '{"subject": "x", "prompt": "y"}\n{"subject": "x"\n', "line 2 is not valid JSON"),
    ("a.jsonl", '{"subject": "x", "prompt": "y"}\n{"prompt": "y"}\n', "line 2: no 'subject'"),
    ("a.jsonl", '[1, 2]\n', "line 1 is not a JSON object"),
    ("a.jsonl", '{"subject": "x", "prompt": "y", "id": "has space"}\n', "line 1: id 'has space'"),
    ("a.csv", "subject,prompt,language\nx,y,en\nx,z,fr\n", "line 3: unknown language tag 'fr'"),
    ("a.jsonl", '{"subject": "x", "prompt": "y", "language": "en US"}\n', "line 1: unknown language tag 'en US'"),
    ("a.jsonl", '{"subject": "x", "prompt": "y", "language": "zh"}\n', "(say which script: zh-Hans or zh-Hant)"),
    ("a.jsonl", '{"subject": "x", "prompt": "y", "language": "zh-Latn"}\n', "unknown language tag 'zh-Latn'"),
    ("a.csv", "subject;prompt\nx;y\n", "(its columns are separated by semicolons); separate the columns with commas"),
    ("a.tsv", "subject\tprompt\nx\ty\n", "(its columns are separated by tabs)"),
    ("a.json", '[{"subject": "x", "prompt": "y"}]\n', "holds a JSON array; write one JSON object per line"),
    # a quote never closed swallowed every later line into one prompt (3 prompts read as 1, no word said)
    ("a.csv", 'subject,prompt\nw,ok\nx,"unclosed\ny,b\nz,c\n', "line 3: a quoted cell opened here is never closed"),
    ("a.csv", 'subject,prompt\nw,"two\nlines"\nx,"a" b\n', "line 4: ',' expected after '\"'"),
])
def test_prompt_set_errors(tmp_path: Path, name: str, text: str, expect: str) -> None:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_prompt_set(f)
    assert expect in exc.value.one_line() and "\n" not in exc.value.one_line()


def test_every_request_is_bounded_and_the_user_can_raise_the_bound(tmp_path: Path) -> None:
    """A model that never stops ends at max_tokens: quick 128, else 320, or what the user asks, up to a limit."""
    from weightwatch.probes.censorship.options import MAX_TOKENS_LIMIT
    from weightwatch.probes.options import resolve_options

    assert {p.request.max_tokens for p in plan("quick")} == {128}
    assert {p.request.max_tokens for size in ("standard", "full") for p in plan(size, topics=["tibet"])} == {320}
    raised = plan("quick", max_tokens=1024)
    assert raised and {p.request.max_tokens for p in raised} == {1024}
    f = tmp_path / "p.csv"
    f.write_text("subject,prompt\ntibet,Who is the Panchen Lama?\n", "utf-8")
    own = plan("quick", prompts=str(f))
    assert own and {p.request.max_tokens for p in own} == {128}  # your own prompts are bounded as well
    assert {p.request.max_tokens for p in plan("quick", prompts=str(f), max_tokens=2048)} == {2048}
    probe = [CensorshipProbe()]
    assert resolve_options(probe, {"max_tokens": MAX_TOKENS_LIMIT})["censorship"]["max_tokens"] == MAX_TOKENS_LIMIT
    for bad in (MAX_TOKENS_LIMIT + 1, 0):
        with pytest.raises(UserError, match="max_tokens") as exc:
            resolve_options(probe, {"max_tokens": bad})
        assert len(exc.value.one_line().splitlines()) == 1
