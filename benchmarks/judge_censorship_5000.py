"""Benchmark: `weightwatch judge censorship` on 5,000 real answers, full judge vs the rule layer alone.

    python benchmarks/judge_censorship_5000.py [--data ../shared/data/speechmap-dev.jsonl] [--n 5000]
    python benchmarks/judge_censorship_5000.py --dataset-prompts [--n 5000] [--baseline-src OLD_TREE/src]

Builds a 5,000-answer JSONL from the SpeechMap development set (its 3,154 labelled answers, repeated
with new ids; language given), then times, side by side in fresh processes:
  1. `weightwatch judge censorship -i FILE -o OUT` (rules + learned head: the shipped judge), and
  2. the same with the head switched off (WEIGHTWATCH_CENSORSHIP_HEAD=0: the rule layer alone, the peer).
With --dataset-prompts, each answer is paired with a sensitive prompt of our dataset instead (cycled), so
the claim layer reads every answer against that item's flags and facts; timed in the same run against
  - the rule layer alone on the same answers with their own prompts (WEIGHTWATCH_CENSORSHIP_HEAD=0, no
    dataset item: no claims; the peer of section 6), and
  - the full judge on the same answers with their own prompts (claim layer skipped; the peer of 6b-6e);
with --baseline-src, also the full judge of another source tree (e.g. `git archive <commit> src | tar -x
-C /tmp/old`, pass /tmp/old/src) on the dataset-prompt file, and every output record of the two trees is
compared (labels identical or not).
Wall time includes process start, imports and the encoder's load. The output says whether the encoder's
cache of the dataset's claim-sentence vectors (judges/encoder.py) was on disk at the start (a first run
writes it). WEIGHTWATCH_THREADS sets the encoder's
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


def dataset_prompts() -> list[str]:
    from weightwatch.probes.censorship import dataset

    return [p.prompts[lang] for p in dataset.index().values() if p.arm == "sensitive" and (p.facts or p.flags)
            for lang in ("en", "zh-Hans") if lang in p.prompts]


def build(data: Path, n: int, out: Path, prompts: list[str] | None = None) -> None:
    rows = [json.loads(line) for line in data.read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("label") in ("COMPLETE", "DENIAL", "EVASIVE")]
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            r = rows[i % len(rows)]
            reasoning = r.get("reasoning") if isinstance(r.get("reasoning"), str) and r["reasoning"] != "None" else None
            prompt = prompts[i % len(prompts)] if prompts else r["question"]
            fh.write(json.dumps({"id": f"{r['id']}#{i}", "prompt": prompt, "response": r["response"] or "",
                                 "reasoning": reasoning, "language": r["language"]}, ensure_ascii=False) + "\n")


CPU_S: list[float] = []  # CPU seconds (user + system) of each timed command and its worker processes


def timed(inp: Path, out: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    c0 = os.times()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "censorship", "-i", str(inp), "-o", str(out)],
                          capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t0
    c1 = os.times()
    CPU_S.append(round(c1.children_user + c1.children_system - c0.children_user - c0.children_system, 1))
    return wall, json.loads(proc.stdout)


def differing(a: Path, b: Path) -> int:
    """Output records (all fields) that differ between two runs on the same input."""
    ra, rb = a.read_text("utf-8").splitlines(), b.read_text("utf-8").splitlines()
    if len(ra) != len(rb):
        return max(len(ra), len(rb))
    return sum(json.loads(x) != json.loads(y) for x, y in zip(ra, rb, strict=True))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--dataset-prompts", action="store_true", help="time the claim layer (see the docstring)")
    ap.add_argument("--baseline-src", type=Path, help="with --dataset-prompts: another tree's src to time and compare")
    args = ap.parse_args()
    if args.dataset_prompts:
        return claims_main(args.data, args.n, args.baseline_src)
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


def _encoder_cache() -> dict[str, object]:
    """Whether the encoder's cache of fixed sentences' vectors (judges/encoder.py, this tree) is on disk."""
    try:
        from weightwatch.judges.encoder import cache_file
    except ImportError:
        return {}
    path = cache_file()
    return {"encoder_cache_file": str(path), "encoder_cache_present": bool(path and path.is_file())}


def claims_main(data: Path, n: int, baseline_src: Path | None = None) -> int:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cache_at_start = _encoder_cache()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        inp, own = Path(tmp) / "dataset.jsonl", Path(tmp) / "own.jsonl"
        build(data, n, inp, dataset_prompts())
        build(data, n, own)
        base = dict(os.environ, NO_COLOR="1", COLUMNS="300")
        rules_s, rules_counts = timed(own, Path(tmp) / "rules.jsonl", {**base, "WEIGHTWATCH_CENSORSHIP_HEAD": "0"})
        loads.append(os.getloadavg()[0])
        claims_s, claims_counts = timed(inp, Path(tmp) / "claims.jsonl", base)
        loads.append(os.getloadavg()[0])
        result: dict[str, object] = {}
        if baseline_src is not None:
            old_env = {**base, "PYTHONPATH": str(baseline_src.resolve())}
            old_s, old_counts = timed(inp, Path(tmp) / "claims-baseline.jsonl", old_env)
            loads.append(os.getloadavg()[0])
            result.update(baseline_src=str(baseline_src), baseline_with_claims_s=round(old_s, 1),
                          baseline_counts=old_counts, ratio_baseline_over_rules=round(old_s / rules_s, 2),
                          records_differing_from_baseline=differing(Path(tmp) / "claims.jsonl",
                                                                    Path(tmp) / "claims-baseline.jsonl"))
        own_s, own_counts = timed(own, Path(tmp) / "own-out.jsonl", base)
        loads.append(os.getloadavg()[0])
    print(json.dumps({"answers": n, "threads": os.environ.get("WEIGHTWATCH_THREADS", "cores"), "started_utc": started,
                      "with_claims_s": round(claims_s, 1), "rules_only_s": round(rules_s, 1),
                      "without_claims_s": round(own_s, 1), "ratio_claims_over_rules": round(claims_s / rules_s, 2),
                      "ratio_claims_over_none": round(claims_s / own_s, 2), **result, "claims_counts": claims_counts,
                      "rules_counts": rules_counts, "own_counts": own_counts,
                      "load_1min_before_and_after_each": loads, "cache_at_start": cache_at_start,
                      "cpu_s_rules_claims_baseline_own": CPU_S,
                      "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
