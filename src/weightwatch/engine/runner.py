"""The asyncio runner: answers planned requests on one target, journaling each one as it lands.

- A pool of workers pulls from a queue; an `AdaptiveLimiter` decides how many requests are in
  flight (adaptive for HTTP, fixed for speed sweeps, one for in-process targets).
- Each request is retried with exponential backoff and jitter (tenacity) when the target says the
  failure is worth retrying (`TargetError.kind`: rate_limit, overloaded, transient), honouring
  Retry-After; rate_limit and overloaded also shrink the concurrency. After the last attempt the sample
  is journaled with its error and the run goes on. An `auth` failure stops the target with one clear
  line. The runner reads only error kinds: what an HTTP status means is the backend's business.
- In-process targets (llama.cpp) run one at a time across the whole run: two of them at once would
  only fight over the same cores and distort each other's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.errors import BACKOFF_KINDS, TargetError, UserError
from weightwatch.targets.base import Target
from weightwatch.types import ChatRequest, Completion, PlannedRequest, SampleKey

ProgressFn = Callable[[str, int, int, int], None]  # (label, done_delta, error_delta, tokens_delta)


def error_reason(error: str) -> str:
    """The head of a sample's error text, to count failures by kind: "HTTP 400 from http://h:8000/v1: body"
    -> "HTTP 400 from http://h:8000/v1" (split at ': ', not at the first ':', which cut URLs to "from http")."""
    return error.split(": ", 1)[0].strip()[:80]


@dataclass
class RunnerOptions:
    max_concurrency: int | None = None  # user cap (--max-concurrency)
    timeout_s: float = 600.0  # per request
    max_attempts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


@dataclass
class TargetRunStats:
    label: str
    planned: int = 0
    skipped: int = 0  # already in the journal
    done: int = 0
    errors: int = 0
    retries: int = 0
    peak_concurrency: int = 0
    auth_error: str | None = None
    error_reasons: dict[str, int] = field(default_factory=dict)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TargetError) and exc.retryable


class _Wait:
    """Exponential backoff with full jitter, but never shorter than the server's Retry-After."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum

    def __call__(self, state: RetryCallState) -> float:
        exp = min(self.maximum, self.initial * (2 ** (state.attempt_number - 1)))
        delay = random.uniform(exp / 2, exp)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TargetError) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, 300.0))
        return delay


class Runner:
    def __init__(self, journal: Journal, run_id: str, options: RunnerOptions | None = None,
                 progress: ProgressFn | None = None) -> None:
        self.journal = journal
        self.run_id = run_id
        self.options = options or RunnerOptions()
        self.progress = progress
        self._cpu_lock = asyncio.Lock()  # one in-process target at a time

    def _tick(self, label: str, done: int, errors: int, tokens: int) -> None:
        if self.progress:
            self.progress(label, done, errors, tokens)

    async def call(self, target: Target, request: ChatRequest, limiter: AdaptiveLimiter,
                   stats: TargetRunStats | None = None) -> Completion:
        """One request with retries. Returns a Completion (with .error set after the last failure).

        Raises UserError for authentication failures: they will not get better by retrying."""
        opts = self.options
        attempts = 0
        started = time.time()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(opts.max_attempts),
                wait=_Wait(opts.backoff_initial_s, opts.backoff_max_s),
                retry=retry_if_exception(_retryable),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    if attempts > 1 and stats is not None:
                        stats.retries += 1
                    await limiter.acquire()
                    t0 = time.monotonic()
                    try:
                        completion = await asyncio.wait_for(target.complete(request), timeout=opts.timeout_s)
                    except TimeoutError as exc:
                        raise TargetError(f"timed out after {opts.timeout_s:g} s", kind="transient") from exc
                    except TargetError as exc:
                        if exc.kind in BACKOFF_KINDS:
                            limiter.on_overload(exc.retry_after)
                        raise
                    finally:
                        await limiter.release()
                    elapsed = time.monotonic() - t0
                    units = (completion.completion_tokens or 0) + 1
                    limiter.on_success(elapsed / units if completion.completion_tokens else elapsed)
        except TargetError as exc:
            if exc.kind == "auth":
                raise UserError(str(exc), "check the API key variable named in weightwatch.toml") from exc
            return Completion(error=str(exc) or type(exc).__name__, finish_reason="error", attempts=attempts,
                              total_s=time.time() - started)
        except UserError:
            raise
        except Exception as exc:  # a bug in a target must not lose the other samples
            return Completion(error=f"{type(exc).__name__}: {exc}", finish_reason="error", attempts=attempts,
                              total_s=time.time() - started)
        completion.attempts = attempts
        raw = dict(completion.raw or {})
        raw["started_at"] = started
        raw["finished_at"] = time.time()
        completion.raw = raw
        return completion

    async def run_target(self, target: Target, work: list[tuple[SampleKey, PlannedRequest]]) -> TargetRunStats:
        """Answer every planned request of one target (already filtered for resume)."""
        stats = TargetRunStats(label=target.label, planned=len(work))
        if not work:
            return stats
        lock = self._cpu_lock if target.in_process else contextlib.nullcontext()
        async with lock:
            # phases run in the order they first appear; "" (the adaptive phase) first
            phases: dict[str, list[tuple[SampleKey, PlannedRequest]]] = {}
            for key, planned in sorted(work, key=lambda kp: kp[1].phase != ""):
                phases.setdefault(planned.phase, []).append((key, planned))
            cap = target.max_concurrency
            if self.options.max_concurrency:
                cap = min(cap, self.options.max_concurrency)
            adaptive = AdaptiveLimiter.for_target(cap, in_process=target.in_process)
            for _, items in phases.items():
                fixed_n = items[0][1].concurrency
                limiter = adaptive
                if fixed_n is not None:
                    limiter = AdaptiveLimiter(max_limit=fixed_n, start=fixed_n, adaptive=False)
                await self._run_phase(target, items, limiter, stats)
                stats.peak_concurrency = max(stats.peak_concurrency, limiter.peak)
                if stats.auth_error:
                    raise UserError(stats.auth_error, f"check the API key for target '{target.label}'")
        return stats

    async def _run_phase(self, target: Target, items: list[tuple[SampleKey, PlannedRequest]],
                         limiter: AdaptiveLimiter, stats: TargetRunStats) -> None:
        queue: asyncio.Queue[tuple[SampleKey, PlannedRequest]] = asyncio.Queue()
        for it in items:
            queue.put_nowait(it)
        stop = asyncio.Event()

        async def worker() -> None:
            while not stop.is_set():
                try:
                    key, planned = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    completion = await self.call(target, planned.request, limiter, stats)
                except UserError as exc:
                    stats.auth_error = exc.message
                    stop.set()
                    return
                self.journal.put_sample(self.run_id, key, target.label, planned, completion)
                tokens = (completion.completion_tokens or 0)
                if completion.error:
                    stats.errors += 1
                    reason = error_reason(completion.error)
                    stats.error_reasons[reason] = stats.error_reasons.get(reason, 0) + 1
                else:
                    stats.done += 1
                self._tick(target.label, 1, 1 if completion.error else 0, tokens)

        n_workers = min(len(items), max(limiter.max_limit, 1))
        await asyncio.gather(*(worker() for _ in range(n_workers)))
