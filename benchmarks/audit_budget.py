"""What the default audit costs, per probe and target, from a real run's journal; and what a plan would cost.

    PYTHONPATH=src python benchmarks/audit_budget.py --journal JOURNAL.sqlite --run RUN_ID

Reads the journaled answers of RUN_ID (a `weightwatch audit` run): per target and probe, the answers, their
output tokens, how many hit max_tokens, and the wall time the probe's generation took (first request
started to last answer finished; the runner decodes several sequences together, so this is the time
that counts, not the sum of per-answer times). From these it prices the plan that the *current* code's
`quick` size makes for the same targets (the probes' own `plan()`): answers x measured seconds per
answer, scaled per probe by the output tokens an answer would have under the new max_tokens (each
measured answer cut at the new limit). Probes whose plan did not change keep their measured time.
It also prints the n per headline arm and the smallest censorship gap each n can detect (two
independent proportions at 50%, power 0.8, alpha 0.05).

This is an estimate from measured costs (same machine, same threads as the measured run), not a run of
the new plan: the real wall time of the new default is measured by CI (.ci/run prints every step's
start; scripts/check_audit.py prints the audit's own wall time).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import defaultdict
from typing import Any

from weightwatch.probes import registry
from weightwatch.probes.base import PlanContext, TargetInfo
from weightwatch.stats.mde import mde_two_proportions
from weightwatch.types import Fingerprint

HEADLINE_ARMS = {  # probe -> (meta key, arm values) whose answers are the headline's two arms
    "censorship": ("arm", ("sensitive", "control")),
    "codesec": ("group", ("none", "tibet", "falungong", "norway")),
}


def measured(db: sqlite3.Connection, run: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = db.execute(
        "select s.target_label, s.probe, s.completion_tokens, s.planned_json, s.completion_json "
        "from samples s join run_samples r using(digest) where r.run_id = ?", (run,)).fetchall()
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"n": 0, "tokens": [], "cut": 0,
                                                                      "start": None, "end": None, "max": 0})
    for label, probe, tokens, planned, completion in rows:
        c = json.loads(completion)
        p = json.loads(planned)
        d = out[(label, probe)]
        d["n"] += 1
        d["tokens"].append(int(tokens or 0))
        d["max"] = max(d["max"], int(p["request"].get("max_tokens") or 0))
        d["cut"] += c.get("finish_reason") == "length"
        raw = c.get("raw") or {}
        st, fi = raw.get("started_at"), raw.get("finished_at")
        if st is not None and fi is not None:
            d["start"] = st if d["start"] is None else min(d["start"], st)
            d["end"] = fi if d["end"] is None else max(d["end"], fi)
    return dict(out)


def planned(db: sqlite3.Connection, run: str) -> dict[tuple[str, str], list[Any]]:
    targets = db.execute("select distinct t.name, t.kind, t.fingerprint_json, s.target_label from targets t "
                         "join samples s on s.target_id = t.target_id join run_samples r using(digest) "
                         "where r.run_id = ?", (run,)).fetchall()
    out: dict[tuple[str, str], list[Any]] = {}
    for _name, kind, fp_json, label in targets:
        info = TargetInfo(label=label, kind=kind, fingerprint=Fingerprint.model_validate_json(fp_json))
        for probe in registry.audit_probes():
            out[(label, probe)] = list(registry.get(probe).plan(info, PlanContext(size="quick")))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--journal", required=True)
    ap.add_argument("--run", required=True)
    args = ap.parse_args()
    db = sqlite3.connect(args.journal)
    (created, finished), = db.execute("select created_at, finished_at from runs where run_id = ?", (args.run,))
    before = measured(db, args.run)
    after = planned(db, args.run)
    print(f"run {args.run}: {created} -> {finished}")
    print("| target | probe | answers | out tokens (mean) | cut at max_tokens | max_tokens | generation s | "
          "s per answer | planned answers | planned max_tokens | estimated s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    total_before = total_after = 0.0
    for (label, probe), d in sorted(before.items(), key=lambda kv: kv[1]["start"] or 0):
        span = (d["end"] - d["start"]) if d["start"] is not None else 0.0
        per = span / d["n"] if d["n"] else 0.0
        plan = after.get((label, probe), [])
        new_max = max((p.request.max_tokens or 0 for p in plan), default=0)
        scale = 1.0
        if plan and new_max and new_max < d["max"] and sum(d["tokens"]):
            scale = sum(min(t, new_max) for t in d["tokens"]) / sum(d["tokens"])
        est = len(plan) * per * scale
        total_before += span
        total_after += est
        print(f"| {label} | {probe} | {d['n']} | {sum(d['tokens']) / max(d['n'], 1):.0f} | {d['cut']} | {d['max']} "
              f"| {span:.0f} | {per:.2f} | {len(plan)} | {new_max} | {est:.0f} |")
    print(f"\ngeneration, summed over probes: measured {total_before:.0f} s; planned (estimate) {total_after:.0f} s; "
          f"ratio {total_after / total_before:.2f}")
    print("\nn per headline arm (per target):")
    for (label, probe), plan in sorted(after.items()):
        if probe not in HEADLINE_ARMS:
            continue
        key, arms = HEADLINE_ARMS[probe]
        old: dict[str, int] = defaultdict(int)
        counts: dict[str, int] = defaultdict(int)
        for p in plan:
            counts[str(p.meta.get(key))] += 1
        was = dict(db.execute(
            "select json_extract(planned_json, '$.meta." + key + "'), count(*) from samples s join run_samples r "
            "using(digest) where r.run_id = ? and s.probe = ? and s.target_label = ? group by 1",
            (args.run, probe, label)).fetchall())
        for arm in arms:
            if counts.get(arm) or was.get(arm):
                old[arm] = was.get(arm, 0)
                line = f"  {label} {probe} {key}={arm}: {old[arm]} -> {counts.get(arm, 0)}"
                if probe == "censorship":
                    m0, m1 = mde_two_proportions(0.5, old[arm]), mde_two_proportions(0.5, counts.get(arm, 0))
                    line += (f" (smallest gap detectable at 50%: {100 * (m0 or 1):.0f} -> "
                             f"{100 * (m1 or 1):.0f} points)")
                print(line)


if __name__ == "__main__":
    main()
