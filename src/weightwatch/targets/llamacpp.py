"""A local GGUF file answered in-process by llama.cpp (llama-cpp-python).

- The chat template is the one stored in the file (`tokenizer.chat_template`): llama-cpp-python uses
  it when no chat_format is given (we check that it did and record the template's sha256).
- The model is loaded, and every request answered, on ONE dedicated worker thread, so the event
  loop stays free and llama.cpp is never entered from two threads.
- Sampling is what the request says, nothing more: llama-cpp-python's own defaults (top_k=40,
  min_p=0.05, top_p=0.95) are switched off (top_k=0, min_p=0, top_p=1 unless asked), and no stop
  sequence is sent unless the request has one.
- Speed: every sampled token is timed through a stopping-criteria callback (the first one is the
  time to first token), and the token counts come from llama.cpp itself, not from a re-tokenisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from weightwatch import __version__
from weightwatch.errors import MissingDependency, TargetError, UserError
from weightwatch.targets._files import check_gguf, file_sha256
from weightwatch.targets.reasoning import split_reasoning
from weightwatch.types import ChatRequest, Completion, Fingerprint

DEFAULT_N_CTX = 4096

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


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence C-level writes to fd 2 (llama.cpp/ggml log noise) while loading."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


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
        if self._llm is None or self.fingerprint_ is None:  # (re)load after aclose(); the sha is cached
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
        provenance: dict[str, Any] = {}
        if self.lora_path is not None:  # checked before llama.cpp sees it (one-line error)
            from weightwatch.modify.gguf_io import check_adapter

            head = check_adapter(self.lora_path, path)
            adapter = {"lora_path": str(self.lora_path)}
            provenance = {k.removeprefix("weightwatch.modify."): v for k, v in head.fields.items()
                          if k.startswith("weightwatch.modify.") and isinstance(v, str | int | float)}
        n_ctx = self._n_ctx or DEFAULT_N_CTX
        t0 = time.perf_counter()
        try:
            with _quiet_stderr():
                llm = new_llama(model_path=str(path), n_ctx=n_ctx, n_threads=llama_threads(),
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
        if self._n_ctx is None and ctx_train and ctx_train < n_ctx:
            # a model trained on a shorter context: do not go beyond it
            _close_llm(llm)
            with _quiet_stderr():
                llm = new_llama(model_path=str(path), n_ctx=ctx_train, n_threads=llama_threads(),
                                verbose=False, seed=self.seed, **adapter)
            n_ctx = ctx_train
        template = md.get("tokenizer.chat_template")
        if template and llm.chat_format != "chat_template.default":
            # llama-cpp-python recognised a known template and picked its built-in formatter: force the file's
            llm.chat_format = "chat_template.default"
        if not template:
            raise UserError(f"'{path}' has no chat template in its metadata (tokenizer.chat_template)",
                            "use an instruct/chat GGUF, or serve it with a template via an openai: target")
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
            "n_threads": llama_threads(),
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
        if self._llm is None:
            await self.start()
        result: Completion = await self._run(self._generate, request)
        return result

    def _generate(self, request: ChatRequest) -> Completion:
        llm = self._llm
        times: list[float] = []
        t0 = time.perf_counter()

        def on_token(_ids: Any, logits: Any) -> Any:  # called once per token, just before it is sampled
            times.append(time.perf_counter() - t0)
            return logits

        top_p = request.top_p if request.top_p is not None else self._defaults.get("top_p", 1.0)
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "top_p": top_p,
            "top_k": 0,
            "min_p": 0.0,
            "repeat_penalty": 1.0,
            "max_tokens": request.max_tokens,
            "seed": request.seed if request.seed is not None else self.seed,
            "logits_processor": [on_token],
        }
        if request.stop is not None:
            kwargs["stop"] = list(request.stop)
        if request.response_format is not None:  # llama-cpp-python builds a grammar from the schema
            kwargs["response_format"] = {"type": "json_object", "schema": request.response_format}
        try:
            out = llm.create_chat_completion(**kwargs)
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            raise TargetError(f"llama.cpp refused the request: {exc}", kind="fatal") from exc
        total = time.perf_counter() - t0
        choice = (out.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        usage = out.get("usage") or {}
        n_out = usage.get("completion_tokens")
        split = split_reasoning(message.get("content") or "")
        token_times = times[: n_out] if isinstance(n_out, int) else times
        raw: dict[str, Any] = {"sampled_tokens": len(times)}
        if split.truncated:
            raw["reasoning_truncated"] = True
        return Completion(
            text=split.text, reasoning=split.reasoning, finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"), completion_tokens=n_out,
            ttft_s=times[0] if times else None, total_s=total,
            token_times_s=token_times if request.stream else None, raw=raw)

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        llm, self._llm = self._llm, None
        if pool is not None:
            if llm is not None:
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(pool, _close_llm, llm)
            pool.shutdown(wait=False)


_LOAD_LOCK = threading.Lock()


def llama_threads() -> int:
    """Threads for llama.cpp: WEIGHTWATCH_THREADS if set, else the cores this process may use.

    llama.cpp's threads spin at every barrier: with one thread per core and another CPU-bound job on the
    machine, generation can slow down twentyfold (measured on 2 busy cores: 0.49 vs 9.5 tokens/s with
    one thread). On a shared machine set WEIGHTWATCH_THREADS below the number of free cores."""
    raw = os.environ.get("WEIGHTWATCH_THREADS", "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise UserError(f"WEIGHTWATCH_THREADS={raw!r} is not a number",
                            "set it to the number of threads llama.cpp may use, e.g. 2") from None
        if n < 1:
            raise UserError(f"WEIGHTWATCH_THREADS={raw!r} must be at least 1", "e.g. WEIGHTWATCH_THREADS=2")
        return n
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def extra_buffer_types_enabled() -> bool:
    """Whether llama.cpp may repack weights into its extra CPU buffer types (AMX, AVX-512 repack).

    Off by default: on CPUs with AMX (e.g. Sapphire Rapids VMs) llama.cpp's AMX buffer type crashes
    (SIGSEGV in ggml_backend_amx_mul_mat on the first multi-token batch, llama-cpp-python 0.3.36). The
    plain CPU path gives the same results. WEIGHTWATCH_LLAMA_EXTRA_BUFTS=1 switches repacking back on.
    """
    return os.environ.get("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "") == "1"


def new_llama(**kwargs: Any) -> Any:
    """`llama_cpp.Llama(**kwargs)` with extra buffer types off unless asked (see above).

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
