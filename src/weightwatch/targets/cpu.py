"""How an in-process llama.cpp model uses this machine's CPU: threads, batch width, weight repacking.

Each choice is made once at load, recorded in the fingerprint (`extra`), and can be overridden:

- Threads (WEIGHTWATCH_THREADS): the cores that are free *now*. weightwatch reads each allowed core's
  idle time (`/proc/stat`, idle + iowait) twice, 0.3 s apart, sums the idle fractions over the cores this
  process may use (`os.sched_getaffinity`) and rounds: a core counts when at least 0.75 of it is idle in
  that sum, at least 1 thread, at most the allowed cores. Without /proc/stat (not Linux) it falls back to
  the allowed cores minus the rounded 1-minute load average. It does not use the load average on Linux:
  that is a 1-minute mean, so the `pip install` run just before the audit in CI made a free machine look
  busy and the audit ran on one thread. llama.cpp's threads spin at every barrier, so one thread per core
  on a machine where another job is running slows generation down twentyfold (measured on 2 busy cores:
  0.49 vs 9.5 tokens/s with one thread). The reading and the choice go into the fingerprint.
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
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from weightwatch import envvars


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


IDLE_SAMPLE_S = 0.3  # how long the idle time is sampled
CORE_FREE_AT = 0.75  # idle fraction (summed over the allowed cores) from which one more core counts as free


def read_cpu_times(text: str) -> dict[int, tuple[int, int]]:
    """Per core (from /proc/stat's `cpuN` lines): (idle + iowait ticks, all ticks but guest)."""
    out: dict[int, tuple[int, int]] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not (name.startswith("cpu") and name[3:].isdigit()):
            continue
        try:
            ticks = [int(x) for x in rest.split()]
        except ValueError:
            continue
        if len(ticks) < 4:
            continue
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
        out[int(name[3:])] = (idle, sum(ticks[:8]))  # guest time is already counted in user time
    return out


def idle_cores(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]],
               allowed: set[int] | None = None) -> float:
    """Sum of the idle fractions of the allowed cores between two readings (a core with no ticks: idle)."""
    total = 0.0
    for cpu_id, (idle1, all1) in after.items():
        if (allowed is not None and cpu_id not in allowed) or cpu_id not in before:
            continue
        idle0, all0 = before[cpu_id]
        d_all = all1 - all0
        total += 1.0 if d_all <= 0 else min(1.0, max(0.0, (idle1 - idle0) / d_all))
    return total


def free_cores(cores: int, idle: float) -> int:
    """Cores free now: the idle sum, a core counted from CORE_FREE_AT of it, at least 1, at most `cores`."""
    return max(1, min(cores, int(idle + (1.0 - CORE_FREE_AT))))


def _read_proc_stat() -> str | None:
    try:
        with open("/proc/stat", encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _allowed_cpus() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    rule: str  # how they were chosen, with the reading (goes into the fingerprint)


def choose_threads(read: Callable[[], str | None] = _read_proc_stat, interval: float = IDLE_SAMPLE_S,
                   sleep: Callable[[float], None] = time.sleep) -> ThreadChoice:
    """Threads for llama.cpp: WEIGHTWATCH_THREADS if set, else the cores free now (see module doc).
    `read` and `sleep` are injectable for tests (a /proc/stat text and the wait between readings)."""
    forced = envvars.whole_number("WEIGHTWATCH_THREADS", "2")
    if forced is not None:
        return ThreadChoice(forced, "WEIGHTWATCH_THREADS")
    cores = usable_cores()
    first = read()
    if first is not None and read_cpu_times(first):
        sleep(interval)
        second = read()
        if second is not None:
            idle = idle_cores(read_cpu_times(first), read_cpu_times(second), _allowed_cpus())
            n = free_cores(cores, idle)
            return ThreadChoice(n, f"free cores now: {idle:.2f} of {cores} allowed cores idle over {interval:g} s "
                                   f"(/proc/stat), a core counted from {CORE_FREE_AT:g} idle, at least 1 -> {n}")
    try:
        load1 = os.getloadavg()[0]
    except (AttributeError, OSError):
        load1 = 0.0
    n = max(1, min(cores, cores - int(load1 + 0.5)))
    return ThreadChoice(n, f"no /proc/stat: {cores} allowed cores minus the rounded 1-minute load average "
                           f"{load1:.2f}, at least 1 -> {n}")


def llama_threads() -> int:
    """Threads for llama.cpp: WEIGHTWATCH_THREADS if set, else the cores free now (see module doc)."""
    return choose_threads().threads


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
    forced = envvars.whole_number("WEIGHTWATCH_PARALLEL", "4")
    return forced if forced is not None else slots_for(parameters)


def parallel_rule() -> str:
    if envvars.whole_number("WEIGHTWATCH_PARALLEL", "4") is not None:
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
    forced = envvars.zero_or_one("WEIGHTWATCH_LLAMA_EXTRA_BUFTS")  # another value: a one-line error
    if forced is not None:
        return forced
    flags = cpu_flags()
    return bool(flags) and not has_amx(flags)


def extra_buffer_types_rule() -> str:
    if envvars.zero_or_one("WEIGHTWATCH_LLAMA_EXTRA_BUFTS") is not None:
        return "WEIGHTWATCH_LLAMA_EXTRA_BUFTS"
    flags = cpu_flags()
    if not flags:
        return "off: CPU flags unknown (no /proc/cpuinfo)"
    return "off: the CPU has AMX (llama.cpp's AMX kernel crashes)" if has_amx(flags) else "on: the CPU has no AMX"
