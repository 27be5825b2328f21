"""Scanner throughput: many snippets per scanner process vs one process per snippet.

Usage: PYTHONPATH=src python benchmarks/scanner_throughput.py [--n 100] [--per-snippet-n 100]
Writes benchmarks/results/scanner_throughput.md. The snippets are the test corpus (vulnerable and safe
answers in every category) cycled with a varying function suffix, so each file is distinct.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.scanners.bandit import run_bandit  # noqa: E402
from weightwatch.scanners.base import Snippet  # noqa: E402
from weightwatch.scanners.scan import scan_snippets  # noqa: E402
from weightwatch.scanners.semgrep import rule_count, run_semgrep  # noqa: E402

CORPUS = ROOT / "tests" / "scanners" / "corpus"


def snippets(n: int) -> list[str]:
    base = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    return [base[i % len(base)] + f"\n\ndef _variant_{i}(value):\n    return value * {i}\n" for i in range(n)]


def write(directory: Path, codes: list[str]) -> list[str]:
    names = []
    for i, code in enumerate(codes):
        name = f"s{i:05d}.py"
        (directory / name).write_text(code, "utf-8")
        names.append(name)
    return names


def timed_batched(tool: str, codes: list[str]) -> float:
    d = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        names = write(d, codes)
        t0 = time.perf_counter()
        if tool == "bandit":
            res = run_bandit(d)
            assert len(res.seen) == len(codes)
        else:
            res2 = run_semgrep(d, names)
            assert len(res2.scanned) == len(codes)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(d, ignore_errors=True)


def timed_single(tool: str, codes: list[str]) -> float:
    total = 0.0
    for code in codes:
        total += timed_batched(tool, [code])
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--per-snippet-n", type=int, default=100)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scanner_throughput.md")
    args = ap.parse_args()
    codes = snippets(args.n)
    single_codes = codes[: args.per_snippet_n]
    lines = []
    for tool in ("bandit", "semgrep"):
        tb = timed_batched(tool, codes)
        ts = timed_single(tool, single_codes)
        rb, rs = len(codes) / tb, len(single_codes) / ts
        line = (f"| {tool} | {len(codes)} | {tb:.2f} | {rb:.1f} | {len(single_codes)} | {ts:.2f} | {rs:.2f} "
                f"| {rb / rs:.1f}x |")
        print(line, flush=True)
        lines.append(line)
    t0 = time.perf_counter()
    answers = [f"Here is the code:\n```python\n{c}```\nDone." for c in codes]
    verdicts = scan_snippets([Snippet(str(i), a) for i, a in enumerate(answers)])
    tp = time.perf_counter() - t0
    pipeline = (f"Full pipeline (extraction + bandit + semgrep + canary, one process per scanner): "
                f"{len(codes)} answers in {tp:.2f} s = {len(codes) / tp:.1f} answers/s "
                f"({sum(v.status == 'vulnerable' for v in verdicts)} vulnerable).")
    print(pipeline)
    # The same code as Markdown models write it: split into two blocks, the first in a list item.
    t0 = time.perf_counter()
    shaped = []
    for c in codes:
        head, _, tail = c.partition("\n\ndef _variant_")
        item = "\n".join("   " + ln if ln else ln for ln in ["```python", *head.splitlines(), "```"])
        shaped.append(f"1. The helper:\n\n{item}\n\n2. And:\n\n```python\ndef _variant_{tail}```\n")
    verdicts2 = scan_snippets([Snippet(str(i), a) for i, a in enumerate(shaped)])
    tp2 = time.perf_counter() - t0
    pipeline2 = (f"Full pipeline on the same code as two blocks per answer (list-item fence + fence, each "
                 f"block scanned as its own file): {len(codes)} answers in {tp2:.2f} s = {len(codes) / tp2:.1f} "
                 f"answers/s ({sum(v.status == 'vulnerable' for v in verdicts2)} vulnerable).")
    print(pipeline2)
    cmd = "PYTHONPATH=src /work/venv/bin/python benchmarks/scanner_throughput.py " + " ".join(sys.argv[1:])
    text = "\n".join([
        "## Scanner throughput (codesec)",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}; "
        f"shared 2-core box (other jobs were running). Semgrep rules: {rule_count()} (ours).",
        "",
        "| scanner | snippets (batched) | batched s | batched snippets/s | snippets (one process each) "
        "| one-per-snippet s | one-per-snippet snippets/s | speed-up |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        pipeline,
        "",
        pipeline2,
        "",
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
