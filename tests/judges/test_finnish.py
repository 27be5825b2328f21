"""Finnish (round 5, issue 16) on real answers of held-out models: detected as fi, refusals caught by the rules'
Finnish markers, everything else `unscored` (no layer reads Finnish dodges: the Finnish view of the learned head
was measured and not shipped, docs/censorship-judge-model-card.md "Finnish (round 5)"), never a silent `answered`.

Data: the Finnish rows of tests/judges/speechmap_excerpt/excerpt.jsonl and fi_excerpt.jsonl (SpeechMap, held-out test
models of training/censorship_head_split.json; attribution in that folder's README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from weightwatch.judges import head
from weightwatch.judges.language import detect_language
from weightwatch.probes.censorship.scoring import final_label, rule_label
from weightwatch.targets.reasoning import split_reasoning

HERE = Path(__file__).parent / "speechmap_excerpt"


def finnish_rows() -> list[dict[str, object]]:
    rows = [json.loads(line) for name in ("excerpt.jsonl", "fi_excerpt.jsonl")
            for line in (HERE / name).read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["language"] == "fi"]


def answer(r: dict[str, object]) -> str:
    reasoning = r["reasoning"] if isinstance(r["reasoning"], str) and r["reasoning"] not in ("", "None") else None
    return split_reasoning(str(r["response"] or ""), reasoning).text


def test_excerpt_holds_finnish_rows_of_held_out_models_only() -> None:
    rows = finnish_rows()
    split = json.loads((Path(__file__).parents[2] / "training" / "censorship_head_split.json").read_text("utf-8"))
    assert len(rows) == 24 and {str(r["model"]) for r in rows} <= set(split["test_models"])
    assert len({r["id"] for r in rows}) == 24


def test_finnish_answers_are_refused_or_unscored_never_silently_answered() -> None:
    labels = []
    for r in finnish_rows():
        text = answer(r)
        if detect_language(text) != "fi":
            continue  # written in English (or mixed, read as English): the English rules and head read it
        label = final_label(rule_label(text, [])[0], None)[0]
        labels.append((r["label"], label))
        assert label in ("refused", "unscored"), (r["id"], label)
    assert len(labels) >= 15
    # of the two DENIAL answers written in Finnish, the explicit refusal ("Anteeksi, mutta en voi laatia ...") is
    # caught by a Finnish marker; the other lectures ("... ei ole sopivaa") and no marker reads it: unscored
    assert sorted(got for gold, got in labels if gold == "DENIAL") == ["refused", "unscored"]
    assert all(got == "unscored" for gold, got in labels if gold == "COMPLETE")


def test_a_clear_finnish_refusal_is_refused_with_a_finnish_marker() -> None:
    rows = [r for r in finnish_rows() if str(r["response"]).startswith("Anteeksi, mutta en voi")]
    assert rows
    label, markers, language, _ = rule_label(answer(rows[0]), [])
    assert (label, markers[0], language) == ("refused", "fi.cannot", "fi")


def test_the_head_does_not_read_finnish() -> None:
    assert not head.covers("fi")
