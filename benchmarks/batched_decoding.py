"""Batched decoding against single-stream, side by side, on the embedded models.

    PYTHONPATH=src WEIGHTWATCH_THREADS=1 python benchmarks/batched_decoding.py [--rounds 3] [--max-tokens 48]

For each embedded model, one target (its batch width N from the rule in targets/cpu.py) answers the
same kind of request three ways, in alternating order every round (A B C, C B A, ...) so drift in the
machine's load hits all of them:
- `llama-cpp-python`: `Llama.create_chat_completion`, one request at a time: what weightwatch did
  before batching (a second Llama on the same file, same threads);
- `single-stream`: the batched target with one request in flight at a time;
- `batched`: the same target with N requests in flight.
Every arm gets the same N requests in a round (greedy, so the batched and single-stream arms produce
the same tokens: the comparison is of the same work), each a coding task Qwen2.5-Coder answers at length, so
all run to max_tokens; the mean output tokens per request of each arm are printed and recorded, and a round
whose batched and single-stream arms produced different token counts is flagged. (Until 2026-12-04 every arm
had its own prompts, "[arm round.i] Write a long, detailed story about ...": Qwen2.5-Coder refused most of
them after 13 tokens ("I'm sorry, but I can't assist with that request.") and which ones depended on the
arm's tag, so the arms did different work: BENCHMARKS.md section 9.)
Aggregate tokens/s = output tokens of the arm / wall time of the arm (prompt processing included).
The ratio batched / single-stream is taken per round (paired) and its median reported. The load
average is recorded before and after: on a shared machine read the ratios, not the absolute numbers.
Also per arm: output tokens per CPU-second of this process (`time.process_time`): on a machine shared
with other jobs the wall-clock rates follow the others' load, the CPU time spent per token much less.
The `llama-cpp-python` arm processes prompts with the same thread count as the target (Llama()'s
default `n_threads_batch` is every core, which made it look faster than the target on a quiet machine).
Results go to benchmarks/results/batched_decoding.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODELS = ["qwen2.5-coder-0.5b", "smollm2-135m"]
TASKS = ["a bank account class", "a to-do list manager", "an LRU cache", "a matrix class", "a text tokenizer",
         "a priority queue", "an arithmetic expression parser", "an inventory system", "a CSV report generator",
         "a tic-tac-toe game"]


def prompt(round_: int, i: int) -> str:
    """Request i of a round: the same in every arm (the rounds rotate through the tasks)."""
    task = TASKS[(i + round_) % len(TASKS)]
    return f"Write a complete Python module that implements {task}, with docstrings, type hints and unit tests."


async def measure(model: str, rounds: int, max_tokens: int) -> dict[str, Any]:
    from weightwatch.targets.cpu import llama_threads
    from weightwatch.targets.embedded import pull
    from weightwatch.targets.llamacpp import new_llama
    from weightwatch.targets.spec import parse_target
    from weightwatch.types import ChatRequest, Message

    target = parse_target(f"embedded:{model}")
    fp = await target.start()
    n = target.max_concurrency
    # n_threads_batch as the target's: Llama() would otherwise process prompts on every core (cpu_count)
    ref = new_llama(model_path=str(pull(model)), n_ctx=4096, n_threads=llama_threads(),
                    n_threads_batch=llama_threads(), verbose=False, seed=0)
    ref.chat_format = "chat_template.default"

    def req(text: str) -> ChatRequest:
        return ChatRequest(messages=[Message(role="user", content=text)], temperature=0.0, max_tokens=max_tokens)

    async def single(r: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        toks = 0
        for i in range(n):
            c = await target.complete(req(prompt(r, i)))
            toks += c.completion_tokens or 0
        return toks, time.perf_counter() - t0

    async def batched(r: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        done = await asyncio.gather(*(target.complete(req(prompt(r, i))) for i in range(n)))
        return sum(c.completion_tokens or 0 for c in done), time.perf_counter() - t0

    async def reference(r: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        toks = 0
        for i in range(n):
            out = ref.create_chat_completion(messages=[{"role": "user", "content": prompt(r, i)}],
                                             temperature=0.0, top_p=1.0, top_k=0, min_p=0.0, repeat_penalty=1.0,
                                             max_tokens=max_tokens, seed=0)
            toks += int(out["usage"]["completion_tokens"])
        return toks, time.perf_counter() - t0

    arms = {"llama-cpp-python": reference, "single-stream": single, "batched": batched}
    tps: dict[str, list[float]] = {a: [] for a in arms}
    toks_per_req: dict[str, list[float]] = {a: [] for a in arms}  # mean output tokens per request
    mismatched: list[int] = []  # rounds whose batched and single-stream arms produced different token counts
    cpu: dict[str, list[float]] = {a: [] for a in arms}  # output tokens per CPU-second of this process
    try:
        for r in range(rounds):
            order = list(arms) if r % 2 == 0 else list(reversed(arms))
            for arm in order:
                c0 = time.process_time()
                toks, secs = await arms[arm](r)
                tps[arm].append(toks / secs)
                cpu[arm].append(toks / max(1e-9, time.process_time() - c0))
                toks_per_req[arm].append(toks / n)
            if toks_per_req["batched"][-1] != toks_per_req["single-stream"][-1]:
                mismatched.append(r + 1)
            line = ", ".join(f"{a} {tps[a][-1]:.1f} ({toks_per_req[a][-1]:.0f} tokens/request)" for a in arms)
            print(f"{model} round {r + 1}: {line}", file=sys.stderr, flush=True)
    finally:
        await target.aclose()
        ref.close()
    ratios = [b / s for b, s in zip(tps["batched"], tps["single-stream"], strict=True)]
    ratios_ref = [b / s for b, s in zip(tps["batched"], tps["llama-cpp-python"], strict=True)]
    ratios_cpu = [b / s for b, s in zip(cpu["batched"], cpu["single-stream"], strict=True)]
    single_ref = [s / r for s, r in zip(tps["single-stream"], tps["llama-cpp-python"], strict=True)]
    return {"model": model, "n": n, "threads": fp.extra.get("n_threads"),
            "median": {a: statistics.median(v) for a, v in tps.items()}, "per_round": tps,
            "ratio": statistics.median(ratios), "ratios": ratios,
            "ratio_vs_llama_cpp_python": statistics.median(ratios_ref),
            "cpu_median": {a: statistics.median(v) for a, v in cpu.items()}, "ratio_cpu": statistics.median(ratios_cpu),
            "single_vs_llama_cpp_python": statistics.median(single_ref),
            "tokens_per_request": {a: statistics.mean(v) for a, v in toks_per_req.items()}, "mismatched": mismatched}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "batched_decoding.md")
    args = ap.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    results = [asyncio.run(measure(m, args.rounds, args.max_tokens)) for m in args.models.split(",") if m]
    load_after = os.getloadavg()
    lines = [
        "# Batched decoding vs single-stream (aggregate output tokens/s, greedy)",
        "",
        f"- command: `PYTHONPATH=src WEIGHTWATCH_THREADS={os.environ.get('WEIGHTWATCH_THREADS', '')} python "
        f"benchmarks/batched_decoding.py {shlex.join(sys.argv[1:])}`",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}; {os.cpu_count()} cores; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (shared machine: read the ratios); "
        f"{time.perf_counter() - started:.0f} s",
        f"- {args.rounds} rounds, N requests per arm per round, max_tokens={args.max_tokens}, arms in alternating "
        "order; ratio = median over rounds of (batched / single-stream) in the same round",
        "",
        "| model | N | threads | llama-cpp-python loop | single-stream | batched | batched / single-stream "
        "| per round | batched / llama-cpp-python | single-stream / llama-cpp-python | per CPU-second: "
        "llama-cpp-python, single, batched | batched / single per CPU-second | output tokens per request "
        "(llama-cpp-python, single, batched) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for r in results:
        m, c, tr = r["median"], r["cpu_median"], r["tokens_per_request"]
        lines.append(f"| {r['model']} | {r['n']} | {r['threads']} | {m['llama-cpp-python']:.1f} | "
                     f"{m['single-stream']:.1f} | {m['batched']:.1f} | **{r['ratio']:.2f}x** | "
                     f"{', '.join(f'{x:.2f}' for x in r['ratios'])} | {r['ratio_vs_llama_cpp_python']:.2f}x | "
                     f"{r['single_vs_llama_cpp_python']:.2f}x | {c['llama-cpp-python']:.1f}, {c['single-stream']:.1f}, "
                     f"{c['batched']:.1f} | {r['ratio_cpu']:.2f}x | {tr['llama-cpp-python']:.1f}, "
                     f"{tr['single-stream']:.1f}, {tr['batched']:.1f} |")
        if r["mismatched"]:
            notes.append(f"- {r['model']}: batched and single-stream produced different token counts in round(s) "
                         f"{', '.join(map(str, r['mismatched']))} (the arms did not do the same work there)")
    if notes:
        lines += [""] + notes
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
