"""Benchmark: `weightwatch judge censorship` on 5,000 real answers, full judge vs the rule layer alone.

    python benchmarks/judge_censorship_5000.py [--data ../shared/data/speechmap-dev.jsonl] [--n 5000]

Builds a 5,000-answer JSONL from the SpeechMap development set (its 3,154 labelled answers, repeated
with new ids; language given), then times, side by side in fresh processes:
  1. `weightwatch judge censorship -i FILE -o OUT` (rules + learned head: the shipped judge), and
  2. the same with the head switched off (WEIGHTWATCH_CENSORSHIP_HEAD=0: the rule layer alone, the peer).
Wall time includes process start, imports and the encoder's load. WEIGHTWATCH_THREADS sets the encoder's
worker processes (default: the cores this process may use). Results: BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from weightwatch.probes.censorship.calibrate import default_data_dir  # noqa: E402

DATA = default_data_dir(ROOT) / "speechmap-dev.jsonl"


def build(data: Path, n: int, out: Path) -> None:
    rows = [json.loads(line) for line in data.read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("label") in ("COMPLETE", "DENIAL", "EVASIVE")]
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            r = rows[i % len(rows)]
            reasoning = r.get("reasoning") if isinstance(r.get("reasoning"), str) and r["reasoning"] != "None" else None
            fh.write(json.dumps({"id": f"{r['id']}#{i}", "prompt": r["question"], "response": r["response"] or "",
                                 "reasoning": reasoning, "language": r["language"]}, ensure_ascii=False) + "\n")


def timed(inp: Path, out: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "censorship", "-i", str(inp), "-o", str(out)],
                          capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, json.loads(proc.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "answers.jsonl"
        build(args.data, args.n, inp)
        base = dict(os.environ, NO_COLOR="1", COLUMNS="300")
        full_s, full_counts = timed(inp, Path(tmp) / "full.jsonl", base)
        rules_s, rules_counts = timed(inp, Path(tmp) / "rules.jsonl", {**base, "WEIGHTWATCH_CENSORSHIP_HEAD": "0"})
    print(json.dumps({"answers": args.n, "threads": os.environ.get("WEIGHTWATCH_THREADS", "cores"),
                      "full_judge_s": round(full_s, 1), "rules_only_s": round(rules_s, 1),
                      "ratio_full_over_rules": round(full_s / rules_s, 2), "full_counts": full_counts,
                      "rules_counts": rules_counts, "load_1min": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
