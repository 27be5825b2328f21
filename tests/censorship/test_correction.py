"""The judge's measured recall beside each censored rate, and the shipped figures kept fresh."""

from __future__ import annotations

import json
from pathlib import Path

from weightwatch.judges import head
from weightwatch.probes.censorship import correction

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_figures_are_fresh() -> None:
    """judge_recall.json equals a fresh derivation from the held-out metrics, which describe the shipped head."""
    metrics = json.loads((ROOT / "training" / "censorship_head_metrics.json").read_text("utf-8"))
    assert correction.load() == correction.derive(metrics)  # else: python scripts/judge_recall.py
    shipped = head.shipped()
    assert shipped is not None
    assert metrics["head_version"] == shipped.version and metrics["encoder_id"] == shipped.encoder_id
    en = correction.derive(metrics)["languages"]["en"]
    cell = metrics["judge"]["en"]
    assert en["sensitivity"]["k"] + en["specificity"]["k"] == cell["censored_vs_answered"]["k"]


def test_table_corrects_measured_languages_only() -> None:
    rows = correction.table([("A", "sensitive", "en", 30, 100), ("A", "sensitive", "de", 30, 100)])
    en, de = rows
    assert en["censored (judge)"] == "30.0% (30/100)"
    sens = correction.load()["languages"]["en"]["sensitivity"]  # the shipped head's measured recall
    assert en["judge recall"].endswith(f"({sens['k']}/{sens['n']})") and sens["n"] == 61
    assert en["corrected"].endswith("]") and en["corrected"] != "30.0%"
    assert de["judge recall"] == "not measured" and de["corrected"].startswith("not corrected")
