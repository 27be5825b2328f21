"""Residual-stream activations and first-token logits from llama.cpp, without PyTorch.

A ``Session`` loads the GGUF once (llama-cpp-python) and opens its own llama.cpp context whose
``cb_eval`` callback sees every graph node. For nodes named ``l_out-<layer>`` (the residual stream after
layer <layer>) the callback copies the last token's row out with ``ggml_backend_tensor_get``. The ggml
tensor is read only through ggml's own accessor functions, except ``type`` and ``ne`` (the first fields of
``struct ggml_tensor``), which are checked against ``ggml_nelements`` / ``ggml_nbytes`` on every read: an
ABI change fails loudly instead of returning garbage. The callback object is kept on the session so
ctypes never frees it while llama.cpp holds the pointer.

LoRA adapters are set per context at a chosen scale (``llama_set_adapters_lora``), so the search can try
several strengths of one adapter without reloading anything.

``run_many`` does the same for many prompts at once: the prompts' common start (the chat template's system
part) is decoded once into its own sequence and shared with every prompt's sequence (``llama_memory_seq_cp``
on a unified KV cache); up to ``n_seq`` prompts' remaining tokens go through llama.cpp in one batch (one
matrix-matrix pass instead of one per prompt), with their activations read at each prompt's last token;
then their greedy answers are decoded together, one token of every unfinished answer per step (CPU decoding
is memory-bound: a step over 16 sequences costs a few times one step over one sequence, not 16 times).
The numbers match one-prompt-at-a-time decoding to float rounding (tests/modify/test_adapter.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch.errors import UserError
from weightwatch.modify.affine import apply_cvec, read_constants


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C / SIGTERM wait until the block ends. A llama_decode calls the eval callback (Python, through
    ctypes) for every graph node: a KeyboardInterrupt raised inside it cannot cross into C, so Python printed
    'Exception ignored on calling ctypes callback function' with a traceback and the command went on as if
    nothing had been pressed. A signal received in the block is handed to the previous handler after it (one
    decode: milliseconds). Outside the main thread, where Python runs no signal handler: no change."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, _frame: received.append(signum)) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if received:
            handler = previous[signal.Signals(received[0])]
            if callable(handler):
                handler(received[0], None)  # raises KeyboardInterrupt / Interrupted as if it came now
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), received[0])


class _TensorHead(ctypes.Structure):
    # the leading fields of struct ggml_tensor (ggml.h): type, buffer, ne[4]
    _fields_ = [("type", ctypes.c_int32), ("buffer", ctypes.c_void_p), ("ne", ctypes.c_int64 * 4)]


def _ggml_base() -> Any:
    import llama_cpp

    libdir = Path(llama_cpp.__file__).parent / "lib"
    candidates = sorted(libdir.glob("libggml-base.*")) + sorted(libdir.glob("ggml-base.*"))
    if not candidates:
        raise UserError("llama-cpp-python's ggml-base library was not found",
                        "reinstall llama-cpp-python (activation capture needs its bundled libggml-base)")
    lib = ctypes.CDLL(str(candidates[0]))
    lib.ggml_get_name.argtypes = [ctypes.c_void_p]
    lib.ggml_get_name.restype = ctypes.c_char_p
    lib.ggml_nelements.argtypes = [ctypes.c_void_p]
    lib.ggml_nelements.restype = ctypes.c_int64
    lib.ggml_nbytes.argtypes = [ctypes.c_void_p]
    lib.ggml_nbytes.restype = ctypes.c_size_t
    lib.ggml_backend_tensor_get.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
    lib.ggml_backend_tensor_get.restype = None
    return lib


@dataclass
class Answer:
    """One prompt's result from ``Session.run_many``."""

    first: np.ndarray  # logits of the first answer token
    acts: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> the last prompt token's residual
    tokens: list[int] = field(default_factory=list)  # greedy answer
    forced_logprob: float | None = None  # log P(forced tokens | prompt), teacher-forced
    forced_logits: list[np.ndarray] = field(default_factory=list)  # keep_forced: logits before each forced token


PREFILL_BATCH = 512  # prompt tokens per llama_decode call of run_many (one ubatch: rows map to prompts)


class Session:
    """One model, one context with an eval callback; optional LoRA adapter at a scale."""

    def __init__(self, path: Path, *, n_ctx: int = 512, n_threads: int | None = None, n_seq: int = 16) -> None:
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from weightwatch.targets.cpu import llama_threads
        from weightwatch.targets.llamacpp import _quiet_stderr, new_llama

        self._lc = llama_cpp
        self.path = path
        threads = n_threads or llama_threads()
        try:
            with _quiet_stderr():
                self.llm = new_llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, verbose=False,
                                     n_batch=n_ctx)
        except (ValueError, RuntimeError, OSError) as exc:
            raise UserError(f"llama.cpp could not load '{path}' ({exc})", "check the file") from exc
        self.model = self.llm._model.model
        self.n_embd = int(llama_cpp.llama_model_n_embd(self.model))
        self.n_layer = int(llama_cpp.llama_model_n_layer(self.model))
        self.n_vocab = int(self.llm.n_vocab())
        md = dict(self.llm.metadata or {})
        template = md.get("tokenizer.chat_template")
        if not template:
            raise UserError(f"'{path}' has no chat template", "refusal-direction removal needs an instruct model")
        m = self.llm._model
        eos, bos = m.token_eos(), m.token_bos()
        self._formatter = Jinja2ChatFormatter(template=template, eos_token=m.token_get_text(eos) if eos != -1 else "",
                                              bos_token=m.token_get_text(bos) if bos != -1 else "")
        self._ggml = _ggml_base()
        self._want: set[int] = set()
        self._acts: dict[int, np.ndarray] = {}
        self._abi_error: str | None = None
        self._cb = llama_cpp.ggml_backend_sched_eval_callback(self._on_tensor)  # kept alive on self
        self.n_seq = max(1, n_seq)
        params = llama_cpp.llama_context_default_params()
        # sequences 0..n_seq-1 for prompts, n_seq for their shared start; one KV cache shared by all of them
        # (unified), so a copied prefix costs no memory and a batch is never split by sequence
        params.n_ctx = n_ctx * (self.n_seq + 1)
        params.n_batch = max(n_ctx, PREFILL_BATCH)
        params.n_ubatch = params.n_batch
        params.n_seq_max = self.n_seq + 1
        params.kv_unified = True
        params.n_threads = threads
        params.n_threads_batch = threads
        params.cb_eval = self._cb
        params.cb_eval_user_data = None
        with _quiet_stderr():
            self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise UserError("llama.cpp could not create a context for activation capture", "lower n_ctx")
        self.n_ctx = n_ctx
        self._adapters: dict[str, Any] = {}
        self._constants: dict[str, dict[int, np.ndarray] | None] = {}  # adapter -> affine constants
        self._cvec: Any = None
        self._kv: list[int] = []  # tokens now in the KV cache (sequence 0)
        self._prefix: list[int] | None = None  # tokens in the shared-prefix sequence (n_seq) for run_many
        self._batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self._rows: tuple[list[int], list[int], int, int] | None = None  # run_many: rows to read (see _on_tensor)

    # -- the eval callback -------------------------------------------------------------------------
    def _on_tensor(self, tensor: int, ask: bool, _user: int) -> bool:
        try:
            name = (self._ggml.ggml_get_name(tensor) or b"").decode("utf-8", "replace")
            if not name.startswith("l_out-"):
                return not ask  # not asking for it; keep computing
            try:
                layer = int(name[6:])
            except ValueError:
                return not ask
            if ask:
                return layer in self._want
            head = _TensorHead.from_address(tensor)
            nel = int(self._ggml.ggml_nelements(tensor))
            ne = [int(x) for x in head.ne]
            if head.type != 0 or math.prod(ne) != nel or ne[0] != self.n_embd or \
                    int(self._ggml.ggml_nbytes(tensor)) != 4 * nel:
                self._abi_error = (f"{name}: type {head.type}, ne {ne}, {nel} elements; expected F32 rows of "
                                   f"{self.n_embd}")
                return True
            rows = nel // self.n_embd
            if self._rows is not None:
                # run_many: every prompt's last token. A layer's output has one row per batch token, except
                # the last layer's, which llama.cpp cuts to the rows whose logits were asked for
                by_token, by_output, n_tokens, n_outputs = self._rows
                if rows == n_tokens:
                    want = by_token
                elif rows == n_outputs:
                    want = by_output
                else:
                    self._abi_error = f"{name}: {rows} rows for a batch of {n_tokens} tokens ({n_outputs} outputs)"
                    return True
                full = np.empty((rows, self.n_embd), dtype=np.float32)
                self._ggml.ggml_backend_tensor_get(tensor, full.ctypes.data, 0, 4 * nel)
                self._acts[layer] = full[want].copy()
                return True
            buf = np.empty(self.n_embd, dtype=np.float32)
            self._ggml.ggml_backend_tensor_get(tensor, buf.ctypes.data, 4 * self.n_embd * (rows - 1), 4 * self.n_embd)
            self._acts[layer] = buf
        except Exception as exc:  # never let an exception cross into C
            self._abi_error = f"{type(exc).__name__}: {exc}"
        return True

    # -- prompts -------------------------------------------------------------------------------------
    def chat_tokens(self, prompt: str) -> list[int]:
        res = self._formatter(messages=[{"role": "user", "content": prompt}])
        toks: list[int] = self.llm.tokenize(res.prompt.encode("utf-8"), add_bos=not res.added_special, special=True)
        return toks[-(self.n_ctx - 8):]

    def _decode(self, tokens: Sequence[int]) -> None:
        """Decode `tokens` as sequence 0, reusing the cached prefix they share with the last prompt (the chat
        template's system part is the same for every prompt). The cache is dropped when the adapter changes."""
        lc = self._lc
        mem = lc.llama_get_memory(self.ctx)
        n = 0
        limit = min(len(self._kv), len(tokens) - 1)
        while n < limit and self._kv[n] == tokens[n]:
            n += 1
        if n == 0 or not lc.llama_memory_seq_rm(mem, 0, n, -1):
            lc.llama_memory_clear(mem, True)
            self._prefix = None
            n = 0
        self._kv = []
        rest = list(tokens[n:])
        arr = (lc.llama_token * len(rest))(*rest)
        rc = self._llama_decode(lc.llama_batch_get_one(arr, len(rest)))
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        self._kv = list(tokens)

    def _llama_decode(self, batch: Any) -> int:
        with _signals_deferred():  # the eval callback must not be where Ctrl-C raises
            return int(self._lc.llama_decode(self.ctx, batch))

    def _check_capture(self, layers: Sequence[int]) -> None:
        """One-line errors when the eval callback saw an unknown tensor layout or missed a wanted layer."""
        if self._abi_error:
            raise UserError(f"unexpected ggml tensor layout while capturing activations ({self._abi_error})",
                            "this llama-cpp-python build is not supported by weightwatch modify")
        missing = [layer for layer in layers if layer not in self._acts]
        if missing:
            raise UserError(f"llama.cpp produced no l_out tensor for layer(s) {missing}",
                            "this architecture does not name its residual stream l_out-<layer>")

    def run(self, prompt: str, layers: Sequence[int] = ()) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """(first-token logits, {layer: last-token residual after that layer}) for one user prompt."""
        self._want = set(layers)
        self._acts = {}
        self._abi_error = None
        try:
            self._decode(self.chat_tokens(prompt))
        finally:
            self._want = set()
        self._check_capture(layers)
        return self._last_logits(), dict(self._acts)

    def _step(self, tok: int) -> bool:
        """Decode one more token after the cached ones (False: the context is full or decode failed)."""
        lc = self._lc
        if len(self._kv) >= self.n_ctx - 1:
            return False
        arr = (lc.llama_token * 1)(tok)
        if self._llama_decode(lc.llama_batch_get_one(arr, 1)) != 0:
            self._kv = []
            return False
        self._kv.append(tok)
        return True

    def _last_logits(self) -> np.ndarray:
        ptr = self._lc.llama_get_logits_ith(self.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float32)

    def generate_tokens(self, prompt: str, max_tokens: int, layers: Sequence[int] = (),
                        ) -> tuple[np.ndarray, dict[int, np.ndarray], list[int]]:
        """(first-token logits, {layer: last prompt token's residual}, greedy answer tokens): one prompt pass
        serves the activations, the first-token logits and the start of the greedy answer."""
        first, acts = self.run(prompt, layers)
        vocab = self._lc.llama_model_get_vocab(self.model)
        out: list[int] = []
        logits = first
        for _ in range(max_tokens):
            tok = int(np.argmax(logits))
            if self._lc.llama_vocab_is_eog(vocab, tok):
                break
            out.append(tok)
            if len(out) == max_tokens or not self._step(tok):
                break
            logits = self._last_logits()
        return first, acts, out

    def generate(self, prompt: str, max_tokens: int) -> str:
        """Greedy continuation (used to check refusals with the rule judge)."""
        return self.detokenize(self.generate_tokens(prompt, max_tokens)[2])

    def detokenize(self, tokens: Sequence[int]) -> str:
        return self.llm.detokenize(list(tokens)).decode("utf-8", "replace")

    def prefix_logprob(self, prompt: str, tokens: Sequence[int]) -> tuple[float, np.ndarray]:
        """(log P(tokens | prompt) under the current adapter, teacher-forced; first-token logits)."""
        first, _ = self.run(prompt)
        total, logits = 0.0, first
        for i, tok in enumerate(tokens):
            x = logits.astype(np.float64)
            m = float(x.max())
            total += float(x[tok] - m - np.log(np.exp(x - m).sum()))
            if i + 1 == len(tokens) or not self._step(int(tok)):
                break
            logits = self._last_logits()
        return total, first

    # -- many prompts at once -------------------------------------------------------------------------
    def run_many(self, prompts: Sequence[str], layers: Sequence[int] = (), max_tokens: int | Sequence[int] = 0,
                 forced: Sequence[Sequence[int]] | None = None, keep_forced: bool = False) -> list[Answer]:
        """For every prompt: first-token logits, the last prompt token's residual after each of `layers`,
        the greedy answer (`max_tokens`, one number or one per prompt) and, where `forced` gives tokens, their
        teacher-forced log-probability (and with `keep_forced` the logits before each of them). Same figures
        as `generate_tokens` / `prefix_logprob` one by one."""
        toks = [self.chat_tokens(p) for p in prompts]
        if not toks:
            return []
        limits = [int(max_tokens)] * len(toks) if isinstance(max_tokens, int) else [int(m) for m in max_tokens]
        forc = [list(f) for f in forced] if forced is not None else [[] for _ in toks]
        if len(limits) != len(toks) or len(forc) != len(toks):
            raise ValueError("max_tokens and forced need one entry per prompt")
        lc = self._lc
        mem = lc.llama_get_memory(self.ctx)
        if self._kv:  # sequence 0 held a one-prompt decode: it is a prompt slot now
            lc.llama_memory_seq_rm(mem, 0, -1, -1)
            self._kv = []
        # the start every prompt shares (at least one token of each prompt is left to decode in its batch)
        n = min(len(t) for t in toks) - 1
        first_t = toks[0]
        for t in toks[1:]:
            n = min(n, next((i for i in range(n) if t[i] != first_t[i]), n))
        prefix = list(first_t[:max(0, n)])
        room = PREFILL_BATCH - 1
        if len(prefix) > room:
            prefix = prefix[:room]
        if prefix != self._prefix:
            lc.llama_memory_seq_rm(mem, self.n_seq, -1, -1)
            self._prefix = None
            if prefix:
                self._fill([(self.n_seq, 0, prefix, False)])
            self._prefix = prefix
        out: list[Answer | None] = [None] * len(toks)
        order = list(range(len(toks)))
        pos = 0
        while pos < len(order):
            group: list[int] = []
            used = 0
            while pos < len(order) and len(group) < self.n_seq:
                i = order[pos]
                need = len(toks[i]) - len(prefix) + max(0, len(forc[i]) - 1)
                if group and used + need > PREFILL_BATCH:
                    break
                if need > PREFILL_BATCH:
                    raise UserError(f"a prompt of {len(toks[i])} tokens does not fit one batch of {PREFILL_BATCH}",
                                    "shorten the prompt")
                group.append(i)
                used += need
                pos += 1
            self._run_group(group, toks, prefix, layers, limits, forc, out, mem, keep_forced)
        return [a for a in out if a is not None]

    def _fill(self, rows: list[tuple[int, int, list[int], bool | list[bool]]]) -> list[int]:
        """One llama_decode over `rows` (seq, first position, tokens, logits wanted: all/last or per token);
        returns the batch index of every row's first token."""
        b = self._batch
        k = 0
        starts = []
        for seq, p0, tokens, want in rows:
            starts.append(k)
            for j, tok in enumerate(tokens):
                b.token[k] = tok
                b.pos[k] = p0 + j
                b.n_seq_id[k] = 1
                b.seq_id[k][0] = seq
                b.logits[k] = (want[j] if isinstance(want, list) else (want and j == len(tokens) - 1))
                k += 1
        b.n_tokens = k
        rc = self._llama_decode(b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        return starts

    def _logits_at(self, i: int) -> np.ndarray:
        ptr = self._lc.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float32)

    def _run_group(self, group: list[int], toks: list[list[int]], prefix: list[int], layers: Sequence[int],
                   limits: list[int], forc: list[list[int]], out: list[Answer | None], mem: Any,
                   keep_forced: bool = False) -> None:
        lc = self._lc
        rows: list[tuple[int, int, list[int], bool | list[bool]]] = []
        for slot, i in enumerate(group):
            lc.llama_memory_seq_rm(mem, slot, -1, -1)
            if prefix:
                lc.llama_memory_seq_cp(mem, self.n_seq, slot, -1, -1)
            rest = toks[i][len(prefix):] + forc[i][:-1]
            n_prompt = len(toks[i]) - len(prefix)
            rows.append((slot, len(prefix), rest, [j >= n_prompt - 1 for j in range(len(rest))]))
        # which batch row / output row is each prompt's last prompt token (for the activations)
        by_token: list[int] = []
        by_output: list[int] = []
        n_out = k = 0
        for (_, _, rest, _), i in zip(rows, group, strict=True):
            last = len(toks[i]) - len(prefix) - 1
            by_token.append(k + last)
            by_output.append(n_out)  # the last prompt token is the row's first output
            n_out += len(rest) - last  # outputs: the last prompt token and every forced token after it
            k += len(rest)
        self._want = set(layers)
        self._acts = {}
        self._abi_error = None
        self._rows = (by_token, by_output, k, n_out)
        try:
            starts = self._fill(rows)
        finally:
            self._want = set()
            self._rows = None
        self._check_capture(layers)
        answers: dict[int, Answer] = {}
        logits: dict[int, np.ndarray] = {}
        n_past: dict[int, int] = {}
        for slot, (i, start) in enumerate(zip(group, starts, strict=True)):
            last = start + len(toks[i]) - len(prefix) - 1
            first = self._logits_at(last)
            a = Answer(first=first, acts={layer: self._acts[layer][slot] for layer in layers})
            if forc[i]:
                total = 0.0
                for j, tok in enumerate(forc[i]):
                    step_logits = first if j == 0 else self._logits_at(last + j)
                    if keep_forced:
                        a.forced_logits.append(step_logits)
                    x = step_logits.astype(np.float64)
                    m = float(x.max())
                    total += float(x[tok] - m - np.log(np.exp(x - m).sum()))
                a.forced_logprob = total
            answers[slot] = a
            logits[slot] = first
            n_past[slot] = len(toks[i]) + max(0, len(forc[i]) - 1)
        # greedy answers, one token of every unfinished one per step (forced tokens are not continued)
        vocab = lc.llama_model_get_vocab(self.model)
        active = [s for s, i in enumerate(group) if limits[i] > 0 and not forc[i]]
        while active:
            step: list[tuple[int, int, list[int], bool | list[bool]]] = []
            for s in active:
                tok = int(np.argmax(logits[s]))
                if lc.llama_vocab_is_eog(vocab, tok):
                    continue
                answers[s].tokens.append(tok)
                if len(answers[s].tokens) >= limits[group[s]] or n_past[s] >= self.n_ctx - 1:
                    continue
                step.append((s, n_past[s], [tok], True))
                n_past[s] += 1
            if not step:
                break
            starts = self._fill(step)
            for (s, _, _, _), k0 in zip(step, starts, strict=True):
                logits[s] = self._logits_at(k0)
            active = [s for s, _, _, _ in step]
        for slot, i in enumerate(group):
            lc.llama_memory_seq_rm(mem, slot, -1, -1)
            out[i] = answers[slot]

    # -- adapters ------------------------------------------------------------------------------------
    def set_adapter(self, path: Path | None, scale: float = 1.0) -> None:
        lc = self._lc
        self._kv = []  # cached keys/values were computed with the previous adapter
        self._prefix = None
        lc.llama_memory_seq_rm(lc.llama_get_memory(self.ctx), self.n_seq, -1, -1)
        if path is None:
            lc.llama_set_adapters_lora(self.ctx, None, 0, None)
            self._cvec = apply_cvec(lc, self.ctx, None, self.n_embd, self.n_layer)
            return
        key = str(path)
        adapter = self._adapters.get(key)
        if adapter is None:
            from weightwatch.modify.gguf_io import read_header

            # the affine edit's constants (metadata of the same file), checked before llama.cpp loads it
            self._constants[key] = read_constants(read_header(path, what="adapter").fields, self.n_embd,
                                                  self.n_layer, path.name)
            adapter = lc.llama_adapter_lora_init(self.model, key.encode("utf-8"))
            if not adapter:
                raise UserError(f"llama.cpp could not load the adapter '{path}'", "check that it fits the model")
            self._adapters[key] = adapter
        arr = (lc.llama_adapter_lora_p_ctypes * 1)(adapter)
        scales = (ctypes.c_float * 1)(float(scale))
        if lc.llama_set_adapters_lora(self.ctx, arr, 1, scales) != 0:
            raise UserError(f"llama.cpp could not apply the adapter '{path}'", "check that it fits the model")
        # the constants scale with the LoRA pair (both are lambda-linear); none: the control vector is cleared
        self._cvec = apply_cvec(lc, self.ctx, self._constants.get(key), self.n_embd, self.n_layer, float(scale))

    def close(self) -> None:
        lc = self._lc
        if getattr(self, "ctx", None):
            lc.llama_set_adapters_lora(self.ctx, None, 0, None)
            lc.llama_batch_free(self._batch)
            lc.llama_free(self.ctx)
            self.ctx = None
        for a in self._adapters.values():
            lc.llama_adapter_lora_free(a)
        self._adapters = {}
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.close()
            self.llm = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
