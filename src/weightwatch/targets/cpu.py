"""How an in-process llama.cpp model uses this machine's CPU: threads, batch width, weight repacking.

Each choice is made once at load, recorded in the fingerprint (`extra`), and can be overridden:

- Threads (WEIGHTWATCH_THREADS): the cores this process may use (`os.sched_getaffinity`) minus the
  ones already busy (the 1-minute load average, rounded), at least 1. llama.cpp's threads spin at every
  barrier, so one thread per core on a machine where another job is running slows generation down
  twentyfold (measured on 2 busy cores: 0.49 vs 9.5 tokens/s with one thread).
- Parallel sequences (WEIGHTWATCH_PARALLEL): how many sequences one model decodes together. CPU decoding
  is memory-bound, so a step over N sequences costs little more than over one, but less so the bigger
  the model: 8 below 300M parameters, 4 below 1B, 2 below 4B, else 1 (measured: SmolLM2-135M gains up to
  8, Qwen2.5-Coder-0.5B up to 4, Qwen2.5-Coder-1.5B barely at 2; see BENCHMARKS.md).
- Extra buffer types (WEIGHTWATCH_LLAMA_EXTRA_BUFTS=0/1): llama.cpp repacks weights for its AMX and
  AVX-512 kernels when allowed (+40% single-stream measured on the 1.5B model on a CPU without AMX). On
  CPUs with AMX (`amx_int8` in /proc/cpuinfo, e.g. Sapphire Rapids) the AMX kernel crashes with SIGSEGV
  in `ggml_backend_amx_mul_mat` on the first request (reproduced here with llama-cpp-python 0.3.36;
  upstream ggml-org/llama.cpp#20824, closed stale without a fix), so repacking is on only where the
  CPU has no AMX.
"""

from __future__ import annotations

import os
from functools import cache

from weightwatch.errors import UserError


def _env_int(name: str, example: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        raise UserError(f"{name}={raw!r} is not a number", f"set it to a whole number, e.g. {name}={example}") from None
    if n < 1:
        raise UserError(f"{name}={raw!r} must be at least 1", f"e.g. {name}={example}")
    return n


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def free_cores(cores: int, load1: float) -> int:
    """Cores not already busy: `cores` minus the rounded 1-minute load average, at least 1."""
    return max(1, min(cores, cores - int(load1 + 0.5)))


def llama_threads() -> int:
    """Threads for llama.cpp: WEIGHTWATCH_THREADS if set, else the free cores (see module doc)."""
    forced = _env_int("WEIGHTWATCH_THREADS", "2")
    if forced is not None:
        return forced
    try:
        load1 = os.getloadavg()[0]
    except (AttributeError, OSError):
        load1 = 0.0
    return free_cores(usable_cores(), load1)


def threads_rule() -> str:
    if os.environ.get("WEIGHTWATCH_THREADS", "").strip():
        return "WEIGHTWATCH_THREADS"
    return "free cores: affinity minus the rounded 1-minute load average, at least 1"


def slots_for(parameters: int) -> int:
    """Sequences decoded together for a model of this many parameters (unknown: 1)."""
    if parameters <= 0:
        return 1
    if parameters < 300e6:
        return 8
    if parameters < 1e9:
        return 4
    if parameters < 4e9:
        return 2
    return 1


def parallel_slots(parameters: int) -> int:
    forced = _env_int("WEIGHTWATCH_PARALLEL", "4")
    return forced if forced is not None else slots_for(parameters)


def parallel_rule() -> str:
    if os.environ.get("WEIGHTWATCH_PARALLEL", "").strip():
        return "WEIGHTWATCH_PARALLEL"
    return "by parameters: 8 below 300M, 4 below 1B, 2 below 4B, else 1"


@cache
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def has_amx(flags: frozenset[str]) -> bool:
    return bool({"amx_int8", "amx_tile", "amx_bf16"} & flags)


def extra_buffer_types_enabled() -> bool:
    """Whether llama.cpp may repack weights into its extra CPU buffer types (see module doc)."""
    raw = os.environ.get("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "").strip()
    if raw in ("0", "1"):
        return raw == "1"
    flags = cpu_flags()
    return bool(flags) and not has_amx(flags)


def extra_buffer_types_rule() -> str:
    if os.environ.get("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "").strip() in ("0", "1"):
        return "WEIGHTWATCH_LLAMA_EXTRA_BUFTS"
    flags = cpu_flags()
    if not flags:
        return "off: CPU flags unknown (no /proc/cpuinfo)"
    return "off: the CPU has AMX (llama.cpp's AMX kernel crashes)" if has_amx(flags) else "on: the CPU has no AMX"
