"""The ceiling for batched decoding: a minimal llama.cpp low-level loop, no weightwatch code.

    PYTHONPATH=src WEIGHTWATCH_THREADS=1 python benchmarks/batched_ceiling.py --model qwen2.5-coder-0.5b \
        [--n 1,4] [--tokens 48] [--rounds 3] [--variants default]

One model, one llama.cpp context per variant, `N` sequences of the same kind of prompt prefilled one
by one, then `--tokens` decode steps, each one `llama_decode` over one token of every sequence and a
greedy pick per sequence (numpy argmax over a view of its logits row, no copy). Aggregate tokens/s =
N * tokens / wall time of the decode steps (prefill excluded: this is the decode ceiling). The widths
are run interleaved (1, 4, 4, 1, ...) for `--rounds` rounds; medians and the paired ratio to N=1 are
printed. Variants change one context setting at a time, to see what helps on this CPU:
default (what BatchEngine uses: one KV cache per sequence), unified (one shared KV buffer),
flash (flash attention), q8kv (flash attention + q8_0 K/V cache), ub<N> (n_ubatch=N).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

PROMPT = "Write a long, detailed story about {}."
TOPICS = ["a lighthouse keeper", "a robot gardener", "a lost violin", "a mountain village", "a desert train",
          "a clockmaker", "an old library", "a river ferry"]


def load(path: str) -> Any:
    import llama_cpp

    from weightwatch.targets.cpu import extra_buffer_types_enabled

    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    if hasattr(mp, "use_extra_bufts"):
        mp.use_extra_bufts = extra_buffer_types_enabled()
    model = llama_cpp.llama_model_load_from_file(path.encode(), mp)
    if not model:
        sys.exit(f"could not load {path}")
    return model


def context(model: Any, n_seq: int, threads: int, variant: str, n_ctx_seq: int = 4096) -> Any:
    import llama_cpp as ll

    p = ll.llama_context_default_params()
    p.n_ctx = n_ctx_seq * n_seq
    p.n_batch = 512
    p.n_ubatch = 512
    p.n_seq_max = n_seq
    p.n_threads = threads
    p.n_threads_batch = threads
    p.no_perf = True
    p.kv_unified = variant == "unified"
    p.flash_attn_type = (ll.LLAMA_FLASH_ATTN_TYPE_ENABLED if variant in ("flash", "q8kv")
                         else ll.LLAMA_FLASH_ATTN_TYPE_DISABLED)
    if variant == "q8kv":
        p.type_k = ll.GGML_TYPE_Q8_0
        p.type_v = ll.GGML_TYPE_Q8_0
    if variant.startswith("ub"):
        p.n_ubatch = int(variant[2:])
    ctx = ll.llama_init_from_model(model, p)
    if not ctx:
        sys.exit(f"could not create a context ({variant}, {n_seq} sequences)")
    return ctx


def tokenize(model: Any, text: str) -> list[int]:
    import llama_cpp as ll

    vocab = ll.llama_model_get_vocab(model)
    buf = (ll.llama_token * 512)()
    chat = f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"
    n = ll.llama_tokenize(vocab, chat.encode(), len(chat.encode()), buf, 512, True, True)
    return list(buf[:n])


def run(model: Any, ctx: Any, n_seq: int, tokens: int, offset: int) -> float:
    """Decode tokens/s (aggregate) of n_seq greedy sequences, after prefilling each alone."""
    import llama_cpp as ll

    vocab = ll.llama_model_get_vocab(model)
    n_vocab = int(ll.llama_vocab_n_tokens(vocab))
    mem = ll.llama_get_memory(ctx)
    ll.llama_memory_clear(mem, True)
    batch = ll.llama_batch_init(512, 0, 1)
    nxt: list[int] = []
    pos: list[int] = []
    try:
        for s in range(n_seq):
            toks = tokenize(model, PROMPT.format(TOPICS[(s + offset) % len(TOPICS)]))
            for i, t in enumerate(toks):
                batch.token[i] = t
                batch.pos[i] = i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = s
                batch.logits[i] = i == len(toks) - 1
            batch.n_tokens = len(toks)
            if ll.llama_decode(ctx, batch) != 0:
                sys.exit("prefill failed")
            row = np.ctypeslib.as_array(ll.llama_get_logits_ith(ctx, len(toks) - 1), shape=(n_vocab,))
            nxt.append(int(row.argmax()))
            pos.append(len(toks))
        t0 = time.perf_counter()
        for _ in range(tokens):
            for s in range(n_seq):
                batch.token[s] = nxt[s]
                batch.pos[s] = pos[s]
                batch.n_seq_id[s] = 1
                batch.seq_id[s][0] = s
                batch.logits[s] = True
                pos[s] += 1
            batch.n_tokens = n_seq
            if ll.llama_decode(ctx, batch) != 0:
                sys.exit("decode failed")
            for s in range(n_seq):
                row = np.ctypeslib.as_array(ll.llama_get_logits_ith(ctx, s), shape=(n_vocab,))
                nxt[s] = int(row.argmax())
        return n_seq * tokens / (time.perf_counter() - t0)
    finally:
        ll.llama_batch_free(batch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--n", default="1,4")
    ap.add_argument("--tokens", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default="default")
    args = ap.parse_args()
    import llama_cpp as ll

    from weightwatch.targets.cpu import llama_threads
    from weightwatch.targets.embedded import pull

    threads = llama_threads()
    path = str(pull(args.model))
    quiet = ll.llama_log_callback(lambda *a: None)  # kept alive: llama.cpp calls it later
    ll.llama_log_set(quiet, ctypes.c_void_p(0))
    model = load(path)
    widths = [int(x) for x in args.n.split(",")]
    load0 = os.getloadavg()[0]
    for variant in args.variants.split(","):
        ctxs = {n: context(model, n, threads, variant) for n in widths}
        res: dict[int, list[float]] = {n: [] for n in widths}
        for r in range(args.rounds):
            for n in (widths if r % 2 == 0 else list(reversed(widths))):
                res[n].append(run(model, ctxs[n], n, args.tokens, r))
        base = res[widths[0]]
        line = [f"{args.model} {variant} threads={threads}"]
        for n in widths:
            ratio = statistics.median(x / b for x, b in zip(res[n], base, strict=True))
            line.append(f"N={n}: {statistics.median(res[n]):.1f} tok/s ({', '.join(f'{x:.1f}' for x in res[n])})"
                        f" x{ratio:.2f}")
        print("; ".join(line), flush=True)
        for c in ctxs.values():
            ll.llama_free(c)
    print(f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
