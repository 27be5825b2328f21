"""Paired timing of the opening objective's scoring (BENCHMARKS.md 8i): every forced branch as its own
sequence (commit a4bc283, kept here as `separate`) vs each prompt's branches in one call with the prompt as
their shared start (`OpeningObjective.score`). Same Session, prompts and opening set; ABBA order.

    flock /work/heavy.lock env PYTHONPATH=src WEIGHTWATCH_THREADS=2 WEIGHTWATCH_MODELS=/work/models/models \\
        python benchmarks/modify_openings_speed.py --rounds 2
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import numpy as np

from weightwatch.modify import prompts as P
from weightwatch.modify.capture import Session
from weightwatch.modify.pipeline import _refused, resolve_base
from weightwatch.modify.search import (
    REFUSAL_OPENINGS,
    OpeningObjective,
    OpeningScore,
    Tokens,
    log_softmax,
    mass_logodds,
    opening_logmass,
    opening_paths,
)


def separate(obj: OpeningObjective, session: Session, prompts: Sequence[P.Prompt], chunk: int = 32) -> OpeningScore:
    jobs: list[tuple[int, Tokens]] = []
    per = [obj.for_language(p.language) for p in prompts]
    for i in range(len(prompts)):
        jobs.append((i, ()))
        jobs.extend((i, path) for path in opening_paths(per[i]))
    logp: list[dict[Tokens, dict[int, float]]] = [{} for _ in prompts]
    answers: list[list[int]] = [[] for _ in prompts]

    def keep(i: int, prefix: Tokens, logits: np.ndarray) -> None:
        need = {o[len(prefix)] for o in per[i] if len(o) > len(prefix) and o[:len(prefix)] == prefix}
        if need and prefix not in logp[i]:
            lp = log_softmax(logits)
            logp[i][prefix] = {t: float(lp[t]) for t in need}

    for k in range(0, len(jobs), chunk):
        part = jobs[k:k + chunk]
        got = session.run_many([prompts[i].text for i, _ in part],
                               max_tokens=[0 if path else obj.greedy_tokens for _, path in part],
                               forced=[list(path) for _, path in part], keep_forced=True)
        for (i, path), a in zip(part, got, strict=True):
            if not path:
                answers[i] = list(a.tokens)
                keep(i, (), a.first)
            for j, logits in enumerate(a.forced_logits):
                keep(i, path[:j], logits)
    odds = [mass_logodds(opening_logmass(per[i], logp[i])) for i in range(len(prompts))]
    return OpeningScore(logodds=odds, labels=[obj.label(session.detokenize(a)) for a in answers], answers=answers)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="embedded:qwen2.5-coder-0.5b")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    base = resolve_base(args.target)
    with Session(base) as session:
        sens = [p for p in P.pairs("select", ["en"]) if p.arm == "sensitive"]
        got = session.run_many([p.text for p in sens], max_tokens=16)
        refused = [p for p, a in zip(sens, got, strict=True)
                   if _refused(session.detokenize(a.tokens)) in ("refused", "deflected")]
        obj = OpeningObjective(label=_refused)
        for text in REFUSAL_OPENINGS["en"]:
            obj.add("en", session.llm.tokenize(text.encode(), add_bos=False, special=False), "forms", whole=True)
        times: dict[str, list[float]] = {"separate": [], "shared": []}
        scores: dict[str, OpeningScore] = {}
        for r in range(args.rounds):
            for name in (("separate", "shared") if r % 2 == 0 else ("shared", "separate")):
                t0 = time.perf_counter()
                scores[name] = separate(obj, session, refused) if name == "separate" else obj.score(session, refused)
                times[name].append(time.perf_counter() - t0)
        diff = max(abs(a - b) for a, b in zip(scores["separate"].logodds, scores["shared"].logodds, strict=True))
        out = {"prompts": len(refused), "openings": len(obj.for_language("en")),
               "paths": len(opening_paths(obj.for_language("en"))), "times_s": times,
               "ratio_median": float(np.median(times["separate"]) / np.median(times["shared"])),
               "max_abs_logodds_diff": diff, "mean_logodds": scores["shared"].mean,
               "same_labels": scores["separate"].labels == scores["shared"].labels}
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
