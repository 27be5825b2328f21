"""A local GGUF file answered in-process by llama.cpp (llama-cpp-python).

- The chat template is the one stored in the file (`tokenizer.chat_template`): llama-cpp-python uses
  it when no chat_format is given (we check that it did and record the template's sha256).
- The model is loaded on one worker thread; requests are answered by a `BatchEngine` (batched.py):
  up to N sequences decoded together on its own thread (N, threads and weight repacking: cpu.py),
  so the event loop stays free and llama.cpp is never entered from two threads at once. The runner
  keeps N requests in flight (`max_concurrency`, set at load).
- Sampling is what the request says, nothing more: llama-cpp-python's own defaults (top_k=40,
  min_p=0.05, top_p=0.95) are switched off (top_k=0, min_p=0, top_p=1 unless asked), and no stop
  sequence is sent unless the request has one.
- Speed: every sampled token is timed as it is sampled (the first one gives the time to first token,
  counted from the request's arrival), and the token counts are the engine's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch import __version__
from weightwatch.errors import MissingDependency, TargetError, UserError
from weightwatch.stderr import quiet_stderr as _quiet_stderr
from weightwatch.targets._files import check_gguf, file_sha256
from weightwatch.targets.batched import BatchEngine, Cancelled, Job
from weightwatch.targets.cpu import (
    choose_threads,
    extra_buffer_types_enabled,
    extra_buffer_types_rule,
    parallel_rule,
    parallel_slots,
)
from weightwatch.targets.reasoning import split_reasoning
from weightwatch.types import ChatRequest, Completion, Fingerprint

DEFAULT_N_CTX = 4096  # per sequence
OWN_CTX = 256  # Llama()'s own context: only loaded, never used for answers

# llama.cpp's `general.file_type` (enum llama_ftype) -> the usual quantization name
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
    36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}


def require_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingDependency("llama-cpp-python", "embedded")


def quantization_name(metadata: dict[str, str], desc: str = "") -> str | None:
    raw = metadata.get("general.file_type")
    if raw is not None:
        with contextlib.suppress(ValueError):
            return FILE_TYPES.get(int(raw), f"file_type {int(raw)}")
    parts = desc.split()
    return parts[-1] if len(parts) >= 3 else None


class LlamaCppTarget:
    kind = "gguf"
    in_process = True
    max_concurrency = 1

    def __init__(self, path: Path | None, *, label: str, defaults: dict[str, Any] | None = None,
                 price: dict[str, float] | None = None, n_ctx: int | None = None, seed: int = 0,
                 origin: str | None = None, expected_sha256: str | None = None,
                 lora_path: Path | None = None) -> None:
        require_llama_cpp()
        self.label = label
        self.path = path
        self.price = dict(price or {})
        self._defaults = dict(defaults or {})
        self._n_ctx = n_ctx
        self.seed = seed
        self.origin = origin
        self.expected_sha256 = expected_sha256
        self._llm: Any = None
        self._engine: BatchEngine | None = None
        self._formatter: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self.fingerprint_: Fingerprint | None = None
        self.lora_path = lora_path  # a LoRA adapter GGUF applied on top (gguf:BASE+lora:ADAPTER)
        if path is not None:
            check_gguf(path)  # fail at parse time, before a run is recorded
            if lora_path is not None:
                from weightwatch.modify.gguf_io import check_adapter

                check_adapter(lora_path, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, path={str(self.path)!r})"

    def defaults(self) -> dict[str, object]:
        return dict(self._defaults)

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-{self.kind}")
        return self._pool

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._worker(), fn, *args)

    # -- start -----------------------------------------------------------------------------------
    def _model_path(self) -> Path:
        """The file to load (EmbeddedTarget assembles / verifies it here)."""
        assert self.path is not None
        return self.path

    async def start(self) -> Fingerprint:
        if self._llm is None or self._engine is None or self.fingerprint_ is None:  # (re)load after aclose()
            self.fingerprint_ = await self._run(self._load)
        return self.fingerprint_

    def _load(self) -> Fingerprint:
        import llama_cpp

        path = self._model_path()
        check_gguf(path)
        sha = file_sha256(path)
        if self.expected_sha256 and sha != self.expected_sha256:
            raise UserError(f"'{path}' has sha256 {sha[:16]}..., expected {self.expected_sha256[:16]}...: "
                            "the file is corrupt or not the expected model",
                            "delete it and run the pull again")
        adapter: dict[str, Any] = {}
        adapter_fields: dict[str, Any] = {}
        provenance: dict[str, Any] = {}
        if self.lora_path is not None:  # checked before llama.cpp sees it (one-line error)
            from weightwatch.modify.gguf_io import check_adapter

            head = check_adapter(self.lora_path, path)  # malformed affine constants included
            adapter = {"lora_path": str(self.lora_path)}
            adapter_fields = head.fields
            provenance = {k.removeprefix("weightwatch.modify."): v for k, v in head.fields.items()
                          if k.startswith("weightwatch.modify.") and isinstance(v, str | int | float)}
        thread_choice = choose_threads()
        threads = thread_choice.threads
        t0 = time.perf_counter()
        try:
            with _quiet_stderr():
                # Llama() holds the weights, vocabulary and template; its own small context is not used for
                # answers (the BatchEngine has its own, with a KV cache per sequence)
                llm = new_llama(model_path=str(path), n_ctx=OWN_CTX, n_threads=threads,
                                verbose=False, seed=self.seed, **adapter)
        except (ValueError, RuntimeError, OSError) as exc:
            raise UserError(f"llama.cpp could not load '{path}' ({exc}); the file may be corrupt or of an "
                            "unsupported architecture", "check the file, or update llama-cpp-python") from exc
        load_s = time.perf_counter() - t0
        md: dict[str, str] = dict(llm.metadata or {})
        arch = md.get("general.architecture")
        ctx_train = None
        with contextlib.suppress(TypeError, ValueError):
            ctx_train = int(md.get(f"{arch}.context_length", "")) if arch else None
        # per sequence; a model trained on a shorter context is not taken beyond it
        n_ctx = self._n_ctx or (min(DEFAULT_N_CTX, ctx_train) if ctx_train else DEFAULT_N_CTX)
        template = md.get("tokenizer.chat_template")
        if template and llm.chat_format != "chat_template.default":
            # llama-cpp-python recognised a known template and picked its built-in formatter: force the file's
            llm.chat_format = "chat_template.default"
        if not template:
            raise UserError(f"'{path}' has no chat template in its metadata (tokenizer.chat_template)",
                            "use an instruct/chat GGUF, or serve it with a template via an openai: target")
        params_hint = 0
        with contextlib.suppress(Exception):
            params_hint = int(llm._model.n_params())
        n_par = parallel_slots(params_hint)
        constants = None
        if adapter_fields:  # an affine edit's per-layer constants: a control vector on the engine's context
            import llama_cpp

            from weightwatch.modify.affine import read_constants

            constants = read_constants(adapter_fields, int(llama_cpp.llama_model_n_embd(llm._model.model)),
                                       int(llama_cpp.llama_model_n_layer(llm._model.model)),
                                       self.lora_path.name if self.lora_path else "adapter")
        try:
            self._engine = BatchEngine(llm._model.model, n_slots=n_par, n_ctx_seq=n_ctx, n_threads=threads,
                                       lora=getattr(llm, "_lora_adapter", None),
                                       lora_scale=float(getattr(llm, "lora_scale", 1.0) or 1.0),
                                       constants=constants)
        except TargetError as exc:
            _close_llm(llm)
            raise UserError(f"{exc} for '{path}' ({n_par} sequences of {n_ctx} tokens)",
                            "set WEIGHTWATCH_PARALLEL=1 or a smaller n_ctx") from exc
        self._formatter = _chat_formatter(llm, template)
        self.max_concurrency = n_par
        self._llm = llm
        desc = ""
        with contextlib.suppress(Exception):
            desc = llm._model.desc()
        params: int | None = None
        with contextlib.suppress(Exception):
            params = int(llm._model.n_params())
        if not params:
            with contextlib.suppress(ValueError):
                params = int(md.get("general.parameter_count", "0")) or None
        extra: dict[str, Any] = {
            "path": str(path),
            "file_size": path.stat().st_size,
            "model_desc": desc,
            "size_label": md.get("general.size_label"),
            "organization": md.get("general.organization"),
            "basename": md.get("general.basename"),
            "finetune": md.get("general.finetune"),
            "license": md.get("general.license"),
            "context_length_trained": ctx_train,
            "chat_format": llm.chat_format,
            "sampler": {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0, "top_p_default": 1.0},
            "defaults": self.defaults(),
            "n_threads": threads,
            "threads_rule": thread_choice.rule,
            "parallel_sequences": n_par,
            "parallel_rule": parallel_rule(),
            "extra_buffer_types": extra_buffer_types_enabled(),
            "extra_buffer_types_rule": extra_buffer_types_rule(),
            "load_s": round(load_s, 3),
            "llama_cpp_python": getattr(llama_cpp, "__version__", None),
        }
        adapter_sha: str | None = None
        if self.lora_path is not None:
            adapter_sha = file_sha256(self.lora_path)
            extra["adapter"] = {"path": str(self.lora_path), "sha256": adapter_sha, "provenance": provenance}
        return Fingerprint(
            kind=self.kind, name=md.get("general.name") or path.name, sha256=sha, adapter_sha256=adapter_sha,
            architecture=arch,
            parameters=params, quantization=quantization_name(md, desc),
            chat_template_hash=hashlib.sha256(template.encode("utf-8")).hexdigest(),
            context_length=n_ctx, origin=self.origin, weightwatch_version=__version__,
            extra={k: v for k, v in extra.items() if v is not None})

    # -- requests --------------------------------------------------------------------------------
    async def complete(self, request: ChatRequest) -> Completion:
        if self._llm is None or self._engine is None:
            await self.start()
        assert self._engine is not None
        job = self._job(request)
        future = self._engine.submit(job)
        try:
            result = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            job.cancelled = True  # the engine drops the sequence before its next decode step
            raise
        except Cancelled as exc:
            raise TargetError(f"the model stopped before answering ({exc})", kind="fatal") from exc
        split = split_reasoning(result.text)
        raw: dict[str, Any] = {"sampled_tokens": len(result.token_times_s), "parallel_sequences": self.max_concurrency}
        if split.truncated:
            raw["reasoning_truncated"] = True
        times = result.token_times_s
        if request.top_logprobs and result.first_logits is not None:  # the first token's distribution
            raw["top_logprobs"] = _top_logprobs(self._llm, result.first_logits, int(request.top_logprobs))
        return Completion(
            text=split.text, reasoning=split.reasoning, finish_reason=result.finish_reason,
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            ttft_s=times[0] if times else None, total_s=result.total_s,
            token_times_s=times[: result.completion_tokens] if request.stream else None, raw=raw)

    def _job(self, request: ChatRequest) -> Job:
        """The request as the engine takes it: the file's chat template applied and tokenized exactly as
        llama-cpp-python's create_chat_completion does, sampling as weightwatch asks (see module doc)."""
        llm = self._llm
        formatted = self._formatter(messages=[{"role": m.role, "content": m.content} for m in request.messages])
        tokens = llm.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        stop = list(request.stop or [])
        if formatted.stop is not None:
            stop += formatted.stop if isinstance(formatted.stop, list) else [formatted.stop]
        top_p = request.top_p if request.top_p is not None else self._defaults.get("top_p", 1.0)
        grammar = json_grammar(request.response_format) if request.response_format is not None else None
        return Job(tokens=list(tokens), max_tokens=request.max_tokens, temperature=request.temperature,
                   top_p=float(top_p), seed=request.seed if request.seed is not None else self.seed,
                   grammar=grammar, stop=stop, first_logits=bool(request.top_logprobs))

    def stop_now(self) -> None:
        """Abandon every request in flight (Ctrl-C): the engine leaves at its next decode step."""
        if self._engine is not None:
            self._engine.stop()

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        llm, self._llm = self._llm, None
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.stop()
        if pool is not None:
            if llm is not None:
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(pool, _close_all, engine, llm)
            pool.shutdown(wait=False)


def _close_all(engine: BatchEngine | None, llm: Any) -> None:
    if engine is not None:
        engine.close()
    _close_llm(llm)


def _chat_formatter(llm: Any, template: str) -> Any:
    """The file's chat template as llama-cpp-python builds it for `chat_template.default`."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos_id, bos_id = llm.token_eos(), llm.token_bos()
    eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
    bos = llm._model.token_get_text(bos_id) if bos_id != -1 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, stop_token_ids=[eos_id])


def json_grammar(schema: dict[str, Any]) -> str:
    """GBNF for a JSON schema (llama-cpp-python's converter); any JSON if the schema is not supported."""
    import json

    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

    try:
        return str(LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)._grammar)
    except Exception:  # what create_chat_completion does too
        return JSON_GBNF


def _top_logprobs(llm: Any, logits: Any, k: int) -> list[dict[str, Any]]:
    """The k most likely tokens of one logits vector as [{"token": text, "logprob": float}] (log-softmax)."""
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max()
    logp = x - np.log(np.exp(x).sum())
    best = np.argsort(-logp)[: max(1, min(k, 20))]
    out = []
    for tok in best:
        text = llm.detokenize([int(tok)]).decode("utf-8", errors="replace")
        out.append({"token": text[:40], "logprob": float(logp[tok])})
    return out


_LOAD_LOCK = threading.Lock()


def new_llama(**kwargs: Any) -> Any:
    """`llama_cpp.Llama(**kwargs)` with extra buffer types only where safe (targets/cpu.py).

    Llama() takes its model parameters from `llama_model_default_params()` and has no argument for
    `use_extra_bufts`, so the defaults are wrapped for the duration of the load (under a lock: several
    targets may load at once on their own threads)."""
    import llama_cpp
    import llama_cpp.llama as llama_module

    if extra_buffer_types_enabled():
        return llama_cpp.Llama(**kwargs)
    with _LOAD_LOCK:
        original = llama_module.llama_cpp.llama_model_default_params

        def defaults() -> Any:
            params = original()
            if hasattr(params, "use_extra_bufts"):
                params.use_extra_bufts = False
            return params

        llama_module.llama_cpp.llama_model_default_params = defaults
        try:
            return llama_cpp.Llama(**kwargs)
        finally:
            llama_module.llama_cpp.llama_model_default_params = original


def _close_llm(llm: Any) -> None:
    close = getattr(llm, "close", None)
    if callable(close):
        close()
