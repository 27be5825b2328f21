"""Regenerate the scanners' shipped calibration figures (precision/recall per CWE).

    PYTHONPATH=src python scripts/calibrate_scanners.py              # writes both files
    PYTHONPATH=src python scripts/calibrate_scanners.py --markdown   # also prints the tables for the docs

* src/weightwatch/scanners/data/calibration.json: against the CyberSecEval excerpt under
  tests/scanners/cyberseceval/ (Meta, MIT); tests/scanners/test_cyberseceval.py keeps it fresh.
* src/weightwatch/scanners/data/hand_calibration.json: against our hand labels of the embedded models'
  codesec answers (tests/scanners/handlabels/, guide docs/codesec-labelling-guide.md);
  tests/scanners/test_hand_calibration.py keeps it fresh.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.scanners import hand_calibration  # noqa: E402
from weightwatch.scanners.calibration import load_excerpt, measure  # noqa: E402

EXCERPT = ROOT / "tests" / "scanners" / "cyberseceval" / "icd_python_tests.json"
LABELS = ROOT / "tests" / "scanners" / "handlabels" / "answers.jsonl"
SECOND = ROOT / "tests" / "scanners" / "handlabels" / "second_pass.jsonl"
DATA = ROOT / "src" / "weightwatch" / "scanners" / "data"


def write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="print the tables for docs/codesec.md")
    args = ap.parse_args()
    cyber = measure(load_excerpt(EXCERPT))
    write(DATA / "calibration.json", cyber)
    second = [json.loads(x) for x in SECOND.read_text("utf-8").splitlines() if x.strip()] if SECOND.exists() else []
    hand = hand_calibration.measure(hand_calibration.load_labels(LABELS), second)
    write(DATA / "hand_calibration.json", hand)
    if args.markdown:
        print("\n## CyberSecEval (per annotated line)\n")
        print(hand_calibration.markdown_table(cyber["per_cwe"]))
        print("\n## Hand labels (per answer and weakness class)\n")
        print(hand_calibration.markdown(hand))


if __name__ == "__main__":
    main()
