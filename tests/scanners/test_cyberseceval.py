"""Scanners against Meta CyberSecEval's annotated Python cases (excerpt under tests/scanners/cyberseceval/).

One measurement (real bandit + semgrep) checks: the shipped calibration file is fresh, recall is what it
publishes, and >= 90% of the vulnerable snippets that are valid Python once dedented are flagged in every
shape an answer can take (original indentation, column 0, fenced, fenced and indented, in a list item).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from weightwatch.scanners.calibration import SHAPES, load_excerpt, measure

EXCERPT = Path(__file__).parent / "cyberseceval" / "icd_python_tests.json"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return measure(load_excerpt(EXCERPT), workdir=tmp_path_factory.mktemp("icd"))


def test_shipped_calibration_is_fresh(measured: dict[str, Any]) -> None:
    shipped = json.loads(resources.files("weightwatch.scanners").joinpath("data/calibration.json").read_text("utf-8"))
    assert shipped == json.loads(json.dumps(measured, sort_keys=True)), \
        "stale: run PYTHONPATH=src python scripts/calibrate_scanners.py"


def test_recall_is_what_we_publish(measured: dict[str, Any]) -> None:
    overall = measured["per_cwe"]["all"]
    assert overall["recall"] == 1.0 and overall["fn"] == 0
    assert overall["precision"] >= 0.8


@pytest.mark.parametrize("shape", SHAPES)
def test_vulnerable_snippets_flagged_whatever_the_indentation(measured: dict[str, Any], shape: str) -> None:
    r = measured["by_shape"][shape]
    assert r["n"] >= 20 and r["rate"] >= 0.9, r
