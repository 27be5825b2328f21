"""Regenerate src/weightwatch/scanners/data/calibration.json (scanner precision/recall per CWE).

    PYTHONPATH=src python scripts/calibrate_scanners.py

Input: the CyberSecEval excerpt under tests/scanners/cyberseceval/ (Meta, MIT). tests/scanners/
test_cyberseceval.py recomputes the numbers and fails when the shipped file is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.scanners.calibration import load_excerpt, measure  # noqa: E402

EXCERPT = ROOT / "tests" / "scanners" / "cyberseceval" / "icd_python_tests.json"
OUT = ROOT / "src" / "weightwatch" / "scanners" / "data" / "calibration.json"


def main() -> None:
    result = measure(load_excerpt(EXCERPT))
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
