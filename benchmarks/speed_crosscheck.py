"""Cross-check weightwatch's tokens/s against a bare llama-cpp-python generation loop.

    PYTHONPATH=src python benchmarks/speed_crosscheck.py [--rounds 5] [--max-tokens 128]

For each embedded model, the same prompt (the speed probe's short prompt) and max_tokens, greedy:
- weightwatch: the embedded target's `complete()` with a streamed request, and the speed probe's own
  formula (`output_tps`: (output tokens - 1) / (end-to-end - time to first token));
- bare: a second `llama_cpp.Llama` on the same file with the same n_ctx and n_threads, the prompt
  formatted with the GGUF's own chat template, and a plain `Llama.generate` loop timed per token with
  the same formula.
Runs alternate (bare, weightwatch, bare, ...) so drift in machine load hits both. The ratio of medians
must be within 10%. Results go to benchmarks/results/speed_crosscheck.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b"]


def bare_run(llm: Any, tokens: list[int], max_tokens: int) -> tuple[float, int]:
    """(tokens/s excluding the first token's latency, tokens generated) of one plain generate loop."""
    llm.reset()
    t0 = time.perf_counter()
    times: list[float] = []
    for tok in llm.generate(tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
        times.append(time.perf_counter() - t0)
        if llm.token_eos() == tok or len(times) >= max_tokens:
            break
    n = len(times)
    return ((n - 1) / (times[-1] - times[0]) if n > 1 else float("nan")), n


def llama_settings(target: Any) -> dict[str, Any]:
    """n_ctx / n_threads / n_batch of the target's own Llama instance, to build the bare one alike."""
    llm = None
    for attr in ("llm", "_llm", "model", "_model", "llama", "_llama"):
        llm = getattr(target, attr, None)
        if llm is not None and hasattr(llm, "n_ctx"):
            break
    if llm is None:
        return {"n_ctx": 4096, "n_threads": os.cpu_count() or 2, "n_batch": 512}
    # the target answers from its BatchEngine's context (per sequence: the fingerprint's context_length);
    # its Llama() only holds the weights with a small context of its own
    fp = getattr(target, "fingerprint_", None)
    n_ctx = getattr(fp, "context_length", None) or llm.n_ctx()
    return {"n_ctx": n_ctx, "n_threads": llm.context_params.n_threads, "n_batch": llm.n_batch}


async def crosscheck(model: str, rounds: int, max_tokens: int) -> dict[str, Any]:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from weightwatch.api import make_target
    from weightwatch.probes.speed.probe import output_tps, prompt_text, tagged
    from weightwatch.targets.llamacpp import new_llama
    from weightwatch.types import ChatRequest, Message

    target = make_target(f"embedded:{model}", {})
    fp = await target.start()
    path = fp.extra.get("path") or getattr(target, "path", None)
    settings = llama_settings(target)
    # the same load options as the target (extra buffer types off: see targets/llamacpp.new_llama)
    bare = new_llama(model_path=str(path), verbose=False, **settings)
    fmt = Jinja2ChatFormatter(template=bare.metadata["tokenizer.chat_template"],
                              eos_token=bare.detokenize([bare.token_eos()]).decode("utf-8", "replace"),
                              bos_token=bare.detokenize([bare.token_bos()]).decode("utf-8", "replace"))
    ww_tps: list[float] = []
    ww_n: list[int] = []
    bare_tps: list[float] = []
    bare_n: list[int] = []
    for r in range(rounds + 1):  # round 0 warms both up and is not counted
        content = tagged(f"cross-check {r}", prompt_text("short"))
        formatted = fmt(messages=[{"role": "user", "content": content}]).prompt
        toks = bare.tokenize(formatted.encode("utf-8"), add_bos=False, special=True)
        b, bn = bare_run(bare, toks, max_tokens)
        c = await target.complete(ChatRequest(messages=[Message(role="user", content=content)], temperature=0.0,
                                              max_tokens=max_tokens, stream=True))
        w = output_tps(c)
        if r == 0:
            continue
        bare_tps.append(b)
        bare_n.append(bn)
        ww_tps.append(w if w is not None else float("nan"))
        ww_n.append(c.completion_tokens or 0)
    await target.aclose()
    del bare
    mw, mb = statistics.median(ww_tps), statistics.median(bare_tps)
    return {"model": model, "file": fp.name, "settings": settings, "ww": ww_tps, "bare": bare_tps, "ww_n": ww_n,
            "bare_n": bare_n, "ww_median": mw, "bare_median": mb, "ratio": mw / mb}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "speed_crosscheck.md"))
    args = ap.parse_args()
    os.environ.setdefault("WEIGHTWATCH_HOME", tempfile.mkdtemp(prefix="ww-bench-speed-"))
    from weightwatch import __version__

    rows = [asyncio.run(crosscheck(m, args.rounds, args.max_tokens)) for m in args.models.split(",")]
    cmd = "PYTHONPATH=src python " + " ".join(shlex.quote(a) for a in sys.argv)
    lines = ["# Speed cross-check: weightwatch vs a bare llama-cpp-python loop", "",
             f"- Command: `{cmd}`",
             f"- Date (UTC): {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')}; weightwatch {__version__}; "
             f"Python {platform.python_version()}; {os.cpu_count()} CPU cores (shared with other work)",
             f"- Prompt: the speed probe's short prompt (tagged per round), greedy, max_tokens {args.max_tokens}; "
             f"{args.rounds} alternated rounds after one uncounted warm-up round",
             "- tokens/s = (output tokens - 1) / (time of last token - time of first token) on both sides", "",
             "| model | weightwatch tokens/s (median) | bare loop tokens/s (median) | ratio | within 10% | "
             "tokens per run (ww / bare) | llama settings |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    ok = True
    for r in rows:
        within = abs(r["ratio"] - 1) <= 0.10
        ok = ok and within
        lines.append(f"| {r['model']} | {r['ww_median']:.1f} | {r['bare_median']:.1f} | {r['ratio']:.3f} | "
                     f"{'yes' if within else 'NO'} | {statistics.median(r['ww_n']):.0f} / "
                     f"{statistics.median(r['bare_n']):.0f} | {r['settings']} |")
    lines.append("")
    for r in rows:
        lines.append(f"- {r['model']} per round: weightwatch {', '.join(f'{x:.1f}' for x in r['ww'])}; "
                     f"bare {', '.join(f'{x:.1f}' for x in r['bare'])}")
    lines.append("")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
