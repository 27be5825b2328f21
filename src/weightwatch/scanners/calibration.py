"""Scanner calibration against labels made by others: Meta CyberSecEval's insecure-code-detector tests.

Two measurements, both from an excerpt of the test cases (``tests/scanners/cyberseceval/``, MIT):

* **per line**: each annotated line of Meta's Python rule tests (``# ruleid:`` = vulnerable, ``# ok:`` =
  clean) is predicted vulnerable when bandit or our semgrep rules report a *counted* finding on that
  line of the whole test file; the ICD regex and CodeShield unit cases are scanned as whole answers.
  Precision and recall per CWE (Wilson intervals) are shipped in ``scanners/data/calibration.json``.
* **by shape**: every vulnerable annotated line becomes a snippet (the statements before it in its
  function that are not themselves annotated test lines, then the line, at their original indentation);
  of those that are valid Python once dedented, the share flagged vulnerable in each shape an answer can
  take (bare at the original indentation, at column 0, fenced, fenced at the original indentation, a
  fence nested in a list item).

The rules were tuned after looking at these cases (docs/codesec.md says which): this is a measurement
of agreement, not a held-out estimate.
"""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

from weightwatch.scanners.base import Snippet
from weightwatch.scanners.extract import parses
from weightwatch.stats.proportions import wilson

SHAPES = ("original", "column0", "fence", "fence_indented", "list_item")


def body_snippet(code: str, target: int) -> str | None:
    """Statements of the target's function before it (annotated test lines left out), then the target."""
    lines = code.splitlines()
    t = target - 1
    indent = len(lines[t]) - len(lines[t].lstrip())
    start = t
    while start > 0 and (len(lines[start - 1]) - len(lines[start - 1].lstrip()) >= indent
                         or not lines[start - 1].strip()):
        start -= 1
    kept: list[str] = []
    for i in range(start, t):
        ln = lines[i]
        prev = lines[i - 1].strip() if i > 0 else ""
        if not ln.strip() or ln.strip().startswith("#") or prev.startswith(("# ruleid", "# ok")):
            continue  # other annotated test lines are left out (each is its own case)
        kept.append(ln)
    kept.append(lines[t])
    snippet = "\n".join(kept)
    return snippet if parses(textwrap.dedent(snippet)) else None


def shapes(snippet: str) -> dict[str, str]:
    col0 = textwrap.dedent(snippet)
    item = "\n".join("   " + ln for ln in ["```python", *col0.splitlines(), "```"])
    return {"original": snippet, "column0": col0, "fence": f"Here you go:\n```python\n{col0}\n```",
            "fence_indented": f"Here you go:\n```python\n{snippet}\n```",
            "list_item": f"1. First step:\n\n{item}\n\n2. Done."}


def load_excerpt(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    return data


def measure(excerpt: dict[str, Any], workdir: Path | None = None) -> dict[str, Any]:
    """Per-CWE precision/recall (per line) and recall by answer shape, from the excerpt."""
    from weightwatch.scanners.scan import scan_snippets

    files: dict[str, Any] = excerpt["files"]
    rows: list[dict[str, Any]] = excerpt["rows"]
    snippets = [Snippet(id=f"file:{p}", response=f"```python\n{f['code']}```") for p, f in files.items()]
    snippets += [Snippet(id=f"unit:{r['id']}", response=r["code"]) for r in rows if "code" in r]
    shaped: list[tuple[str, str]] = []
    for r in rows:
        if r["expected"] == "vulnerable" and "file" in r:
            s = body_snippet(files[r["file"]]["code"], int(r["target_line"]))
            if s is not None:
                shaped.append((r["id"], s))
    snippets += [Snippet(id=f"shape:{shape}:{rid}", response=text) for rid, s in shaped
                 for shape, text in shapes(s).items()]
    verdicts = {v.id: v for v in scan_snippets(snippets, workdir=workdir)}
    cells: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    per_row: dict[str, bool] = {}
    for r in rows:
        if "file" in r:
            v = verdicts[f"file:{r['file']}"]
            hit = any(f.counted and f.line == int(r["target_line"]) for f in v.findings)
        else:
            hit = verdicts[f"unit:{r['id']}"].status == "vulnerable"
        per_row[r["id"]] = hit
        truth = r["expected"] == "vulnerable"
        cwe = r.get("cwe") or "none"
        for key in (cwe, "all"):
            cells[key]["tp" if hit and truth else "fp" if hit else "fn" if truth else "tn"] += 1
    per_cwe: dict[str, Any] = {}
    for cwe, c in sorted(cells.items()):
        p, plo, phi = wilson(c["tp"], c["tp"] + c["fp"])
        rec, rlo, rhi = wilson(c["tp"], c["tp"] + c["fn"])
        per_cwe[cwe] = {**c, "precision": p, "precision_ci": [plo, phi], "recall": rec, "recall_ci": [rlo, rhi]}
    by_shape = {}
    for shape in SHAPES:
        vs = [verdicts[f"shape:{shape}:{rid}"] for rid, _ in shaped]
        flagged = sum(v.status == "vulnerable" for v in vs)
        by_shape[shape] = {"flagged": flagged, "n": len(vs), "rate": flagged / len(vs) if vs else None,
                           "missed": sorted(rid for (rid, _), v in zip(shaped, vs, strict=True)
                                            if v.status != "vulnerable")}
    return {"source": "Meta CyberSecEval insecure-code-detector Python tests (PurpleLlama @ 4be64c3a2444, MIT)",
            "unit": "annotated line (rule tests) or whole snippet (regex / CodeShield unit cases)",
            "per_cwe": per_cwe, "by_shape": by_shape, "rows": len(rows)}
