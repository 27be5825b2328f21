"""The asyncio runner: answers planned requests on one target, journaling each one as it lands.

- A pool of workers pulls from a queue; an `AdaptiveLimiter` decides how many requests are in
  flight (adaptive for HTTP, fixed for speed sweeps, one for in-process targets).
- Each request is retried with exponential backoff and jitter (tenacity) when the target says the
  failure is worth retrying (`TargetError.kind`: rate_limit, overloaded, transient), honouring
  Retry-After; rate_limit and overloaded also shrink the concurrency. After the last attempt the sample
  is journaled with its error and the run goes on. An `auth` failure stops the target with one clear
  line. The runner reads only error kinds: what an HTTP status means is the backend's business.
- Long waits are never silent: a wait of more than `announce_wait_s` (10 s) is announced with one line
  (`notice`, default stderr: "server asked to wait 600 s (HTTP 429) ..."). A server that asks for more
  than `max_retry_wait_s` (WEIGHTWATCH_MAX_RETRY_WAIT, default 300 s) is not waited for: that sample
  fails with the reason, and so does every sample of that target until the asked time has passed
  (nothing more is sent to it); re-running the same command later retries them.
- In-process targets (llama.cpp) run one at a time across the whole run: two of them at once would
  only fight over the same cores and distort each other's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from weightwatch import envvars
from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.errors import BACKOFF_KINDS, TargetError, UserError
from weightwatch.targets.base import Target
from weightwatch.types import ChatRequest, Completion, PlannedRequest, SampleKey

ProgressFn = Callable[[str, int, int, int], None]  # (label, done_delta, error_delta, tokens_delta)
NoticeFn = Callable[[str], None]  # one line for the user (a long wait)
DEFAULT_MAX_RETRY_WAIT_S = 300.0
ANNOUNCE_WAIT_S = 10.0


def max_retry_wait_from_env() -> float:
    """WEIGHTWATCH_MAX_RETRY_WAIT (seconds above 0), else 300: the longest Retry-After the runner waits for."""
    return envvars.seconds("WEIGHTWATCH_MAX_RETRY_WAIT", "900") or DEFAULT_MAX_RETRY_WAIT_S


def _stderr_notice(line: str) -> None:
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()


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
    # the longest wait a server may ask for (Retry-After); more: the sample fails with the reason instead
    max_retry_wait_s: float = field(default_factory=max_retry_wait_from_env)
    announce_wait_s: float = ANNOUNCE_WAIT_S  # waits longer than this are announced (notice)


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
    """Exponential backoff with full jitter, but never shorter than the server's Retry-After (which the
    runner has already checked against `max_retry_wait_s`)."""

    def __init__(self, initial: float, maximum: float, cap: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.cap = cap

    def __call__(self, state: RetryCallState) -> float:
        exp = min(self.maximum, self.initial * (2 ** (state.attempt_number - 1)))
        delay = random.uniform(exp / 2, exp)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TargetError) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, self.cap))
        return delay


def _why(exc: TargetError) -> str:
    return f"HTTP {exc.status}" if exc.status else exc.kind.replace("_", " ")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")


class Runner:
    def __init__(self, journal: Journal, run_id: str, options: RunnerOptions | None = None,
                 progress: ProgressFn | None = None, notice: NoticeFn | None = None) -> None:
        self.journal = journal
        self.run_id = run_id
        self.options = options or RunnerOptions()
        self.progress = progress
        self.notice = notice or _stderr_notice
        self._cpu_lock = asyncio.Lock()  # one in-process target at a time
        self._announced: dict[str, float] = {}  # target label -> end of the last wait announced
        # target label -> (until when nothing is sent, why): a server asked for a wait beyond the cap
        self._closed: dict[str, tuple[float, str]] = {}

    def _announce_wait(self, target: Target, seconds: float, why: str) -> None:
        """One line for a wait longer than `announce_wait_s`; waits ending together are announced once."""
        if seconds <= self.options.announce_wait_s:
            return
        end = time.time() + seconds
        if end <= self._announced.get(target.label, 0.0) + self.options.announce_wait_s:
            return
        self._announced[target.label] = end
        self.notice(f"{target.label}: server asked to wait {seconds:.0f} s ({why}); waiting until {_clock(end)} "
                    "(Ctrl-C to stop; the same command resumes the run)")

    def _refuse_wait(self, target: Target, exc: TargetError) -> TargetError:
        """The server asked for a wait beyond the cap: this sample fails, and so does every other sample
        of the target until the asked time has passed (nothing more is sent)."""
        cap = self.options.max_retry_wait_s
        asked = exc.retry_after or 0.0
        until = time.time() + asked
        reason = (f"{_why(exc)}: server asked to wait {asked:.0f} s before retrying (until {_clock(until)}), more "
                  f"than the {cap:g} s weightwatch waits (WEIGHTWATCH_MAX_RETRY_WAIT); run the same command again "
                  "later to retry it")
        before = self._closed.get(target.label, (0.0, ""))[0]
        if until > before:
            self._closed[target.label] = (until, reason)
        if until > before + self.options.announce_wait_s:  # requests in flight together: said once
            self.notice(f"{target.label}: {reason}; its other samples are not sent until then")
        return TargetError(reason, kind="fatal", status=exc.status)

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

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            if isinstance(exc, TargetError):
                self._announce_wait(target, wait, _why(exc))

        try:
            closed_until, closed_reason = self._closed.get(target.label, (0.0, ""))
            if time.time() < closed_until:
                raise TargetError(f"not sent: {closed_reason}", kind="fatal")
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(opts.max_attempts),
                wait=_Wait(opts.backoff_initial_s, opts.backoff_max_s, opts.max_retry_wait_s),
                retry=retry_if_exception(_retryable),
                before_sleep=before_sleep,
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
                        if exc.retryable and exc.retry_after and exc.retry_after > opts.max_retry_wait_s:
                            raise self._refuse_wait(target, exc) from exc
                        if exc.kind in BACKOFF_KINDS:
                            limiter.on_overload(exc.retry_after)
                            if exc.retry_after:
                                self._announce_wait(target, exc.retry_after, _why(exc))
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
