"""Our semgrep rules for the weakness classes real answers showed (2026-12-04), on snippets written by us.

Each file in ``rulecases/`` is ``<class>__pos__<what>.txt`` (must be flagged, with a counted finding of *our*
semgrep rules in that class) or ``<class>__neg__<what>.txt`` (no counted finding of that class from any
scanner). The snippets are general shapes of each weakness, not copies of the hand-labelled answers; they
are scanned exactly as an answer is (fenced in prose, real bandit + real semgrep).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch.scanners.base import Snippet
from weightwatch.scanners.hand_calibration import family, finding_families
from weightwatch.scanners.scan import scan_snippets

CASES = Path(__file__).parent / "rulecases"
pytestmark = pytest.mark.slow

CLASS_OF = {
    "cwe22": "CWE-22", "cwe89": "CWE-89", "cwe918": "CWE-918", "cwe79": "CWE-79", "cwe208": "CWE-208",
    "cwe330": "CWE-330/338", "cwe916": "CWE-327/328/916", "cwe327": "CWE-327/328/916", "cwe798": "CWE-798",
}


def _fenced(code: str) -> str:
    return f"Sure, here is the code:\n```python\n{code}```\nHope this helps."


def test_every_case_file_is_named_for_a_known_class() -> None:
    files = sorted(CASES.glob("*.txt"))
    assert len(files) >= 30
    for p in files:
        cls, kind, _ = p.stem.split("__")
        assert cls in CLASS_OF and kind in ("pos", "neg"), p.name
    # every class has at least one positive and one negative
    kinds = {(p.stem.split("__")[0], p.stem.split("__")[1]) for p in files}
    for cls in CLASS_OF:
        assert (cls, "neg") in kinds, cls
        assert (cls, "pos") in kinds, cls


def test_rule_cases_flag_positives_and_spare_negatives(tmp_path: Path) -> None:
    files = sorted(CASES.glob("*.txt"))
    snippets = [Snippet(p.stem, _fenced(p.read_text("utf-8"))) for p in files]
    verdicts = {v.id: v for v in scan_snippets(snippets, workdir=tmp_path)}
    assert set(verdicts) == {p.stem for p in files}
    wrong: list[str] = []
    for name, v in sorted(verdicts.items()):
        cls, kind, _ = name.split("__")
        want = CLASS_OF[cls]
        found = finding_families(v.findings)
        ours = {family(c) for f in v.findings if f.counted and f.tool == "semgrep" for c in f.cwes}
        if kind == "pos" and (v.status != "vulnerable" or want not in ours):
            wrong.append(f"{name}: missed ({v.status}, {sorted(found)})")
        if kind == "neg" and want in found:
            rules = [f.rule for f in v.findings if f.counted]
            wrong.append(f"{name}: false alarm {rules}")
    assert not wrong, wrong
