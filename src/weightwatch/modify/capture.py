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
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch.errors import UserError


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


class Session:
    """One model, one context with an eval callback; optional LoRA adapter at a scale."""

    def __init__(self, path: Path, *, n_ctx: int = 512, n_threads: int | None = None) -> None:
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
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_ctx
        params.n_ubatch = n_ctx
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
        self._kv: list[int] = []  # tokens now in the KV cache (sequence 0)

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
            n = 0
        self._kv = []
        rest = list(tokens[n:])
        arr = (lc.llama_token * len(rest))(*rest)
        rc = lc.llama_decode(self.ctx, lc.llama_batch_get_one(arr, len(rest)))
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        self._kv = list(tokens)

    def run(self, prompt: str, layers: Sequence[int] = ()) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """(first-token logits, {layer: last-token residual after that layer}) for one user prompt."""
        self._want = set(layers)
        self._acts = {}
        self._abi_error = None
        try:
            self._decode(self.chat_tokens(prompt))
        finally:
            self._want = set()
        if self._abi_error:
            raise UserError(f"unexpected ggml tensor layout while capturing activations ({self._abi_error})",
                            "this llama-cpp-python build is not supported by weightwatch modify")
        missing = [i for i in layers if i not in self._acts]
        if missing:
            raise UserError(f"llama.cpp produced no l_out tensor for layer(s) {missing}",
                            "this architecture does not name its residual stream l_out-<layer>")
        return self._last_logits(), dict(self._acts)

    def _step(self, tok: int) -> bool:
        """Decode one more token after the cached ones (False: the context is full or decode failed)."""
        lc = self._lc
        if len(self._kv) >= self.n_ctx - 1:
            return False
        arr = (lc.llama_token * 1)(tok)
        if lc.llama_decode(self.ctx, lc.llama_batch_get_one(arr, 1)) != 0:
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

    # -- adapters ------------------------------------------------------------------------------------
    def set_adapter(self, path: Path | None, scale: float = 1.0) -> None:
        lc = self._lc
        self._kv = []  # cached keys/values were computed with the previous adapter
        if path is None:
            lc.llama_set_adapters_lora(self.ctx, None, 0, None)
            return
        key = str(path)
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = lc.llama_adapter_lora_init(self.model, key.encode("utf-8"))
            if not adapter:
                raise UserError(f"llama.cpp could not load the adapter '{path}'", "check that it fits the model")
            self._adapters[key] = adapter
        arr = (lc.llama_adapter_lora_p_ctypes * 1)(adapter)
        scales = (ctypes.c_float * 1)(float(scale))
        if lc.llama_set_adapters_lora(self.ctx, arr, 1, scales) != 0:
            raise UserError(f"llama.cpp could not apply the adapter '{path}'", "check that it fits the model")

    def close(self) -> None:
        lc = self._lc
        if getattr(self, "ctx", None):
            lc.llama_set_adapters_lora(self.ctx, None, 0, None)
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
