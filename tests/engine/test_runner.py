from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.engine.scripted import ScriptedTarget
from weightwatch.api import run
from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.engine.runner import Runner, RunnerOptions
from weightwatch.errors import TargetError, UserError
from weightwatch.types import ChatRequest, Message, PlannedRequest, SampleKey

FAST = RunnerOptions(backoff_initial_s=0.001, backoff_max_s=0.005, max_attempts=4, timeout_s=5)


def _work(n: int, phase: str = "", concurrency: int | None = None) -> list[tuple[SampleKey, PlannedRequest]]:
    out = []
    for i in range(n):
        req = ChatRequest(messages=[Message(role="user", content=f"q{i}")])
        out.append((SampleKey(target_id="t", probe="p", item_id=f"i{i}", variant="", sample_index=0,
                              params_hash="h"),
                    PlannedRequest(item_id=f"i{i}", request=req, phase=phase, concurrency=concurrency)))
    return out


def test_sanity_probe_end_to_end_and_resume(tmp_path: Path) -> None:
    target = ScriptedTarget()
    jf = tmp_path / "j.sqlite"
    first = run(["sanity"], [target], journal_file=jf, config={})
    metric = next(m for m in first.summary.metrics("sanity") if m.name == "accuracy")
    # the scripted answer contains 12, Paris, Tokyo and 27: the four quick items are all correct
    assert metric.value == 1.0 and metric.n == 4
    assert metric.ci_low is not None and metric.ci_low < 1.0
    assert sum(target.calls.values()) == 4
    again = run(["sanity"], [target], journal_file=jf, config={})
    assert sum(target.calls.values()) == 4  # nothing asked twice
    assert again.reused_samples == 4
    assert again.run_id != first.run_id  # a finished run is not reopened; its samples are reused
    fresh = run(["sanity"], [target], journal_file=jf, config={}, fresh=True)
    assert sum(target.calls.values()) == 8
    assert fresh.summary.targets[0].samples == 4


def test_retryable_errors_are_retried_then_succeed(tmp_path: Path) -> None:
    target = ScriptedTarget(faults={"q0": [TargetError("503", kind="overloaded", status=503),
                                           TargetError("reset", kind="transient")]})
    j = Journal(tmp_path / "j.sqlite")
    j.start_run("r", "", {})
    stats = asyncio.run(Runner(j, "r", FAST).run_target(target, _work(3)))
    assert stats.done == 3 and stats.errors == 0 and stats.retries == 2
    assert target.calls["q0"] == 3
    row = j.db.execute("SELECT completion_json FROM samples WHERE item_id = 'i0'").fetchone()
    assert '"attempts":3' in row[0]


def test_a_failing_sample_is_recorded_and_others_survive(tmp_path: Path) -> None:
    errs = [TargetError("boom 500", kind="transient", status=500) for _ in range(10)]
    target = ScriptedTarget(faults={"q1": errs, "q2": [TargetError("bad request", kind="fatal", status=400)]})
    j = Journal(tmp_path / "j.sqlite")
    j.start_run("r", "", {})
    stats = asyncio.run(Runner(j, "r", FAST).run_target(target, _work(5)))
    assert stats.done == 3 and stats.errors == 2
    assert target.calls["q1"] == FAST.max_attempts  # retried to the limit
    assert target.calls["q2"] == 1  # not retryable
    rows = dict(j.db.execute("SELECT item_id, error FROM samples").fetchall())
    assert len(rows) == 5
    assert rows["i1"] == "boom 500" and rows["i2"] == "bad request" and rows["i0"] is None
    # only the error-free samples count as finished: a re-run retries the failed ones
    assert len(j.finished_digests(k.digest() for k, _ in _work(5))) == 3


def test_authentication_failure_stops_with_a_user_error(tmp_path: Path) -> None:
    target = ScriptedTarget(faults={f"q{i}": [TargetError("401 unauthorized", kind="auth", status=401)]
                                    for i in range(20)})
    j = Journal(tmp_path / "j.sqlite")
    j.start_run("r", "", {})
    with pytest.raises(UserError):
        asyncio.run(Runner(j, "r", FAST).run_target(target, _work(20)))
    assert sum(target.calls.values()) < 20  # it stopped early instead of hammering the server


def test_fixed_phase_concurrency_is_exact(tmp_path: Path) -> None:
    target = ScriptedTarget(delay=0.02, max_concurrency=64)
    j = Journal(tmp_path / "j.sqlite")
    j.start_run("r", "", {})
    asyncio.run(Runner(j, "r", FAST).run_target(target, _work(24, phase="sweep-c4", concurrency=4)))
    assert target.peak_in_flight == 4


def test_user_cap_limits_concurrency(tmp_path: Path) -> None:
    target = ScriptedTarget(delay=0.01, max_concurrency=64)
    j = Journal(tmp_path / "j.sqlite")
    j.start_run("r", "", {})
    asyncio.run(Runner(j, "r", RunnerOptions(max_concurrency=3)).run_target(target, _work(30)))
    assert target.peak_in_flight <= 3


def test_limiter_backs_off_on_overload_and_grows_when_healthy() -> None:
    lim = AdaptiveLimiter(max_limit=32, start=8)
    for _ in range(8):
        lim.on_success(0.05)
    assert lim.limit == 16  # slow start doubles after a full window of successes
    lim.on_overload(None)
    assert lim.limit == 8 and lim.decreases == 1
    for _ in range(8):
        lim.on_success(0.05)
    assert lim.limit == 9  # additive increase after the first decrease


def test_limiter_shrinks_when_latency_climbs() -> None:
    lim = AdaptiveLimiter(max_limit=32, start=16)
    for _ in range(5):
        lim.on_success(0.05)
    before = lim.limit
    for _ in range(10):
        lim.on_success(0.5)  # a queueing server: ten times slower
    assert lim.limit < before


def test_retry_after_pauses_new_requests() -> None:
    async def scenario() -> float:
        import time

        lim = AdaptiveLimiter(max_limit=4, start=4)
        lim.on_overload(0.2)
        t0 = time.monotonic()
        await lim.acquire()
        await lim.release()
        return time.monotonic() - t0

    assert asyncio.run(scenario()) >= 0.15


@pytest.mark.parametrize("kind", ["rate_limit", "overloaded"])
def test_backoff_kinds_shrink_concurrency_whatever_the_transport(tmp_path: Path, kind: str) -> None:
    """The runner reads only the error kind: an overload without any HTTP status (e.g. a backend whose
    server says 529, or a non-HTTP backend) halves the limit and is retried."""
    target = ScriptedTarget(faults={"q0": [TargetError("busy", kind=kind, retry_after=0.01)]})  # type: ignore[arg-type]
    j = Journal(tmp_path / "j.sqlite")
    limiter = AdaptiveLimiter(max_limit=16, start=8)
    req = _work(1)[0][1].request
    completion = asyncio.run(Runner(j, "r", FAST).call(target, req, limiter))
    assert completion.ok and completion.attempts == 2
    assert limiter.decreases == 1 and limiter.limit == 4


def test_transient_errors_do_not_shrink_concurrency(tmp_path: Path) -> None:
    target = ScriptedTarget(faults={"q0": [TargetError("reset", kind="transient", status=503)]})
    j = Journal(tmp_path / "j.sqlite")
    limiter = AdaptiveLimiter(max_limit=16, start=8)
    completion = asyncio.run(Runner(j, "r", FAST).call(target, _work(1)[0][1].request, limiter))
    assert completion.ok and limiter.decreases == 0  # a status alone means nothing to the runner
