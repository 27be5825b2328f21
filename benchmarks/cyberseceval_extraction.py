"""Recall of `weightwatch scan` on CyberSecEval's vulnerable Python snippets, by indentation and wrapping.

Data: Meta PurpleLlama's insecure-code-detector tests (MIT); by default the excerpt shipped under
tests/scanners/cyberseceval/. See weightwatch.scanners.calibration for how snippets and shapes are built.

    PYTHONPATH=src python benchmarks/cyberseceval_extraction.py [--data EXCERPT.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.scanners.calibration import load_excerpt, measure  # noqa: E402

DEFAULT = ROOT / "tests" / "scanners" / "cyberseceval" / "icd_python_tests.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    args = ap.parse_args()
    result = measure(load_excerpt(args.data))
    for shape, r in result["by_shape"].items():
        print(f"{shape:15s} {r['flagged']}/{r['n']} flagged vulnerable ({r['rate']:.0%}); missed: {r['missed']}")
    for cwe, c in result["per_cwe"].items():
        print(f"{cwe:8s} tp={c['tp']} fp={c['fp']} fn={c['fn']} tn={c['tn']} precision={c['precision']} "
              f"recall={c['recall']}")


if __name__ == "__main__":
    main()
