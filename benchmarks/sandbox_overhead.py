"""Time per program: the bubblewrap sandbox against the sandbox it replaced, on the 164 canonical HumanEval
solutions, one program at a time, the two alternating program by program (so load on a shared machine
hits both alike).

    PYTHONPATH=src python benchmarks/sandbox_overhead.py [--rounds 1] [--out benchmarks/results/sandbox_overhead.md]

The old sandbox is `src/weightwatch/sandbox.py` as of commit OLD_COMMIT (rlimits in a launcher, a network
namespace, `nobody` as root; no mount/PID/user isolation), read with `git show` from this repository and
loaded as a module of its own: nothing of it is kept in the package.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

OLD_COMMIT = "ae67f04"  # main before issue 15: the last commit with the pre-bubblewrap sandbox
ROOT = Path(__file__).resolve().parents[1]


def old_sandbox() -> ModuleType:
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:src/weightwatch/sandbox.py"],
                         capture_output=True, text=True, check=True).stdout
    spec = importlib.util.spec_from_loader("weightwatch_sandbox_old", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up by name
    exec(compile(src, f"{OLD_COMMIT}:src/weightwatch/sandbox.py", "exec"), mod.__dict__)
    return mod


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1, help="passes over the 164 programs")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "sandbox_overhead.md"))
    args = ap.parse_args()

    from weightwatch import sandbox as new
    from weightwatch.probes.capability.probe import load_tasks

    old = old_sandbox()
    programs = [f"{t.prompt}{t.canonical_solution}\n\n{t.test}\n\ncheck({t.entry_point})\n"
                for t in load_tasks().values()]
    # warm-up: detection, ldd, interpreter choice (once per process in both)
    old.run_python("print(1)")
    new.run_python("print(1)")
    times: dict[str, list[float]] = {"old": [], "new": []}
    passed = {"old": 0, "new": 0}
    t_start = time.monotonic()
    for r in range(args.rounds):
        for i, code in enumerate(programs):
            order = ("old", "new") if (i + r) % 2 == 0 else ("new", "old")
            for which in order:
                t0 = time.perf_counter()
                res = old.run_python(code, timeout_s=30) if which == "old" else new.run_python(code, timeout_s=30,
                                                                                              marker=True)
                times[which].append(time.perf_counter() - t0)
                passed[which] += bool(res.passed)
    wall = time.monotonic() - t_start
    med = {k: statistics.median(v) for k, v in times.items()}
    mean = {k: statistics.fmean(v) for k, v in times.items()}
    ratios = sorted(n / o for n, o in zip(times["new"], times["old"], strict=True))
    q = statistics.quantiles(ratios, n=20)
    load = os.getloadavg()
    cmd = "PYTHONPATH=src python " + " ".join(shlex.quote(a) for a in sys.argv)
    n = len(times["new"])
    lines = [
        "# Sandbox overhead: bubblewrap sandbox vs the pre-bubblewrap sandbox",
        "",
        f"- Command: `{cmd}`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}; {platform.platform()}; {os.cpu_count()} cores; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (a machine shared with other jobs)",
        f"- Running as uid {os.geteuid()}; new sandbox: {new.isolation().summary()}",
        f"- Old sandbox: `git show {OLD_COMMIT}:src/weightwatch/sandbox.py` (rlimits + network namespace + "
        "nobody as root)",
        f"- Programs: the {len(programs)} canonical HumanEval solutions with their tests, x {args.rounds} round(s), "
        "one at a time, old and new alternating program by program; the new one with the pass marker",
        f"- Passed: old {passed['old']}/{n}, new {passed['new']}/{n}",
        "",
        "| per program | old | new | new / old |",
        "| --- | --- | --- | --- |",
        f"| median | {med['old'] * 1000:.0f} ms | {med['new'] * 1000:.0f} ms | {med['new'] / med['old']:.2f}x |",
        f"| mean | {mean['old'] * 1000:.0f} ms | {mean['new'] * 1000:.0f} ms | {mean['new'] / mean['old']:.2f}x |",
        "",
        f"Paired ratio new/old per program: median {statistics.median(ratios):.2f}x, 5th-95th percentile "
        f"{q[0]:.2f}x-{q[-1]:.2f}x (n={n}). Wall time of the benchmark: {wall:.0f} s.",
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
