"""The modify step's stages, one prompt at a time (the code before run_many) vs batched, paired in one process.

    PYTHONPATH=src WEIGHTWATCH_THREADS=2 python benchmarks/modify_batching.py --max-items 2 --rounds 2

Same model, same Session, same prompts (the censorship dataset's train and select pairs + harmless prompts,
every language, `--max-items` items per split). Each round runs every stage both ways, in alternating order
(old first in even rounds), so a change of machine load between rounds hits both arms. Stages, as the
pipeline runs them:

1. capture + labels: every prompt's activations at every layer and its 16-token greedy answer
   (`generate_tokens` per prompt vs `run_many`);
2. one search trial: an adapter at lambda 0.75; the refusal-prefix log-probability (6 forced tokens) of the
   sensitive prompts and the first-token logits of the others (`prefix_logprob` / `run` per prompt vs one
   `run_many`);
3. greedy check: 32-token answers to the sensitive prompts under the adapter.

It prints per-stage seconds (median over rounds), the ratio, and how far the batched numbers are from the
one-at-a-time ones (first-token KL, greedy answers that differ). JSON with `--json PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch.modify import prompts as P
from weightwatch.modify.adapter import Edit, write_adapter
from weightwatch.modify.capture import Session
from weightwatch.modify.gguf_io import read_header
from weightwatch.modify.search import kl
from weightwatch.targets.embedded import pull


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--max-items", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--n-seq", type=int, default=16)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    base = pull(args.model)
    langs = ["en", "zh-Hans", "zh-Hant", "de"]
    prompts = P.pairs("train", langs, args.max_items) + P.pairs("select", langs, args.max_items)
    prompts += P.harmless(langs, "train")[: 2 * args.max_items]
    texts = [p.text for p in prompts]
    sens = [p.text for p in prompts if p.arm == "sensitive"]
    others = [p.text for p in prompts if p.arm != "sensitive"]
    times: dict[str, dict[str, list[float]]] = {}
    diff: dict[str, Any] = {}

    def timed(stage: str, arm: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        out = fn()
        times.setdefault(stage, {}).setdefault(arm, []).append(time.perf_counter() - t0)
        return out

    with Session(base, n_seq=args.n_seq) as s, tempfile.TemporaryDirectory() as tmp:
        layers = list(range(s.n_layer))
        rng = np.random.default_rng(0)
        v = rng.standard_normal(s.n_embd).astype(np.float32)
        adapter = Path(tmp) / "a.gguf"
        write_adapter(read_header(base), Edit(direction=v / np.linalg.norm(v), lam=1.0, layers=tuple(layers),
                                              source_layer=s.n_layer // 2, window="all"), adapter, {})
        for r in range(args.rounds):
            for arm in (("old", "new") if r % 2 == 0 else ("new", "old")):
                s.set_adapter(None)
                if arm == "old":
                    cap = timed("capture+labels", arm, lambda: [s.generate_tokens(t, 16, layers) for t in texts])
                    forced = [c[2][:6] for c, p in zip(cap, prompts, strict=True) if p.arm == "sensitive"]
                    s.set_adapter(adapter, 0.75)
                    trial = timed("search trial", arm, lambda forced=forced: ([s.prefix_logprob(t, f) for t, f in zip(
                        sens, forced, strict=True)], [s.run(t)[0] for t in others]))
                    check = timed("greedy check", arm, lambda: [s.generate_tokens(t, 32)[2] for t in sens])
                    old = (cap, trial, check)
                else:
                    many = timed("capture+labels", arm, lambda: s.run_many(texts, layers, max_tokens=16))
                    forced = [a.tokens[:6] for a, p in zip(many, prompts, strict=True) if p.arm == "sensitive"]
                    s.set_adapter(adapter, 0.75)
                    got = timed("search trial", arm, lambda forced=forced: s.run_many(
                        sens + others, forced=forced + [[] for _ in others]))
                    chk = timed("greedy check", arm, lambda: s.run_many(sens, max_tokens=32))
                    new = (many, got, chk)
            if r == 0:
                cap, (lps, firsts), check = old
                many, got, chk = new
                diff = {
                    "first_token_kl_capture_max": max(kl(c[0], a.first) for c, a in zip(cap, many, strict=True)),
                    "first_token_kl_capture_mean": float(np.mean([kl(c[0], a.first)
                                                                  for c, a in zip(cap, many, strict=True)])),
                    "labels_answers_differ": sum(c[2] != a.tokens for c, a in zip(cap, many, strict=True)),
                    "first_token_kl_trial_mean": float(np.mean([kl(f, a.first) for f, a in zip(
                        firsts, got[len(sens):], strict=True)])),
                    "prefix_logprob_abs_diff_max": max(abs(lp[0] - (a.forced_logprob or 0.0))
                                                       for lp, a in zip(lps, got, strict=False)),
                    "check_answers_differ": sum(c != a.tokens for c, a in zip(check, chk, strict=True)),
                    "n_prompts": len(texts), "n_sensitive": len(sens),
                }
    out = {"stages": {k: {arm: round(statistics.median(v), 2) for arm, v in d.items()} for k, d in times.items()},
           "rounds": times,
           "ratio_old_over_new": {k: round(statistics.median(d["old"]) / statistics.median(d["new"]), 2)
                                  for k, d in times.items()},
           "agreement": diff, "n_seq": args.n_seq, "threads": os.environ.get("WEIGHTWATCH_THREADS", ""),
           "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
