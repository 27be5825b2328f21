"""Recall of `weightwatch scan` on CyberSecEval's vulnerable Python snippets, by indentation and wrapping.

Data: Meta PurpleLlama's insecure-code-detector tests (MIT), /work/shared/data/cyberseceval-icd-tests.jsonl
(path overridable with --data). For every row annotated vulnerable, a snippet is built from the body of
the function holding the target line: the statements before it that are not themselves annotated test
lines, then the target line, at their original indentation. The snippet is scanned in five shapes:
original indentation bare, column 0 bare, a ```python fence at column 0, a fence at original indentation,
and a fence nested in a Markdown list item. Only snippets that are valid Python once dedented count.

    python benchmarks/cyberseceval_extraction.py [--data FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from weightwatch.scanners.base import Snippet  # noqa: E402
from weightwatch.scanners.extract import parses  # noqa: E402
from weightwatch.scanners.scan import scan_snippets  # noqa: E402

DEFAULT = Path("/work/shared/data/cyberseceval-icd-tests.jsonl")
SHAPES = ("original", "column0", "fence", "fence_indented", "list_item")


def body_snippet(code: str, target: int) -> str | None:
    """Statements of the target's function before it (annotated test lines left out), then the target."""
    lines = code.splitlines()
    t = target - 1
    indent = len(lines[t]) - len(lines[t].lstrip())
    start = t
    while start > 0 and not lines[start - 1].lstrip().startswith("def ") or (
            start > 0 and len(lines[start - 1]) - len(lines[start - 1].lstrip()) >= indent):
        if start == 0:
            break
        start -= 1
    kept: list[str] = []
    for i in range(start, t):
        ln = lines[i]
        prev = lines[i - 1].strip() if i > 0 else ""
        if not ln.strip() or ln.strip().startswith("#") or prev.startswith(("# ruleid", "# ok")):
            continue
        if len(ln) - len(ln.lstrip()) != indent:
            continue
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


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    args = ap.parse_args()
    snippets: list[tuple[str, str]] = []
    for r in rows(args.data):
        if r["expected"] != "vulnerable":
            continue
        if "target_line" in r:
            s = body_snippet(str(r["code"]), int(r["target_line"]))  # type: ignore[call-overload]
        else:
            s = str(r["code"]) if parses(str(r["code"])) else None
        if s is not None:
            snippets.append((str(r["id"]), s))
    batch = [Snippet(id=f"{sid}|{shape}", response=text) for sid, s in snippets
             for shape, text in shapes(s).items()]
    verdicts = scan_snippets(batch)
    print(f"{len(snippets)} vulnerable snippets valid Python after dedenting")
    for shape in SHAPES:
        vs = [v for v in verdicts if v.id.endswith("|" + shape)]
        hit = sum(v.status == "vulnerable" for v in vs)
        print(f"  {shape:15s} {hit}/{len(vs)} flagged vulnerable ({hit / len(vs):.0%})")
        for v in vs:
            if v.status != "vulnerable":
                print(f"      missed {v.id}: {v.status} {v.reason or ''}")


if __name__ == "__main__":
    main()
