"""Long Retry-After waits are announced, and a wait beyond WEIGHTWATCH_MAX_RETRY_WAIT is not waited for: the
sample fails with the reason (engine/runner.py). Against the real loopback OpenAI server with injected 429s."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.servers.fake_openai import FakeOpenAI, Fault
from tests.test_cli_errors import ww
from weightwatch.api import run
from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.engine.runner import DEFAULT_MAX_RETRY_WAIT_S, Runner, RunnerOptions
from weightwatch.targets.spec import parse_target
from weightwatch.types import ChatRequest, Completion, Message


def ask(srv: FakeOpenAI, prompts: list[str], options: RunnerOptions, tmp_path: Path,
        ) -> tuple[list[Completion], list[str]]:
    notices: list[str] = []

    async def main() -> list[Completion]:
        target = parse_target(f"openai:fake-model@{srv.base_url}", {})
        await target.start()
        journal = Journal(tmp_path / "j.sqlite")
        try:
            runner = Runner(journal, "r", options, notice=notices.append)
            limiter = AdaptiveLimiter.for_target(target.max_concurrency)
            out = []
            for p in prompts:  # one after the other: the order of what the server sees is fixed
                out.append(await runner.call(target, ChatRequest(messages=[Message(role="user", content=p)]),
                                             limiter))
            return out
        finally:
            await target.aclose()
            journal.close()

    return asyncio.run(main()), notices


def test_a_wait_beyond_the_cap_fails_the_sample_with_the_reason(tmp_path: Path) -> None:
    assert RunnerOptions().max_retry_wait_s == DEFAULT_MAX_RETRY_WAIT_S == 300
    with FakeOpenAI(faults=[Fault("429", first=1, match="first")], retry_after="600") as srv:
        t0 = time.monotonic()
        (first, second), notices = ask(srv, ["first question", "second question"], RunnerOptions(), tmp_path)
        elapsed = time.monotonic() - t0
        asked = srv.stats()["by_prompt"]
    assert first.error is not None and first.attempts == 1
    assert "HTTP 429: server asked to wait 600 s before retrying" in first.error
    assert "more than the 300 s weightwatch waits (WEIGHTWATCH_MAX_RETRY_WAIT)" in first.error
    assert "run the same command again later" in first.error
    # nothing more is sent to that server until the asked time has passed
    assert second.error is not None and second.error.startswith("not sent: HTTP 429: server asked to wait 600 s")
    assert asked == {"first question": 1}
    assert len(notices) == 1 and "its other samples are not sent until then" in notices[0]
    assert elapsed < 300  # it did not wait 300 s (the old silent cap) before giving up


def test_the_cap_is_set_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_MAX_RETRY_WAIT", "1.5")
    assert RunnerOptions().max_retry_wait_s == 1.5
    with FakeOpenAI(faults=[Fault("429", first=1)], retry_after="2") as srv:
        [c], _ = ask(srv, ["q"], RunnerOptions(), tmp_path)
    assert c.error is not None and "wait 2 s" in c.error and "more than the 1.5 s" in c.error


def test_a_long_wait_is_announced_then_retried(tmp_path: Path) -> None:
    """The threshold (10 s by default) is lowered so the test waits 2 s, not 11."""
    assert RunnerOptions().announce_wait_s == 10
    with FakeOpenAI(faults=[Fault("429", first=1)], retry_after="2") as srv:
        [c], notices = ask(srv, ["q"], RunnerOptions(announce_wait_s=1.0), tmp_path)
        asked = srv.stats()["by_prompt"]
    assert c.error is None and c.attempts == 2 and asked == {"q": 2}
    assert len(notices) == 1, notices  # the limiter's pause and the retry's sleep are one wait: said once
    assert "server asked to wait 2 s (HTTP 429); waiting until" in notices[0]
    assert "Ctrl-C to stop; the same command resumes the run" in notices[0]
    # a short wait says nothing
    with FakeOpenAI(faults=[Fault("429", first=1)], retry_after="0") as srv:
        [c], notices = ask(srv, ["q"], RunnerOptions(announce_wait_s=1.0), tmp_path)
    assert c.error is None and notices == []


def test_run_through_the_api_and_the_cli(tmp_path: Path) -> None:
    with FakeOpenAI(faults=[Fault("429", first=1)], retry_after="600", reply=lambda p: "12 Paris Tokyo 27") as srv:
        spec = f"openai:fake-model@{srv.base_url}"
        out = run(["sanity"], [spec], journal_file=tmp_path / "j.sqlite", config={})
        t = out.summary.targets[0]
        assert t.errors == t.samples > 0  # none waited for, none lost: journaled with the reason
        assert set(srv.stats()["by_prompt"].values()) == {1}  # the requests in flight together; no retry
        [w] = [w for w in out.summary.warnings if "failed after retries" in w]
        assert "HTTP 429" in w
        srv.reset()  # the CLI's requests get the 429 again
        (tmp_path / "home").mkdir()
        proc = ww("run", "sanity", "-t", spec, home=tmp_path / "home")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert "server asked to wait 600 s" in proc.stderr and "WEIGHTWATCH_MAX_RETRY_WAIT" in proc.stderr
    assert proc.stderr.count("its other samples are not sent until then") == 1
