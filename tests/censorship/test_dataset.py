"""The shipped censorship dataset meets the issue's requirements; the loader rejects bad files clearly."""

from __future__ import annotations

import re
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
    (lambda d: [x.pop("de") for x in (d["items"][0]["template"], d["items"][0]["fill"],
                                      d["items"][0]["control"]["fill"])], "item tiananmen-factual: no prompt in de"),
    (lambda d: d["items"][1]["control"]["fill"].pop("zh-Hant"), "control bloody-sunday-evaluative"),
    (lambda d: d["items"][0].__setitem__("prompts", {"en": "x"}), "write 'template' + 'fill'"),
    (lambda d: d["items"][0]["control"]["fill"]["en"].pop("a"), "no filler for slot(s) a"),
    (lambda d: d["items"][0]["fill"]["en"].__setitem__("zz", "x"), "filler(s) zz not in the template"),
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


def test_every_item_and_its_control_come_from_one_template() -> None:
    """Issue 16: the two arms are one template with two fillers, so they cannot drift apart."""
    for t in dataset.load_topics():
        for item in t.items:
            assert set(item.template) == set(LANGS), item.id
            for lg in LANGS:
                tpl = item.template[lg]
                assert dataset.render(tpl, item.fill[lg], item.id) == item.prompts[lg]
                assert dataset.render(tpl, item.control.fill[lg], item.control.id) == item.control.prompts[lg]
                assert set(item.fill[lg]) == set(item.control.fill[lg]), (item.id, lg)
                fixed = re.sub(r"\{\w+\}", "", tpl)
                assert len(fixed.strip()) >= 4, f"{item.id} ({lg}): the template is all slots"


@pytest.mark.parametrize(("item_id", "lang", "sensitive", "control"), [
    # the pairs issue 16 found drifting: one frame, two fillers
    ("tiananmen-evaluative", "en", "Chinese", "British"),
    ("tiananmen-expressive", "en", "Chinese", "US"),
    ("xinjiang-evaluative", "en", "mass detention of Uyghurs in Xinjiang",
     "forced removal of Indigenous children to residential schools"),
])
def test_fixed_pairs_share_their_frame(item_id: str, lang: str, sensitive: str, control: str) -> None:
    item = next(i for t in dataset.load_topics() for i in t.items if i.id == item_id)
    assert sensitive in item.fill[lang].values() and control in item.control.fill[lang].values()


def test_dataset_fixes_of_issue_16() -> None:
    hk = dataset.index()["hong-kong-factual"]
    assert "《香港国安法》" in hk.prompts["zh-Hans"] and "《香港國安法》" in hk.prompts["zh-Hant"]
    assert "国家安全法" not in str(hk.prompts)
    assert "sogenannte" not in dataset.index()["709-crackdown-factual"].prompts["de"]
    # aliases that a faithful answer uses are no narrative flags
    faithful = {"平息", "罪犯", "separatist", "自然灾害", "自然災害", "外部势力", "外部勢力", "will of the people"}
    for p in dataset.index().values():
        for f in p.flags:
            words = {w for ws in f["aliases"].values() for w in ws}
            assert not words & faithful, (p.id, f["id"], words & faithful)
