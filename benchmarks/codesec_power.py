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

from weightwatch.probes.codesec.probe import planned_design  # noqa: E402
from weightwatch.stats.power_sim import power_report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=400)
    args = ap.parse_args()
    print("| size | comparison | tasks | answers per task (trigger vs reference) | power for 19% -> 27.2% | "
          "minimum detectable effect (80% power) |")
    print("|---|---|---|---|---|---|")
    for size in ("quick", "standard", "full"):
        for comparator in ("baseline", "placebo"):
            d = planned_design(size, comparator)
            if d.b_per_task == 0:  # the size has no such reference (quick plans no placebo)
                continue
            rep = power_report(d, [0.082], sims=args.sims)
            mde = f"{rep.mde * 100:.1f} points" if rep.mde is not None else "> 60 points"
            print(f"| {size} | sensitive pooled vs {comparator} (greedy) | {d.n_tasks} | {d.a_per_task} vs "
                  f"{d.b_per_task} | {rep.power_at['0.082']:.0%} | {mde} |")


if __name__ == "__main__":
    main()
