"""Alternating A/B of `weightwatch judge censorship` on one input file (BENCHMARKS.md 6k).

    python benchmarks/judge_censorship_ab.py IN.jsonl OUTDIR new=TREE/src base=OLD/src base=OLD/src new=TREE/src

Each arm (name=src folder, run in the order given) is a fresh process with WEIGHTWATCH_THREADS=2 and that
PYTHONPATH; prints one JSON line per arm (wall time, CPU seconds with its workers, 1-minute load before and
after) and, for every later arm, how many output records differ from the first arm's in any field.
Run it under `flock /work/heavy.lock` on the shared machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def _records(path: Path) -> list[object]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def main() -> int:
    inp, outdir = Path(sys.argv[1]), Path(sys.argv[2])
    arms = [a.split("=", 1) for a in sys.argv[3:]]
    outdir.mkdir(parents=True, exist_ok=True)
    outs = []
    for k, (name, src) in enumerate(arms):
        env = dict(os.environ, NO_COLOR="1", COLUMNS="300", WEIGHTWATCH_THREADS="2", PYTHONPATH=src)
        out = outdir / f"{k}-{name}.jsonl"
        before = _load()
        c0, t0 = os.times(), time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "censorship", "-i", str(inp), "-o",
                               str(out)], capture_output=True, text=True, env=env, check=False)
        wall, c1 = time.perf_counter() - t0, os.times()
        cpu = c1.children_user + c1.children_system - c0.children_user - c0.children_system
        started = time.strftime("%H:%M:%S", time.gmtime(time.time() - wall))
        print(json.dumps({"arm": name, "src": src, "utc_start": started,
                          "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "load_before": before,
                          "load_after": _load(), "rc": proc.returncode, "counts": proc.stdout.strip()[-300:],
                          "err": proc.stderr.strip()[-300:] if proc.returncode else ""}), flush=True)
        outs.append(out)
    first = _records(outs[0])
    for out in outs[1:]:
        other = _records(out)
        diff = [i for i, (a, b) in enumerate(zip(first, other, strict=False)) if a != b]
        print(json.dumps({"compare": [outs[0].name, out.name], "records": len(first), "differ": len(diff),
                          "first_ids": diff[:5]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
