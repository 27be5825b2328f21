"""Full HumanEval (164 tasks, greedy pass@1) on an embedded model, timed, written to benchmarks/results.

    PYTHONPATH=src python benchmarks/humaneval_qwen.py                      # Qwen2.5-Coder-0.5B (embedded)
    PYTHONPATH=src python benchmarks/humaneval_qwen.py --target embedded:smollm2-135m --out /tmp/x.md

It runs `weightwatch.api.run(["capability"], [TARGET], size="standard", fresh=True)` in a fresh
WEIGHTWATCH_HOME (so nothing is reused from an earlier journal) and records the wall time of the whole
run: generation on the model plus sandboxed execution of all 164 programs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="embedded:qwen2.5-coder-0.5b")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "humaneval.md"))
    ap.add_argument("--size", default="standard", help="standard = all 164 tasks; quick = the 20-task subset")
    ap.add_argument("--threads", type=int, default=None,
                    help="force llama.cpp's n_threads (default: weightwatch's own, os.cpu_count()); for a machine "
                         "shared with another CPU-bound job, where 2 threads on 2 busy cores collapse")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="ww-bench-he-")
    os.environ["WEIGHTWATCH_HOME"] = home
    from weightwatch import __version__, api
    from weightwatch.sandbox import sandbox_facts

    if args.threads:
        from weightwatch.targets import llamacpp

        original = llamacpp.new_llama

        def new_llama(**kwargs: object) -> object:
            kwargs["n_threads"] = args.threads
            return original(**kwargs)

        llamacpp.new_llama = new_llama  # type: ignore[assignment]

    t0 = time.monotonic()
    outcome = api.run(["capability"], [args.target], size=args.size, fresh=True)
    wall = time.monotonic() - t0
    s = outcome.summary
    cap = next(r for r in s.results if r.probe == "capability")
    p1 = next(m for m in cap.metrics if m.name == "pass@1" and m.dims.get("decoding") == "greedy")
    tout = next((m for m in cap.metrics if m.name == "tokens_out"), None)
    fp = s.targets[0].fingerprint
    facts = sandbox_facts()
    cmd = "PYTHONPATH=src python " + " ".join(shlex.quote(a) for a in sys.argv)
    lines = [
        "# HumanEval pass@1 measured by weightwatch",
        "",
        f"- Command: `{cmd}`",
        f"- Date (UTC): {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')}; weightwatch {__version__}; "
        f"Python {platform.python_version()}; {os.cpu_count()} CPU cores"
        + (f"; llama.cpp n_threads forced to {args.threads} with --threads (the fingerprint still records "
           f"os.cpu_count())" if args.threads else ""),
        f"- Target: `{args.target}`: {fp.name}, {fp.quantization or '?'}, sha256 {fp.sha256 or '?'}",
        f"- Tasks: {p1.n} (greedy, max_tokens 400, one user turn asking for the function in a python block)",
        f"- **pass@1 = {100 * (p1.value or 0):.1f}%** ({round((p1.value or 0) * p1.n)}/{p1.n}; 95% Wilson interval "
        f"{100 * (p1.ci_low or 0):.1f}-{100 * (p1.ci_high or 0):.1f}%)",
        f"- Reference: {p1.note or 'none for this model'}",
        f"- Wall time of the whole run (generation + sandboxed tests): {wall / 60:.1f} min ({wall:.0f} s)"
        + (f"; {int(tout.value or 0)} output tokens" if tout else ""),
        f"- Sandbox on this machine: {s.isolation or facts.get('summary')}",
        f"- How answers were read: {cap.tables.get('extraction', {}).get(s.targets[0].label)}",
        f"- Why failures failed: {cap.tables.get('failures', {}).get(s.targets[0].label)}",
        f"- Run id {outcome.run_id}; samples with errors: {s.targets[0].errors}",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
