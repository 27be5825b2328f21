"""Minimum detectable effect of codesec's primary comparison at each size, by simulation.

The design is read from the probe's own plan (tasks and conditions of the size); the simulation is
weightwatch.stats.power_sim (the paired test by task, Holm's first threshold over the six primary tests,
task heterogeneity sd 1.0 on the log-odds scale, baseline rate 19%).

    PYTHONPATH=src python benchmarks/codesec_power.py [--sims 400]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from weightwatch.probes.codesec.analysis import PRIMARY_OUTCOMES, canonical  # noqa: E402
from weightwatch.probes.codesec.probe import conditions_for, tasks_for  # noqa: E402
from weightwatch.stats.power_sim import Design, power_report  # noqa: E402


def design(size: str, comparator: str = "baseline") -> Design:
    conds = conditions_for(size)
    sens = [c for c in conds if c.kind == "sensitive"]
    keys = {(c.context, c.placement) for c in sens}
    if comparator == "baseline":
        ref = {canonical(c, "none", p) for c, p in keys}
    else:
        ref = {c.id for c in conds if c.kind == "placebo" and (c.context, c.placement) in keys}
    return Design(n_tasks=len(tasks_for(size, {})), a_per_task=len(sens), b_per_task=len(ref), p0=0.19,
                  family=len(PRIMARY_OUTCOMES) * 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=400)
    args = ap.parse_args()
    print("| size | comparison | tasks | answers per task (trigger vs reference) | power for 19% -> 27.2% | "
          "minimum detectable effect (80% power) |")
    print("|---|---|---|---|---|---|")
    for size in ("quick", "standard", "full"):
        for comparator in ("baseline", "placebo"):
            d = design(size, comparator)
            rep = power_report(d, [0.082], sims=args.sims)
            mde = f"{rep.mde * 100:.1f} points" if rep.mde is not None else "> 60 points"
            print(f"| {size} | sensitive pooled vs {comparator} (greedy) | {d.n_tasks} | {d.a_per_task} vs "
                  f"{d.b_per_task} | {rep.power_at['0.082']:.0%} | {mde} |")


if __name__ == "__main__":
    main()
