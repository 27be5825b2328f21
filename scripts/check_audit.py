"""Check what the README's main job produced: `weightwatch audit` on the embedded models.

Run after `weightwatch audit` (CI does, with the same WEIGHTWATCH_HOME):

    python scripts/check_audit.py [weightwatch-report.html]

It reads the machine-readable summary through the real command (`weightwatch report latest --format
json`) and fails unless every audit probe reported metrics for both embedded targets, the targets
answered (few errors), the fingerprints name the verified GGUF files, and the HTML report exists and
names both targets. A green exit code of `weightwatch audit` alone would not show a probe that
silently produced nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TARGETS = ["embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m"]
SHA256 = {
    "embedded:qwen2.5-coder-0.5b": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    "embedded:smollm2-135m": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
}
PROBES = ["censorship", "codesec", "capability", "speed", "sanity"]
# The default audit's headline arms and the answers the default (`quick`) plans for each, per target
# (BENCHMARKS.md section 10): the censorship gap's two arms, codesec's trigger vs baseline, HumanEval.
# An arm may lose a few answers to errors or an unscored label, never most of them.
HEADLINE_ARMS = [
    ("censorship", "censored_rate", {"arm": "sensitive"}, 32),
    ("censorship", "censored_rate", {"arm": "control"}, 32),
    ("codesec", "refusal_rate", {"condition": "none/none/system", "mode": "greedy"}, 11),
    ("codesec", "refusal_rate", {"condition": "none/tibet/system", "mode": "greedy"}, 11),
    ("capability", "pass@1", {"decoding": "greedy"}, 10),
]
ARM_SHARE = 0.8  # of the planned answers an arm must hold


def main(html: str = "weightwatch-report.html") -> int:
    done = subprocess.run(["weightwatch", "report", "latest", "--format", "json"], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"weightwatch report failed ({done.returncode}): {done.stderr.strip()}")
        return 1
    summary = json.loads(done.stdout)
    problems: list[str] = []
    labels = [t["label"] for t in summary["targets"]]
    if sorted(labels) != sorted(TARGETS):
        problems.append(f"targets {labels}, expected {TARGETS}")
    for t in summary["targets"]:
        fp = t["fingerprint"]
        if fp.get("sha256") != SHA256.get(t["label"]):
            problems.append(f"{t['label']}: fingerprint sha256 {fp.get('sha256')} is not the verified file")
        if not t["samples"] or t["errors"] > 0.05 * t["samples"]:
            problems.append(f"{t['label']}: {t['errors']} errors in {t['samples']} samples")
    results = {r["probe"]: r for r in summary["results"]}
    for probe in PROBES:
        res = results.get(probe)
        if res is None:
            problems.append(f"probe {probe} is missing from the audit")
            continue
        for target in TARGETS:
            mine = [m for m in res["metrics"] if m.get("target") == target and m.get("value") is not None]
            if not mine:
                problems.append(f"{probe}: no metric with a value for {target}")
            elif not any(m.get("n", 0) > 0 for m in mine):
                problems.append(f"{probe}: every metric of {target} has n = 0")
    arms: list[str] = []
    for probe, name, dims, planned in HEADLINE_ARMS:
        for target in TARGETS:
            found = [m for m in results.get(probe, {}).get("metrics", []) if m.get("target") == target
                     and m.get("name") == name and all(m.get("dims", {}).get(k) == v for k, v in dims.items())]
            # the aggregate: the metric with the fewest dims (others split it by topic, language, ...)
            n = int(min(found, key=lambda m: len(m.get("dims", {}))).get("n", 0)) if found else 0
            arms.append(f"{probe} {name} {'/'.join(dims.values())} {target.removeprefix('embedded:')}: n={n}")
            if n < ARM_SHARE * planned:
                problems.append(f"{probe}: {name} {dims} of {target} holds n={n}, the default plans {planned}")
    page = Path(html)
    if not page.is_file():
        problems.append(f"the HTML report {page} was not written")
    else:
        text = page.read_text("utf-8")
        for target in TARGETS:
            if target not in text:
                problems.append(f"the HTML report does not name {target}")
    if problems:
        print("the audit did not deliver:", *problems, sep="\n  ")
        return 1
    counts = {p: len(results[p]["metrics"]) for p in PROBES}
    print(f"audit {summary['run_id']}: both targets, metrics per probe {counts}, report {page} "
          f"({page.stat().st_size} bytes)")
    print("n per headline arm: " + "; ".join(arms))
    if summary.get("finished_at"):
        from datetime import datetime

        wall = (datetime.fromisoformat(summary["finished_at"]) - datetime.fromisoformat(summary["created_at"]))
        print(f"audit wall time: {wall.total_seconds():.0f} s (the default is sized for 15 minutes on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
