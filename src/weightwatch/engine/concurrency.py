"""Adaptive concurrency for one target (AIMD, latency-aware).

- Grows while the target is healthy: +1 slot per `limit` successes (additive increase), doubling
  while in slow start, up to `max_limit`.
- Halves on 429/503 (multiplicative decrease) and pauses new requests until any Retry-After has
  passed.
- Shrinks by a quarter when latency climbs: self-hosted servers (vLLM, SGLang, llama.cpp server)
  queue instead of refusing, so a rising latency is the only overload signal they give.

`fixed(n)` turns adaptation off (speed-probe sweeps need exactly n requests in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

START = 8  # requests in flight when a server target starts (grows from there)


class AdaptiveLimiter:
    def __init__(self, max_limit: int, start: int | None = None, adaptive: bool = True,
                 latency_factor: float = 2.0) -> None:
        self.max_limit = max(1, max_limit)
        self.limit = max(1, min(self.max_limit, start if start is not None else min(8, self.max_limit)))
        self.adaptive = adaptive
        self.latency_factor = latency_factor
        self.in_flight = 0
        self._cond = asyncio.Condition()
        self._paused_until = 0.0
        self._successes = 0
        self._slow_start = True
        self._baseline: float | None = None  # lowest smoothed latency per unit seen
        self._ewma: float | None = None
        self._last_decrease = 0.0
        self.decreases = 0  # for tests and progress
        self.peak = self.limit

    @classmethod
    def for_target(cls, max_limit: int, *, in_process: bool = False) -> AdaptiveLimiter:
        """The one start policy: `START` in flight (or the cap, if lower) for a server, adaptive; exactly the
        cap for an in-process model (its batch width: latency per token grows with the batch by design,
        which must not be read as overload)."""
        if in_process:
            return cls(max_limit=max_limit, start=max_limit, adaptive=False)
        return cls(max_limit=max_limit, start=min(START, max_limit))

    def fixed(self, n: int) -> None:
        self.adaptive = False
        self.limit = max(1, n)
        self.max_limit = max(self.max_limit, self.limit)

    async def acquire(self) -> None:
        async with self._cond:
            while True:
                wait = self._paused_until - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._cond.wait(), timeout=wait)
                    continue
                if self.in_flight < self.limit:
                    self.in_flight += 1
                    return
                await self._cond.wait()

    async def release(self) -> None:
        async with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def on_success(self, latency_per_unit: float | None) -> None:
        if not self.adaptive:
            return
        if latency_per_unit is not None and latency_per_unit > 0:
            self._ewma = latency_per_unit if self._ewma is None else 0.8 * self._ewma + 0.2 * latency_per_unit
            if self._baseline is None or self._ewma < self._baseline:
                self._baseline = self._ewma
            if (self._baseline and self._ewma > self.latency_factor * self._baseline
                    and time.monotonic() - self._last_decrease > 1.0 and self.limit > 1):
                self._decrease(0.75)
                return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            new = self.limit * 2 if self._slow_start else self.limit + 1
            self.limit = min(self.max_limit, new)
            self.peak = max(self.peak, self.limit)

    def on_overload(self, retry_after: float | None) -> None:
        """429 / 503: back off, and wait for Retry-After before sending anything new."""
        if retry_after:
            # the runner fails a request whose Retry-After is beyond its cap before calling this
            self._paused_until = max(self._paused_until, time.monotonic() + retry_after)
        if self.adaptive and time.monotonic() - self._last_decrease > 0.2:
            self._decrease(0.5)

    def _decrease(self, factor: float) -> None:
        self.limit = max(1, int(self.limit * factor))
        self._slow_start = False
        self._successes = 0
        self._last_decrease = time.monotonic()
        self.decreases += 1
        # forget the latency history: the server's queue drains at the new level
        self._ewma = None
