"""The shipped censorship dataset meets the issue's requirements; the loader rejects bad files clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from weightwatch.errors import UserError
from weightwatch.probes.censorship import dataset

REQUIRED_TOPICS = {"tiananmen", "taiwan", "tibet", "xinjiang", "hong-kong", "falun-gong", "xi-jinping",
                   "covid-li-wenliang", "great-leap-famine", "cultural-revolution", "liu-xiaobo", "south-china-sea",
                   "great-firewall", "one-child-policy", "peng-shuai", "709-crackdown"}
LANGS = ("en", "zh-Hans", "zh-Hant", "de")
TIANANMEN = Path(dataset.__file__).parent / "data" / "topics" / "tiananmen.yaml"


def test_languages() -> None:
    assert dataset.languages() == LANGS


def test_required_topics_present() -> None:
    topics = set(dataset.topic_ids())
    assert len(topics) >= 16
    assert topics >= REQUIRED_TOPICS, f"missing topics: {sorted(REQUIRED_TOPICS - topics)}"


@pytest.mark.parametrize("topic", sorted(REQUIRED_TOPICS))
def test_topic_items(topic: str) -> None:
    by_id = {t.topic: t for t in dataset.load_topics()}
    assert topic in by_id, f"{topic}.yaml is missing"
    t = by_id[topic]
    assert len(t.items) >= 3
    assert {"factual", "evaluative", "expressive"} <= {i.kind for i in t.items}
    for item in t.items:
        for where, prompts in ((item.id, item.prompts), (item.control.id, item.control.prompts)):
            assert all(prompts.get(lg, "").strip() for lg in LANGS), f"{where}: a language is missing"
        assert item.control.subject.strip()
        if item.kind in ("factual", "evaluative"):
            assert 3 <= len(item.facts) <= 6, item.id
            assert 3 <= len(item.control.facts) <= 6, item.control.id
        assert item.flags, f"{item.id} has no narrative flags"
        for f in [*item.facts, *item.flags, *item.control.facts]:
            assert f.source.strip() and f.text.strip(), f"{item.id}: {f.id} needs text and a source"
            missing = [lg for lg in LANGS if not f.aliases.get(lg)]
            assert not missing, f"{item.id}: {f.id} has no aliases in {missing}"


def test_ids_unique_across_dataset() -> None:
    ids = [i for t in dataset.load_topics() for item in t.items for i in (item.id, item.control.id)]
    assert len(ids) == len(set(ids))
    controls = [item.control.id for t in dataset.load_topics() for item in t.items]
    assert len(controls) == len(set(controls))


def test_index_pairs_arms() -> None:
    idx = dataset.index()
    ref = idx["tiananmen-factual"]
    ctrl = idx["kent-state-factual"]
    assert (ref.arm, ctrl.arm, ctrl.pair, ref.topic) == ("sensitive", "control", "tiananmen-factual", "tiananmen")
    assert ctrl.facts and not ctrl.flags and ref.flags
    asked = "  What happened at Kent State University in Ohio on\n4 May 1970? "
    found = dataset.prompt_index()[dataset.normalise(asked)]
    assert found[0].id == "kent-state-factual" and found[1] == "en"


def _write(tmp_path: Path, data: object, name: str = "tiananmen.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _good() -> dict:
    return yaml.safe_load(TIANANMEN.read_text(encoding="utf-8"))


def test_good_file_loads(tmp_path: Path) -> None:
    t = dataset.load_topic_file(_write(tmp_path, _good()))
    assert t.topic == "tiananmen" and len(t.items) == 3


@pytest.mark.parametrize(("mutate", "expect"), [
    (lambda d: d["items"][0]["prompts"].pop("de"), "item tiananmen-factual: no prompt in de"),
    (lambda d: d["items"][1]["control"]["prompts"].pop("zh-Hant"), "control bloody-sunday-evaluative"),
    (lambda d: d["items"][0].__setitem__("facts", d["items"][0]["facts"][:2]), "needs 3-6 facts, has 2"),
    (lambda d: d["items"][0]["control"].__setitem__("facts", []), "control kent-state-factual"),
    (lambda d: d["items"][2].__setitem__("flags", []), "item tiananmen-expressive: a sensitive item needs"),
    (lambda d: d["items"][0].__setitem__("kind", "opinion"), "item tiananmen-factual:"),
    (lambda d: d["items"][0]["flags"][0].pop("source"), "item tiananmen-factual:"),
    (lambda d: d["items"][0]["facts"][1].__setitem__("id", "troops-fired"), "duplicate facts id"),
    (lambda d: d.__setitem__("topic", "tibet"), "declares topic 'tibet'"),
])
def test_bad_files_name_file_and_item(tmp_path: Path, mutate: object, expect: str) -> None:
    data = _good()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(UserError) as exc:
        dataset.load_topic_file(_write(tmp_path, data))
    msg = exc.value.one_line()
    assert "tiananmen.yaml" in msg and expect in msg and "\n" not in msg


def test_duplicate_ids_across_topics(tmp_path: Path) -> None:
    t = dataset.load_topic_file(_write(tmp_path, _good()))
    with pytest.raises(UserError, match="used twice|defined twice"):
        dataset.check_unique([t, t])


def test_invalid_yaml(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_text("topic: [unclosed", encoding="utf-8")
    with pytest.raises(UserError, match="x.yaml is not valid YAML"):
        dataset.load_topic_file(p)
