"""Continuous batching for an in-process llama.cpp model: N sequences decoded together.

Decoding on a CPU is memory-bound: one decode step reads every weight once, whether it advances one
sequence or eight, so N sequences cost little more than one. `BatchEngine` owns its own llama.cpp
context (N sequences, each with its own KV cache of `n_ctx_seq` positions) over an already loaded
model and runs one loop on one thread:

1. free slots take waiting jobs (continuous batching: a request starts as soon as a slot is free);
2. the oldest waiting prompt is decoded alone, in chunks of 512 tokens as llama-cpp-python does it
   (a prompt mixed into other sequences' batch is split by llama.cpp into different pieces, and the
   different kernels change the rounding: greedy outputs then drift from single-stream);
3. one `llama_batch` holds the next token of every generating sequence, in ascending sequence order,
   with a throwaway row on any free sequence id between them (llama.cpp splits a step whose sequence
   ids are not consecutive into pieces that each read all the weights: see `_gaps`); after `llama_decode`, each
   samples with its own sampler chain (`llama_sampler_sample(smpl, ctx, idx)`: grammar, top-p,
   temperature, seed);
4. finished, failed and cancelled sequences leave (`llama_memory_seq_rm`) and free their slot.

Sampling mirrors llama-cpp-python's `create_chat_completion` as weightwatch calls it (no top-k,
min-p or repeat penalty; greedy at temperature 0; grammar first), so greedy outputs match the
single-stream path (tests/targets/test_batched_real.py). Stopping: `stop()` abandons every job and
aborts a decode call in progress (llama.cpp's abort callback), so the loop leaves within a graph node.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from weightwatch.errors import TargetError

# prompt tokens per decode call, as llama-cpp-python's Llama() chunks a prompt (n_batch=512): a prompt is
# processed in the same pieces as single-stream, so greedy outputs come out the same
PREFILL_TOKENS = 512


class Cancelled(Exception):
    """The job was abandoned (the engine stopped, or its caller went away)."""


@dataclass
class Job:
    tokens: list[int]
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    grammar: str | None = None  # GBNF, root rule "root"
    stop: list[str] = field(default_factory=list)
    first_logits: bool = False  # keep the raw logits of the first sampled position (log-probabilities)
    submitted: float = field(default_factory=time.perf_counter)
    future: Future[Result] = field(default_factory=Future)
    cancelled: bool = False


@dataclass
class Result:
    text: str
    finish_reason: str  # stop | length
    prompt_tokens: int
    completion_tokens: int
    token_times_s: list[float]  # offset from submission at which each token was sampled
    total_s: float
    first_logits: Any = None  # numpy array of the vocabulary's logits at the first sampled token, if asked


@dataclass
class _Slot:
    seq_id: int
    job: Job
    sampler: Any
    pending: list[int]  # prompt tokens not decoded yet
    n_past: int = 0
    out: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    times: list[float] = field(default_factory=list)
    next_token: int | None = None  # sampled, to be decoded in the next step
    logit_index: int = -1  # index in the current batch whose logits this slot samples from
    first_logits: Any = None


class BatchEngine:
    def __init__(self, model: Any, *, n_slots: int, n_ctx_seq: int, n_threads: int,
                 prefill_tokens: int = PREFILL_TOKENS, lora: Any = None, lora_scale: float = 1.0,
                 flash_attn: bool = False, constants: Any = None) -> None:
        import llama_cpp

        self._ll = llama_cpp
        self.n_slots = max(1, n_slots)
        self.n_ctx_seq = n_ctx_seq
        self.prefill_tokens = max(1, prefill_tokens)
        self._model = model
        self._vocab = llama_cpp.llama_model_get_vocab(model)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx_seq * self.n_slots
        params.n_batch = max(self.prefill_tokens, self.n_slots)
        params.n_ubatch = params.n_batch
        params.n_seq_max = self.n_slots
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.no_perf = True
        # as llama-cpp-python's Llama() sets it: the same kernels give the same greedy outputs
        params.flash_attn_type = (llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn
                                  else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED)
        with contextlib.suppress(AttributeError):
            params.kv_unified = False  # each sequence its own KV cache of n_ctx_seq positions
        ctx = llama_cpp.llama_init_from_model(model, params)
        if not ctx:
            raise TargetError("llama.cpp could not create a batched context", retryable=False)
        self._ctx = ctx
        if lora is not None:
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(lora)
            scales = (ctypes.c_float * 1)(lora_scale)
            llama_cpp.llama_set_adapters_lora(ctx, adapters, 1, scales)
        self._cvec = None
        if constants:  # the affine edit's per-layer constants (modify/affine.py), scaled as the LoRA pair
            from weightwatch.modify.affine import apply_cvec

            try:
                self._cvec = apply_cvec(llama_cpp, ctx, constants, int(llama_cpp.llama_model_n_embd(model)),
                                        int(llama_cpp.llama_model_n_layer(model)), lora_scale)
            except Exception:
                llama_cpp.llama_free(ctx)
                raise
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(ctx)) or n_ctx_seq
        self._batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self._mem = llama_cpp.llama_get_memory(ctx)
        # stop() must interrupt a decode call in progress (a long prompt takes seconds on a CPU). llama.cpp
        # asks `abort(data)` between graph nodes, from its compute thread: a Python callback there would
        # take the GIL hundreds of times per token. libc's strlen over a 2-byte flag answers without
        # Python: 0 (go on) until stop() writes 1 into the flag's first byte.
        self._abort_flag = ctypes.create_string_buffer(2)
        libc = ctypes.CDLL(None)
        self._abort_fn = llama_cpp.ggml_abort_callback(ctypes.cast(libc.strlen, ctypes.c_void_p).value or 0)
        llama_cpp.llama_set_abort_callback(ctx, self._abort_fn, ctypes.cast(self._abort_flag, ctypes.c_void_p))
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._muted_level: int | None = None  # llama.cpp's log level while stopping (see stop())
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.steps = 0  # decode steps so far (tests, benchmarks)
        self.padded = 0  # throwaway rows decoded to keep a step in one piece (see _gaps)
        self.peak_active = 0

    # -- public (any thread) ---------------------------------------------------------------------
    def submit(self, job: Job) -> Future[Result]:
        with self._lock:
            if self._closed or self._stopping.is_set():
                job.future.set_exception(Cancelled("the model is stopping"))
                return job.future
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="llama-batch", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job.future

    def stop(self) -> None:
        """Abandon every job (waiting or generating) at the next step; new jobs are refused."""
        if not self._stopping.is_set() and self._muted_level is None:
            # the decode aborted here makes llama.cpp log an error ("decode: removing memory module entries
            # for seq_id = 3, ...") below the one line Ctrl-C prints: muted until close() has joined the loop
            log = logging.getLogger("llama-cpp-python")
            self._muted_level = log.level
            log.setLevel(logging.CRITICAL)
        self._stopping.set()
        self._abort_flag[0] = b"\x01"
        self._queue.put(None)

    def close(self) -> None:
        """Stop, wait for the loop to leave, free the context."""
        self.stop()
        thread = self._thread
        if thread is not None:
            thread.join()
        if self._muted_level is not None:
            logging.getLogger("llama-cpp-python").setLevel(self._muted_level)
            self._muted_level = None
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._ll.llama_batch_free(self._batch)
        self._ll.llama_free(self._ctx)

    # -- the loop (engine thread) ----------------------------------------------------------------
    def _loop(self) -> None:
        slots: dict[int, _Slot] = {}
        free = list(range(self.n_slots))
        try:
            while True:
                if self._stopping.is_set():
                    break
                self._admit(slots, free, block=not slots)
                if self._stopping.is_set():
                    break
                self._drop_cancelled(slots, free)
                if not slots:
                    continue
                self._step(slots, free)
        except BaseException as exc:  # a crash in the loop must fail every job, never hang them
            for slot in list(slots.values()):
                self._finish(slots, free, slot, error=exc)
            self._fail_waiting(exc)
            raise
        for slot in list(slots.values()):
            self._finish(slots, free, slot, error=Cancelled("stopped"))
        self._fail_waiting(Cancelled("stopped"))

    def _fail_waiting(self, exc: BaseException) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.future.done():
                job.future.set_exception(exc if isinstance(exc, Exception) else Cancelled(str(exc)))

    def _admit(self, slots: dict[int, _Slot], free: list[int], block: bool) -> None:
        while free:
            try:
                job = self._queue.get(timeout=0.5) if block else self._queue.get_nowait()
            except queue.Empty:
                return
            if job is None:  # stop() wakes the loop
                return
            block = False
            if job.cancelled or job.future.done():
                continue
            n = len(job.tokens)
            if n >= self.n_ctx_seq or n == 0:
                job.future.set_exception(TargetError(
                    f"llama.cpp refused the request: Requested tokens ({n}) exceed context window of "
                    f"{self.n_ctx_seq}" if n else "llama.cpp refused the request: empty prompt", retryable=False))
                continue
            seq = free.pop(0)
            try:
                sampler = self._sampler(job)
            except Exception as exc:
                free.insert(0, seq)
                job.future.set_exception(TargetError(f"bad sampling parameters: {exc}", retryable=False))
                continue
            slots[seq] = _Slot(seq_id=seq, job=job, sampler=sampler, pending=list(job.tokens))
            self.peak_active = max(self.peak_active, len(slots))

    def _sampler(self, job: Job) -> Any:
        ll = self._ll
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        if job.grammar is not None:
            g = ll.llama_sampler_init_grammar(self._vocab, job.grammar.encode("utf-8"), b"root")
            if not g:
                ll.llama_sampler_free(chain)
                raise ValueError("llama.cpp could not parse the grammar of the response format")
            ll.llama_sampler_chain_add(chain, g)
        if job.temperature <= 0.0:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        else:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_p(job.top_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(job.temperature))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(job.seed & 0xFFFFFFFF))
        return chain

    def _drop_cancelled(self, slots: dict[int, _Slot], free: list[int]) -> None:
        for slot in [s for s in slots.values() if s.job.cancelled]:
            self._finish(slots, free, slot, error=Cancelled("cancelled"))

    def _finish(self, slots: dict[int, _Slot], free: list[int], slot: _Slot, *, reason: str = "",
                error: BaseException | None = None) -> None:
        slots.pop(slot.seq_id, None)
        self._ll.llama_memory_seq_rm(self._mem, slot.seq_id, -1, -1)
        self._ll.llama_sampler_free(slot.sampler)
        free.append(slot.seq_id)
        free.sort()
        fut = slot.job.future
        if fut.done():
            return
        if error is not None:
            fut.set_exception(error if isinstance(error, Exception) else Cancelled(str(error)))
            return
        text = bytes(slot.text).decode("utf-8", errors="ignore")
        stop_at = _first_stop(text, slot.job.stop)
        if stop_at is not None:
            text = text[:stop_at]
        fut.set_result(Result(text=text, finish_reason=reason, prompt_tokens=len(slot.job.tokens),
                              completion_tokens=len(slot.out), token_times_s=list(slot.times),
                              total_s=time.perf_counter() - slot.job.submitted, first_logits=slot.first_logits))

    def _step(self, slots: dict[int, _Slot], free: list[int]) -> None:
        """One chunk of the oldest waiting prompt (alone), then one token for every generating sequence."""
        waiting = next((s for s in slots.values() if s.pending), None)
        if waiting is not None:
            chunk = waiting.pending[:self.prefill_tokens]
            del waiting.pending[:len(chunk)]
            self._decode(slots, free, [(waiting, tok, not waiting.pending and i == len(chunk) - 1)
                                       for i, tok in enumerate(chunk)])
        generating = sorted((s for s in slots.values() if s.next_token is not None), key=lambda s: s.seq_id)
        if generating and not self._stopping.is_set():
            self._decode(slots, free, [(s, s.next_token, True) for s in generating],  # type: ignore[misc]
                         pad=self._gaps(slots, generating))

    @staticmethod
    def _gaps(slots: dict[int, _Slot], generating: list[_Slot]) -> list[tuple[int, int]]:
        """(seq_id, position) of a throwaway row for every sequence id missing between the lowest and the
        highest generating one. With one KV cache per sequence, llama.cpp computes a step in one piece only
        when its sequence ids are consecutive and ascending; a gap (slot 2 free while 0, 1 and 3 generate)
        splits the step into pieces that each read all the weights again (measured on Qwen2.5-Coder-0.5B, 1
        thread: slots 0,1,3 cost 130 ms a step, 0,1,2 86 ms, 0-3 100 ms, in the order 3,2,1,0 245 ms). A
        throwaway token on the missing sequence costs one more column instead; its KV cell is dropped after
        the step (the sequence is free, or prefilling and not yet past that position)."""
        ids = {s.seq_id for s in generating}
        if len(ids) < 2:
            return []
        lo, hi = generating[0].seq_id, generating[-1].seq_id
        return [(seq, slots[seq].n_past if seq in slots else 0) for seq in range(lo, hi + 1) if seq not in ids]

    def _decode(self, slots: dict[int, _Slot], free: list[int], rows: list[tuple[_Slot, int, bool]],
                pad: Sequence[tuple[int, int]] = ()) -> None:
        ll = self._ll
        b = self._batch
        for slot, _, _ in rows:
            slot.logit_index = -1
            slot.next_token = None
        order: list[tuple[int, _Slot | None, int, bool]] = [(slot.seq_id, slot, token, logits)
                                                           for slot, token, logits in rows]
        order += [(seq, None, pos, False) for seq, pos in pad]
        if pad:
            order.sort(key=lambda r: r[0])
        for i, (seq, owner, token, logits) in enumerate(order):
            if owner is None:  # throwaway row (see _gaps): token 0 at the free position `token`
                b.token[i] = 0
                b.pos[i] = token
            else:
                b.token[i] = token
                b.pos[i] = owner.n_past
                owner.n_past += 1
                if logits:
                    owner.logit_index = i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(order)
        rc = ll.llama_decode(self._ctx, b)
        self.steps += 1
        self.padded += len(pad)
        for seq, pos in pad:
            ll.llama_memory_seq_rm(self._mem, seq, pos, -1)
        if rc != 0:
            err: Exception = (Cancelled("stopped") if self._stopping.is_set()
                              else TargetError(f"llama_decode failed (code {rc})", retryable=False))
            for slot in {id(s): s for s, _, _ in rows}.values():
                self._finish(slots, free, slot, error=err)
            return
        now = time.perf_counter()
        for slot, _, _ in rows:
            if slot.logit_index < 0 or slot.seq_id not in slots:
                continue
            if slot.job.first_logits and not slot.times:
                import numpy as np

                n_vocab = int(ll.llama_vocab_n_tokens(self._vocab))
                ptr = ll.llama_get_logits_ith(self._ctx, slot.logit_index)
                slot.first_logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,)).copy()
            token = int(ll.llama_sampler_sample(slot.sampler, self._ctx, slot.logit_index))
            slot.logit_index = -1
            slot.times.append(now - slot.job.submitted)
            if ll.llama_vocab_is_eog(self._vocab, token):
                self._finish(slots, free, slot, reason="stop")
                continue
            slot.out.append(token)
            slot.text += self._piece(token)
            if slot.job.stop and _first_stop(bytes(slot.text).decode("utf-8", errors="ignore"),
                                             slot.job.stop) is not None:
                self._finish(slots, free, slot, reason="stop")
            elif len(slot.out) >= slot.job.max_tokens or slot.n_past >= self.n_ctx_seq:
                self._finish(slots, free, slot, reason="length")
            else:
                slot.next_token = token

    def _piece(self, token: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = self._ll.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = self._ll.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        return buf.raw[:n]


def _first_stop(text: str, stops: list[str]) -> int | None:
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None
