"""Beside every judge-based censored rate: the judge's measured recall for that language, and the rate
corrected for the judge's errors (Rogan-Gladen, stats/misclassification.py) or marked "lower bound".

The judge's sensitivity (censored answers it calls censored) and specificity (answered answers it calls
answered) per language ship in judges/data/judge_recall.json, derived by `derive` from the held-out
figures in training/censorship_head_metrics.json (scripts/train_censorship_head.py --report;
scripts/judge_recall.py writes the file; a test keeps it equal to a fresh derivation). They are measured
on SpeechMap's labels (refused or evasive vs complete) on requests for critical writing, which is close
to, not the same as, the probe's censored vs answered on its own questions: read the corrected rate as
an estimate under that assumption. Where no figures exist (de, zh-Hant) the rate is a lower bound only
when the judge's false positives are rare; the table says "not measured" instead of correcting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from weightwatch.stats.misclassification import rogan_gladen

FILE = "data/judge_recall.json"
LANGUAGES = ("en", "zh-Hans")  # languages with held-out external labels and covered by the head


def derive(metrics: dict[str, Any]) -> dict[str, Any]:
    """judge_recall.json's content from the training metrics (the shipped judge on the held-out models)."""
    out: dict[str, Any] = {"source": "training/censorship_head_metrics.json (held-out SpeechMap models, "
                                     "scripts/train_censorship_head.py --report)",
                           "head_version": metrics["head_version"], "encoder_id": metrics["encoder_id"],
                           "languages": {}}
    for lang in LANGUAGES:
        cell = metrics["judge"][lang]
        answered = cell["confusion"]["answered"]
        out["languages"][lang] = {
            "sensitivity": {"k": cell["censored_recall"]["k"], "n": cell["censored_recall"]["n"]},
            "specificity": {"k": int(answered.get("answered", 0)), "n": int(sum(answered.values()))},
        }
    return out


@cache
def load() -> dict[str, Any] | None:
    ref = resources.files("weightwatch.judges").joinpath(FILE)
    if not ref.is_file():
        return None
    data: dict[str, Any] = json.loads(ref.read_text("utf-8"))
    return data


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "-"


def table(counts: Iterable[tuple[str, str, str, int, int]]) -> list[dict[str, Any]]:
    """One row per (target, arm, language, censored k, scored n): the observed rate, the judge's recall
    and specificity for that language, and the corrected rate with its 95% interval (or why not)."""
    data = load() or {"languages": {}}
    rows = []
    for target, arm, lang, k, n in counts:
        fig = data["languages"].get(lang)
        row: dict[str, Any] = {"target": target, "arm": arm, "language": lang, "censored (judge)": _pct(k, n)}
        if fig is None:
            row.update({"judge recall": "not measured", "judge specificity": "not measured",
                        "corrected": "not corrected (lower bound if the judge rarely calls an answer censored)"})
        else:
            se, sp = fig["sensitivity"], fig["specificity"]
            row["judge recall"] = _pct(se["k"], se["n"])
            row["judge specificity"] = _pct(sp["k"], sp["n"])
            c = rogan_gladen(k, n, se["k"], se["n"], sp["k"], sp["n"])
            row["corrected"] = ("not corrected (judge no better than chance)" if c is None else
                                f"{100 * c.value:.1f}% [{100 * c.lo:.1f}, {100 * c.hi:.1f}]")
        rows.append(row)
    return rows
