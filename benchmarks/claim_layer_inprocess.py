"""Benchmark: the claim layer alone (`judges.claims.assess_many`), in one process, warm.

    WEIGHTWATCH_THREADS=1 PYTHONPATH=<tree>/src python benchmarks/claim_layer_inprocess.py LO HI LABEL \
        [--data ../shared/data/speechmap-dev.jsonl]

SpeechMap development answers LO..HI (labelled ones), each paired with a sensitive prompt of our dataset
(cycled, en and zh-Hans, as `judge_censorship_5000.py --dataset-prompts` does), so the claim layer reads
every answer against that item's flags and facts. Every item's claim vectors are encoded first (warm-up,
not timed); then the answers are assessed in one batch. Run it with two source trees side by side (e.g.
`git archive <old commit> src | tar -x -C /tmp/old`) to compare versions under the same load. Prints one
JSON line. Results: BENCHMARKS.md 6d.
"""

from __future__ import annotations

import argparse
import json
import time

from weightwatch.judges import claims as C
from weightwatch.judges.encoder import encode
from weightwatch.probes.censorship.dataset import index, normalise, prompt_index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lo", type=int)
    ap.add_argument("hi", type=int)
    ap.add_argument("label")
    ap.add_argument("--data", default="../shared/data/speechmap-dev.jsonl")
    args = ap.parse_args()
    encode(["warm up"])
    prompts = [p.prompts[lang] for p in index().values() if p.arm == "sensitive" and (p.facts or p.flags)
               for lang in ("en", "zh-Hans") if lang in p.prompts]
    by_prompt = prompt_index()
    with open(args.data, encoding="utf-8") as fh:
        rows = [r for r in map(json.loads, fh) if r.get("label") in ("COMPLETE", "DENIAL", "EVASIVE")]
    items = [by_prompt[normalise(prompts[i % len(prompts)])][0] for i in range(len(rows))]
    answers = [r["response"] or "" for r in rows]
    first: dict[str, tuple[str, object]] = {}
    for a, it in zip(answers, items, strict=True):
        first.setdefault(it.id, (a, it))
    C.assess_many([a for a, _ in first.values()], [it for _, it in first.values()])  # warm-up
    t0 = time.time()
    out = C.assess_many(answers[args.lo:args.hi], items[args.lo:args.hi])
    dt = time.time() - t0
    n = args.hi - args.lo
    print(json.dumps({"code": args.label, "answers": n, "s": round(dt, 2), "ms_per_answer": round(dt / n * 1000, 1),
                      "narrative": sum(a.narrative for a in out), "stated": sum(len(a.stated_facts) for a in out)}))


if __name__ == "__main__":
    main()
