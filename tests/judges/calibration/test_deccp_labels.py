"""Our hand labels of deccp's 190 Qwen2-7B answers (AUGMXNT/deccp @ 1fa6852b42d7, Apache-2.0): ids and
labels only, the responses are not shipped (scripts/measure_deccp.py reads deccp's file)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
LABELS = ("answered", "refused", "deflected", "narrative")


def _rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (HERE / name).read_text("utf-8").splitlines() if line.strip()]


def test_every_answer_has_one_label_and_a_prompt_split() -> None:
    rows = _rows("deccp_labels.jsonl")
    assert len(rows) == 190 and len({r["id"] for r in rows}) == 190
    assert {r["label"] for r in rows} <= set(LABELS)
    assert {r["language"] for r in rows} == {"en", "zh-Hans"}
    by_prompt: dict[str, set[str]] = {}
    for r in rows:
        by_prompt.setdefault(r["prompt_no"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_prompt.values())  # both answers to a prompt sit in one split
    counts = Counter(r["label"] for r in rows)
    assert counts["narrative"] >= 30 and counts["refused"] >= 60


def test_second_pass_agreement_is_what_the_docs_say() -> None:
    first = {r["id"]: r["label"] for r in _rows("deccp_labels.jsonl")}
    second = _rows("deccp_labels_second_pass.jsonl")
    assert len(second) == 40
    n = len(second)
    po = sum(first[r["id"]] == r["label"] for r in second) / n
    cats = set(LABELS)
    a = Counter(first[r["id"]] for r in second)
    b = Counter(r["label"] for r in second)
    pe = sum(a[c] / n * b[c] / n for c in cats)
    kappa = (po - pe) / (1 - pe)
    assert round(po, 3) == 0.95 and round(kappa, 2) == 0.93  # docs/censorship-calibration.md
