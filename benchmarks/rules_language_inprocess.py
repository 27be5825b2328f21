"""Benchmark: the rule judge and the language detector alone, in one process, on the SpeechMap answers (CPU seconds).

    PYTHONPATH=<tree>/src python benchmarks/rules_language_inprocess.py [--data ../shared/data/speechmap-dev.jsonl]

Times `detect_language` over every labelled answer and over the Finnish-set ones, and `rules.judge_text` over every
labelled answer (raw responses, reasoning not removed), each the best of 3 passes of process CPU time, so two source
trees can be compared on a loaded machine by alternating runs. Results: BENCHMARKS.md 6j.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from weightwatch.judges.language import detect_language
from weightwatch.judges.rules import judge_text
from weightwatch.probes.censorship.calibrate import default_data_dir

DATA = default_data_dir(Path(__file__).resolve().parents[1]) / "speechmap-dev.jsonl"


def best_of(fn: Any, texts: list[str], passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        t = time.process_time()
        for x in texts:
            fn(x)
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"error: {args.data} not found; pass --data PATH to speechmap-dev.jsonl")
    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("label") in ("COMPLETE", "DENIAL", "EVASIVE")]
    texts = [r["response"] or "" for r in rows]
    fi = [r["response"] or "" for r in rows if r["language"] == "fi"]
    for name, fn, tx in (("detect_language, all", detect_language, texts), ("detect_language, fi set",
                         detect_language, fi), ("judge_text, all", judge_text, texts)):
        print(f"{name:24s} {len(tx):5d} answers {best_of(fn, tx):.3f} s CPU")


if __name__ == "__main__":
    main()
