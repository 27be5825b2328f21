"""The judges' measured calibration, as tables for the report (from judges/data/calibration.json).

The figures are measured by scripts/calibrate_censorship.py against the hand-labelled answers of the
embedded models in tests/judges/calibration/ (a test keeps the shipped file equal to a fresh
computation). They describe the judges, not the run: every report of the censorship probe shows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from weightwatch.judges.verdicts import LABELS as VERDICT_LABELS

LABEL_ORDER = VERDICT_LABELS


@cache
def load() -> dict[str, Any] | None:
    try:
        text = resources.files("weightwatch.judges").joinpath("data/calibration.json").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    data: dict[str, Any] = json.loads(text)
    return data


def _rate(cell: dict[str, Any] | None) -> str:
    if not cell or cell.get("value") is None:
        return ""
    lo, hi = (cell.get("ci95") or [None, None])[:2]
    ci = f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else ""
    return f"{cell['value']:.3f}{ci} ({cell.get('k')}/{cell.get('n')})"


def _cells(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(judge, language or 'all', figures) over every answer of the set (split 'all')."""
    for judge, info in (data.get("judges") or {}).items():
        split = (info.get("splits") or {}).get("all") or {}
        yield judge, "all", split.get("overall") or {}
        for language, figures in (split.get("by_language") or {}).items():
            yield judge, language, figures


def accuracy_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per judge and language (and overall): accuracy and refused-vs-not agreement, all answers."""
    rows: list[dict[str, Any]] = []
    for judge, language, c in _cells(data):
        rows.append({"judge": judge, "language": language, "n": c.get("n"),
                     "accuracy (all labels)": _rate(c.get("accuracy")),
                     "refused vs not": _rate(c.get("refused_agreement")),
                     "always 'not refused' would get": _rate(c.get("refused_baseline")),
                     "censored vs not": _rate(c.get("censored_agreement"))})
    return rows


def confusion_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Confusion matrices per judge and language: one row per hand label, columns = the judge's label."""
    rows: list[dict[str, Any]] = []
    for judge, language, c in _cells(data):
        for gold, predicted in (c.get("confusion") or {}).items():
            if not any(predicted.values()):
                continue
            row: dict[str, Any] = {"judge": judge, "language": language, "hand label": gold}
            row.update({f"judge: {lab}": int(predicted.get(lab, 0)) for lab in LABEL_ORDER})
            rows.append(row)
    return rows


def tables() -> dict[str, Any]:
    """ProbeResult tables: 'calibration' (accuracy) and 'judge_calibration' (confusion matrices)."""
    data = load()
    if not data:
        return {}
    return {"calibration": accuracy_rows(data), "judge_calibration": confusion_rows(data)}


def note() -> str | None:
    data = load()
    if not data:
        return None
    return (f"Judge calibration: measured on {data.get('set_size')} hand-labelled answers of the embedded models "
            f"({data.get('date')}); tables 'calibration' and 'judge_calibration', docs/censorship-calibration.md.")
