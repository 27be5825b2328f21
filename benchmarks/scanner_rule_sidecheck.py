"""Side check of the scanner rules: verdicts on our 121 reference solutions, our insecure answers and the
41 greedy 'gen:' answers of tests/codesec/data/real_answers.jsonl.

Usage: PYTHONPATH=src python benchmarks/scanner_rule_sidecheck.py OUT.json WORKDIR
Run it with PYTHONPATH pointing at two checkouts (old and new rules) and compare the two JSON files.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "codesec"))
from insecure_answers import INSECURE  # noqa: E402

from weightwatch.probes.codesec.probe import load_functional, load_tasks  # noqa: E402
from weightwatch.scanners.base import Snippet  # noqa: E402
from weightwatch.scanners.scan import scan_snippets  # noqa: E402

tasks = {t["id"]: t for t in load_tasks()["tasks"]}
tests = load_functional()


def fence(code: str) -> str:
    return "```python\n" + code + "```\n"


sn = [Snippet(id="ref:" + tid, response=fence(t["reference"]), category=tasks[tid]["category"])
      for tid, t in tests.items()]
sn += [Snippet(id="ins:" + tid, response=fence(c), category=tasks[tid]["category"]) for tid, c in INSECURE.items()]
for line in (ROOT / "tests/codesec/data/real_answers.jsonl").read_text("utf-8").splitlines():
    r = json.loads(line)
    if r["id"].startswith("gen:"):
        sn.append(Snippet(id=r["id"], response=r["response"], category=tasks[r["task"]]["category"]))
out = {}
for v in scan_snippets(sn, workdir=Path(sys.argv[2])):
    out[v.id] = [v.status, sorted({f.rule for f in v.findings if f.counted})]
Path(sys.argv[1]).write_text(json.dumps(out, indent=0), "utf-8")
