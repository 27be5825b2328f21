"""The hand-labelled calibration set of the censorship judges, and the figures shipped in the package.

responses.jsonl: real answers of the embedded models (scripts/calibration_generate.py, asked as the
probe asks). labels.jsonl: one hand label per answer with a fixed dev/test split. The shipped
src/weightwatch/judges/data/calibration.json must equal a fresh computation, so it cannot go stale.
No model is needed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh-Hans", "zh-Hant", "de")
LABELS = {"answered", "refused", "deflected", "narrative", "empty"}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate_censorship", ROOT / "scripts" / "calibrate_censorship.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cal() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def responses() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / "responses.jsonl").read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def labels() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / "labels.jsonl").read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def rows(cal: ModuleType) -> list[dict[str, Any]]:
    return list(cal.load_set())


def test_set_size_languages_models(responses: list[dict[str, Any]]) -> None:
    assert len(responses) >= 150
    ids = [r["id"] for r in responses]
    assert len(ids) == len(set(ids)), "duplicate response ids"
    per_lang = Counter(r["language"] for r in responses)
    assert set(per_lang) == set(LANGUAGES), per_lang
    assert all(per_lang[lang] >= 30 for lang in LANGUAGES), per_lang
    models = Counter(r["model"] for r in responses)
    assert set(models) == {"embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m"}, models
    assert {r["arm"] for r in responses} == {"sensitive", "control"}
    for r in responses:
        assert r["id"] == f"{'qwen05' if 'qwen' in r['model'] else 'smol135'}:{r['item_id']}:{r['language']}"
        assert set(r) >= {"id", "model", "item_id", "topic", "kind", "arm", "language", "prompt", "response"}


# Prompts that issue 16 changed in dataset v2 (controls rewritten in their item's template, 《香港国安法》);
# these answers were given to the v1 wording and keep their hand labels (the labels do not depend on it).
ASKED_IN_DATASET_V1 = {
    *((i, lang) for i in ("bloody-sunday-evaluative", "kent-state-expressive")
      for lang in ("en", "zh-Hans", "zh-Hant", "de")),
    *((i, lang) for i in ("hong-kong-factual", "chile-protests-factual") for lang in ("zh-Hans", "zh-Hant")),
}


def test_prompts_are_the_datasets(responses: list[dict[str, Any]]) -> None:
    """Every response answers the dataset's own prompt for that item and language."""
    from weightwatch.probes.censorship.dataset import index

    idx = index()
    for r in responses:
        p = idx[r["item_id"]]
        if (r["item_id"], r["language"]) in ASKED_IN_DATASET_V1:
            assert p.prompts[r["language"]] != r["prompt"], f"{r['id']}: drop it from ASKED_IN_DATASET_V1"
            continue
        assert p.prompts[r["language"]] == r["prompt"], r["id"]
        assert (p.topic, p.kind, p.arm) == (r["topic"], r["kind"], r["arm"]), r["id"]


def test_every_response_has_one_hand_label(responses: list[dict[str, Any]], labels: list[dict[str, Any]]) -> None:
    ids = [lab["id"] for lab in labels]
    assert len(ids) == len(set(ids)), "an id labelled twice"
    assert set(ids) == {r["id"] for r in responses}
    for lab in labels:
        assert lab["label"] in LABELS, lab
        assert lab["note"].strip(), lab
    # the guide's convention: an incoherent answer is deflected (or, when it still makes a claim, a
    # borderline answered) and says so in its note
    for lab in labels:
        if "incoherent" in lab["note"]:
            assert lab["label"] == "deflected" or "borderline" in lab["note"], lab
    # an empty response must be labelled empty and nothing else is
    by_id = {r["id"]: r for r in responses}
    for lab in labels:
        assert (lab["label"] == "empty") == (not by_id[lab["id"]]["response"].strip()), lab


def test_split_is_the_fixed_hash(labels: list[dict[str, Any]]) -> None:
    for lab in labels:
        parity = int(hashlib.sha256(lab["id"].encode("utf-8")).hexdigest(), 16) % 2
        assert lab["split"] == ("dev" if parity == 0 else "test"), lab["id"]
    counts = Counter(lab["split"] for lab in labels)
    assert min(counts.values()) >= 0.35 * len(labels), counts


def test_rule_judge_refused_agreement_at_least_90_percent(cal: ModuleType, rows: list[dict[str, Any]]) -> None:
    figures = cal.rule_figures(rows)["splits"]["all"]
    overall = figures["overall"]["refused_agreement"]
    per_lang = {lang: (b["refused_agreement"]["value"], b["n"]) for lang, b in figures["by_language"].items()}
    assert overall["n"] == len(rows)
    assert overall["value"] >= 0.90, f"refused-vs-not agreement {overall['value']} (per language: {per_lang})"


def test_block_counts_are_consistent(cal: ModuleType, rows: list[dict[str, Any]]) -> None:
    """The confusion matrix adds up to n and its diagonal is the accuracy's numerator."""
    b = cal.rule_figures(rows)["splits"]["all"]["overall"]
    conf = b["confusion"]
    assert sum(sum(row.values()) for row in conf.values()) == b["n"] == len(rows)
    assert sum(conf[g][g] for g in conf) == b["accuracy"]["k"]
    not_ref = sum(v for g, row in conf.items() for p, v in row.items() if g != "refused" and p != "refused")
    assert conf["refused"]["refused"] + not_ref == b["refused_agreement"]["k"]


def test_block_on_known_pairs(cal: ModuleType) -> None:
    b = cal.block([("refused", "refused"), ("refused", "answered"), ("answered", "answered"),
                   ("narrative", "answered")])
    assert b["accuracy"]["k"] == 2 and b["accuracy"]["value"] == 0.5
    assert b["refused_agreement"]["k"] == 3
    assert b["censored_agreement"]["k"] == 2
    assert b["refused_recall"]["value"] == 0.5 and b["refused_precision"]["value"] == 1.0


def test_shipped_calibration_json_is_fresh(cal: ModuleType, rows: list[dict[str, Any]]) -> None:
    shipped = json.loads(resources.files("weightwatch.judges").joinpath("data", "calibration.json").read_text("utf-8"))
    assert shipped.pop("date")
    fresh = cal.compute(rows)
    assert shipped["rules_version"] == fresh["rules_version"], "rules.py changed: run scripts/calibrate_censorship.py"
    assert shipped == fresh, "calibration.json is stale: run scripts/calibrate_censorship.py"
