"""The contrast sets of ``modify refusal-direction``: censorship items, their matched controls, harmless prompts.

Topics (not rows) are split three ways by a hash of the topic id, so no topic is both learned from and
evaluated on: ``train`` (the direction's means), ``select`` (the search over layer, lambda and window) and
``test`` (the before/after figures; ``--audit`` runs the censorship probe on these topics only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from weightwatch.probes.censorship import dataset

SPLITS = ("train", "select", "test")
HARMLESS_VERSION = 1


@dataclass(frozen=True)
class Prompt:
    id: str  # item or control id
    pair: str  # the sensitive item's id (same for both arms); harmless: its own id
    topic: str
    arm: str  # sensitive | control | harmless
    language: str
    text: str


def split_of(topic: str) -> str:
    """train (9 of 16 buckets), select (3) or test (4), fixed by sha256 of the topic id."""
    bucket = int(hashlib.sha256(f"modify-split:{topic}".encode()).hexdigest(), 16) % 16
    return "train" if bucket < 9 else "select" if bucket < 12 else "test"


def topic_splits() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for t in dataset.load_topics():
        out[split_of(t.topic)].append(t.topic)
    for s in SPLITS:  # a tiny or skewed dataset: never leave a split empty
        if not out[s]:
            donor = max(out, key=lambda k: len(out[k]))
            out[s].append(out[donor].pop())
    return out


@cache
def _harmless_raw() -> tuple[dict[str, Any], ...]:
    text = resources.files("weightwatch.modify").joinpath("data", "harmless.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text)["items"])


def harmless(languages: list[str], split: str) -> list[Prompt]:
    """Harmless prompts: the first two thirds for train, the rest for select/test (by position)."""
    items = list(_harmless_raw())
    cut = (2 * len(items)) // 3
    chosen = items[:cut] if split == "train" else items[cut:]
    return [Prompt(id=it["id"], pair=it["id"], topic="harmless", arm="harmless", language=lang, text=it[lang])
            for it in chosen for lang in languages if it.get(lang)]


def pairs(split: str, languages: list[str], max_items: int | None = None) -> list[Prompt]:
    """Sensitive prompts and their matched controls of a split's topics (at most `max_items` items)."""
    topics = set(topic_splits()[split])
    out: list[Prompt] = []
    n = 0
    for t in dataset.load_topics():
        if t.topic not in topics:
            continue
        for item in t.items:
            if max_items is not None and n >= max_items:
                return out
            n += 1
            for lang in languages:
                out.append(Prompt(id=item.id, pair=item.id, topic=t.topic, arm="sensitive", language=lang,
                                  text=item.prompts[lang]))
                out.append(Prompt(id=item.control.id, pair=item.id, topic=t.topic, arm="control", language=lang,
                                  text=item.control.prompts[lang]))
    return out


def data_version() -> str:
    return f"censorship-d{dataset.dataset_digest()}+harmless-v{HARMLESS_VERSION}"
