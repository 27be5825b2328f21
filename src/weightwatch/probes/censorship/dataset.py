"""The censorship dataset: one YAML file per topic under ``data/topics/``, validated on load.

Every item is asked in every language of ``data/languages.yaml`` and has a matched ``control`` about a
comparable event outside China. Both arms come from ONE template per language with two fillers: the
item gives ``template: {lang: "Was {actor} justified in {action}?"}`` and ``fill: {lang: {actor: ...}}``,
its control only ``fill`` (same slots); the prompts are rendered on load (`render`). A topic file may not
write prompts by hand, so the two arms cannot drift apart (issue 16: "mass detention" vs "placement").
Factual and evaluative items (and their controls) carry 3-6 reference
facts; every sensitive item carries narrative flags with sources. A file that breaks a rule raises
``DatasetError`` naming the file and the item. Schema and rules: docs/censorship.md ("Dataset").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from weightwatch.datafiles import YAMLError, load_yaml, package_yaml
from weightwatch.errors import UserError

Kind = Literal["factual", "evaluative", "expressive"]
KINDS: tuple[str, ...] = ("factual", "evaluative", "expressive")
MIN_FACTS, MAX_FACTS = 3, 6
PACKAGE = "weightwatch.probes.censorship"


class DatasetError(UserError):
    """A topic file breaks the schema (message names the file and the item)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    aliases: dict[str, list[str]]
    source: str = Field(min_length=1)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not any(v.values()):
            raise ValueError("needs at least one alias")
        for lang, words in v.items():
            if any(not isinstance(w, str) or not w.strip() for w in words):
                raise ValueError(f"empty alias in {lang}")
        return v

    def as_dict(self) -> dict[str, Any]:
        """The plain dict form the judges take ({id, text, aliases, source})."""
        return {"id": self.id, "text": self.text, "aliases": {k: list(v) for k, v in self.aliases.items()},
                "source": self.source}


class Flag(Fact):
    """A state-narrative marker: same shape as a fact."""


_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, fill: dict[str, str], where: str) -> str:
    """`template` with every ``{slot}`` replaced by its filler; ValueError naming `where` when a slot has
    no filler or a filler has no slot."""
    slots = _SLOT.findall(template)
    missing = [x for x in slots if fill.get(x) is None]  # an empty filler is allowed (a word only one arm needs)
    if missing:
        raise ValueError(f"{where}: no filler for slot(s) {', '.join(sorted(set(missing)))}")
    unused = sorted(set(fill) - set(slots))
    if unused:
        raise ValueError(f"{where}: filler(s) {', '.join(unused)} not in the template")
    return _SLOT.sub(lambda m: str(fill[m.group(1)]), template)


def _render_all(template: Any, fill: Any, where: str) -> dict[str, str]:
    if not isinstance(template, dict) or not isinstance(fill, dict):
        raise ValueError(f"{where}: 'template' and 'fill' must be mappings by language")
    langs = sorted(set(template) | set(fill))
    out = {}
    for lang in langs:
        if lang not in template or not isinstance(fill.get(lang), dict):
            raise ValueError(f"{where}: no template or no fill in {lang}")
        out[lang] = render(str(template[lang]), {str(k): str(v) for k, v in fill[lang].items()}, f"{where} ({lang})")
    return out


class Control(_Strict):
    id: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    fill: dict[str, dict[str, str]]
    prompts: dict[str, str]
    facts: list[Fact] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)


class Item(_Strict):
    id: str = Field(min_length=1)
    kind: Kind
    template: dict[str, str]
    fill: dict[str, dict[str, str]]
    prompts: dict[str, str]
    facts: list[Fact] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    control: Control

    @model_validator(mode="before")
    @classmethod
    def _prompts_from_template(cls, data: Any) -> Any:
        """Render both arms' prompts from the item's template and each arm's fillers."""
        if not isinstance(data, dict):
            return data
        where = f"item {data.get('id', '?')}"
        control = data.get("control")
        if "prompts" in data or (isinstance(control, dict) and "prompts" in control):
            raise ValueError(f"{where}: write 'template' + 'fill' (and the control's 'fill'), not 'prompts'")
        if "template" not in data or "fill" not in data:
            raise ValueError(f"{where}: needs 'template' and 'fill'")
        data = dict(data)
        data["prompts"] = _render_all(data["template"], data["fill"], where)
        if isinstance(control, dict):
            control = dict(control)
            cwhere = f"control {control.get('id', '?')} (of {data.get('id', '?')})"
            if "fill" not in control:
                raise ValueError(f"{cwhere}: needs 'fill' for the item's template")
            control["prompts"] = _render_all(data["template"], control["fill"], cwhere)
            data["control"] = control
        return data


class Topic(_Strict):
    topic: str = Field(min_length=1)
    title: str = Field(min_length=1)
    version: int | str = 1
    items: list[Item] = Field(min_length=1)


@dataclass(frozen=True)
class Prompted:
    """One askable prompt set of the dataset: a sensitive item or its control."""

    id: str
    topic: str
    kind: str
    arm: str  # sensitive | control
    pair: str  # the sensitive item's id (same for both arms)
    prompts: dict[str, str]
    facts: tuple[dict[str, Any], ...]
    flags: tuple[dict[str, Any], ...]
    subject: str = ""


# ---------------------------------------------------------------------------------------- loading
def _data_dir() -> Any:
    return resources.files(PACKAGE).joinpath("data")


@cache
def languages() -> tuple[str, ...]:
    """Language codes of the dataset, in the order of data/languages.yaml."""
    data = package_yaml(PACKAGE, "data/languages.yaml")
    return tuple(str(x["code"]) for x in data["languages"])


def _check_prompts(where: str, prompts: dict[str, str], langs: tuple[str, ...]) -> None:
    missing = [lang for lang in langs if not str(prompts.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"{where}: no prompt in {', '.join(missing)}")
    extra = sorted(set(prompts) - set(langs))
    if extra:
        raise ValueError(f"{where}: prompt in unknown language(s) {', '.join(extra)} (see data/languages.yaml)")


def _check_facts(where: str, kind: str, facts: list[Fact], langs: tuple[str, ...], what: str = "facts") -> None:
    if kind in ("factual", "evaluative") and not MIN_FACTS <= len(facts) <= MAX_FACTS:
        raise ValueError(f"{where}: a {kind} item needs {MIN_FACTS}-{MAX_FACTS} {what}, has {len(facts)}")
    ids = [f.id for f in facts]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"{where}: duplicate {what} id(s) {', '.join(dup)}")
    for f in facts:
        bad = sorted(set(f.aliases) - set(langs))
        if bad:
            raise ValueError(f"{where}: {what[:-1]} {f.id} has aliases in unknown language(s) {', '.join(bad)}")


def validate_topic(topic: Topic, langs: tuple[str, ...]) -> None:
    """Rules beyond the field types (raises ValueError naming the item)."""
    for item in topic.items:
        _check_prompts(f"item {item.id}", item.prompts, langs)
        _check_facts(f"item {item.id}", item.kind, item.facts, langs)
        if not item.flags:
            raise ValueError(f"item {item.id}: a sensitive item needs at least one narrative flag")
        ids = [f.id for f in item.flags]
        if len(set(ids)) != len(ids):
            raise ValueError(f"item {item.id}: duplicate flag ids")
        _check_facts(f"item {item.id}", "expressive", list(item.flags), langs, what="flags")
        c = item.control
        _check_prompts(f"control {c.id} (of {item.id})", c.prompts, langs)
        _check_facts(f"control {c.id} (of {item.id})", item.kind, c.facts, langs)


def load_topic_file(path: Path | Any, langs: tuple[str, ...] | None = None) -> Topic:
    """Parse and validate one topic file; DatasetError names the file and the item on bad data."""
    langs = langs or languages()
    name = getattr(path, "name", str(path))
    try:
        raw = load_yaml(path.read_text("utf-8"))
    except YAMLError as exc:
        raise DatasetError(f"censorship topic file {name} is not valid YAML: {exc}".replace("\n", " "),
                           "fix the file (schema: docs/censorship.md)") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"censorship topic file {name} is not a mapping", "see docs/censorship.md")
    try:
        topic = Topic.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            items = raw.get("items") or []
            item_id = items[loc[1]].get("id", f"#{loc[1]}") if loc[1] < len(items) and isinstance(
                items[loc[1]], dict) else f"#{loc[1]}"
            where = f" item {item_id}:"
        field = ".".join(str(x) for x in loc)
        raise DatasetError(f"censorship topic file {name}:{where} {field}: {err['msg']}",
                           "fix the file (schema: docs/censorship.md)") from exc
    try:
        validate_topic(topic, langs)
    except ValueError as exc:
        raise DatasetError(f"censorship topic file {name}: {exc}", "fix the file (schema: docs/censorship.md)") from exc
    stem = name.rsplit(".", 1)[0]
    if stem != topic.topic:
        raise DatasetError(f"censorship topic file {name} declares topic '{topic.topic}'",
                           f"name the file {topic.topic}.yaml or fix 'topic'")
    return topic


def check_unique(topics: list[Topic]) -> None:
    seen: dict[str, str] = {}
    for t in topics:
        if t.topic in seen:
            raise DatasetError(f"censorship topic '{t.topic}' is defined twice", "one file per topic")
        seen[t.topic] = "topic"
    ids: dict[str, str] = {}
    for t in topics:
        for item in t.items:
            for i in (item.id, item.control.id):
                if i in ids:
                    raise DatasetError(f"censorship id '{i}' is used twice ({ids[i]} and {t.topic}.yaml)",
                                       "item and control ids must be unique across all topics")
                ids[i] = f"{t.topic}.yaml"


@cache
def load_topics() -> tuple[Topic, ...]:
    """Every topic of the shipped dataset, sorted by file name (cached)."""
    folder = _data_dir().joinpath("topics")
    files = sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name)
    topics = [load_topic_file(f) for f in files]
    check_unique(topics)
    return tuple(topics)


def topic_ids() -> list[str]:
    return [t.topic for t in load_topics()]


def _by_language(value: Any) -> dict[str, list[str]]:
    """{language: [sentences]} from claims.yaml's {language: sentence or [sentences]}, with zh-Hant derived
    from zh-Hans by OpenCC (s2t) where it is not written."""
    from weightwatch.judges.language import to_traditional

    texts = {str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in (value or {}).items()}
    if "zh-Hans" in texts and "zh-Hant" not in texts:
        texts["zh-Hant"] = [to_traditional(x) for x in texts["zh-Hans"]]
    return texts


@cache
def _claims_file() -> dict[str, Any]:
    return package_yaml(PACKAGE, "data/claims.yaml") or {}


@cache
def claims() -> dict[str, dict[str, dict[str, dict[str, list[str]]]]]:
    """data/claims.yaml: {topic: {flag id: {"claim": {lang: [sentences]}, "counter": {...}}}}."""
    out: dict[str, dict[str, dict[str, dict[str, list[str]]]]] = {}
    for topic, flags in (_claims_file().get("flags") or {}).items():
        for fid, entry in (flags or {}).items():
            out.setdefault(str(topic), {})[str(fid)] = {k: _by_language(entry.get(k)) for k in ("claim", "counter")}
    return out


GENERAL_PREFIX = "general."


@cache
def general_flags() -> tuple[dict[str, Any], ...]:
    """claims.yaml `general`: state-line framings that fit any sensitive question, as flag dicts
    (id ``general.<id>``, the English claim as text, no aliases: only the claim layer sees them)."""
    out = []
    for fid, entry in (_claims_file().get("general") or {}).items():
        claim, counter = _by_language(entry.get("claim")), _by_language(entry.get("counter"))
        out.append({"id": GENERAL_PREFIX + str(fid), "text": claim["en"][0], "aliases": {}, "claim": claim,
                    "counter": counter, "cues": [str(c) for c in entry.get("cues") or ()],
                    "source": "weightwatch: general state-line framing (claims.yaml)"})
    return tuple(out)


@cache
def neutral_sentences(topic: str | None) -> tuple[str, ...]:
    """claims.yaml `neutral`: sentences that are neither claim nor counter-claim, for `topic` and general."""
    raw = _claims_file().get("neutral") or {}
    out: list[str] = []
    for key in ("general", topic):
        for texts in _by_language(raw.get(key) if key else None).values():
            out.extend(texts)
    return tuple(out)


@cache
def _fact_claims_file() -> dict[str, Any]:
    return package_yaml(PACKAGE, "data/fact_claims.yaml") or {}


def fact_claims(topic: str, fact_id: str) -> dict[str, list[str]]:
    """data/fact_claims.yaml: the fact's claim sentences in other languages ({language: [sentences]}, zh-Hant
    by OpenCC from zh-Hans); the fact's `text` is its English sentence."""
    return _by_language(((_fact_claims_file().get("facts") or {}).get(topic) or {}).get(fact_id))


def _fact_dict(topic: str, fact: Fact) -> dict[str, Any]:
    d = fact.as_dict()
    d["claim"] = {"en": [fact.text], **fact_claims(topic, fact.id)}
    return d


def _flag_dict(topic: str, flag: Flag) -> dict[str, Any]:
    d = flag.as_dict()
    d.update(claims().get(topic, {}).get(flag.id, {}))
    d["neutral"] = neutral_sentences(topic)
    return d


def _prompted(topic: Topic) -> list[Prompted]:
    out = []
    for item in topic.items:
        out.append(Prompted(id=item.id, topic=topic.topic, kind=item.kind, arm="sensitive", pair=item.id,
                            prompts=dict(item.prompts), facts=tuple(_fact_dict(topic.topic, f) for f in item.facts),
                            flags=(*(_flag_dict(topic.topic, f) for f in item.flags),
                                   *({**g, "neutral": neutral_sentences(topic.topic)} for g in general_flags())),
                            subject=topic.title))
        c = item.control
        out.append(Prompted(id=c.id, topic=topic.topic, kind=item.kind, arm="control", pair=item.id,
                            prompts=dict(c.prompts), facts=tuple(_fact_dict(topic.topic, f) for f in c.facts),
                            flags=tuple(_flag_dict(topic.topic, f) for f in c.flags), subject=c.subject))
    return out


@cache
def index() -> dict[str, Prompted]:
    """Every sensitive item and control by id."""
    return {p.id: p for t in load_topics() for p in _prompted(t)}


def normalise(text: str) -> str:
    return " ".join(str(text).split())


@cache
def prompt_index() -> dict[str, tuple[Prompted, str]]:
    """Whitespace-normalised prompt text (any language) -> (item or control, language)."""
    out: dict[str, tuple[Prompted, str]] = {}
    for p in index().values():
        for lang, text in p.prompts.items():
            out.setdefault(normalise(text), (p, lang))
    return out


@cache
def dataset_digest() -> str:
    """A short hash of the whole dataset (part of the probe version: data changes re-score)."""
    h = hashlib.sha256()
    for t in load_topics():
        h.update(t.model_dump_json().encode("utf-8"))
    h.update(",".join(languages()).encode())
    h.update(repr(sorted(_claims_file().items())).encode("utf-8"))
    h.update(repr(sorted(_fact_claims_file().items())).encode("utf-8"))
    return h.hexdigest()[:10]
