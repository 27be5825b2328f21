"""OpenAI-compatible servers that answer in shapes the API allows but the common servers do not use: the
answer must arrive whole, never as an empty text that looks like a real answer, nor as a failed sample."""

from __future__ import annotations

from pathlib import Path

import pytest

import weightwatch
from tests.servers.fake_openai import FakeOpenAI, default_reply
from weightwatch.targets.openai_http import OpenAIConfig, OpenAITarget
from weightwatch.types import ChatRequest, Message


def _target(url: str) -> OpenAITarget:
    return OpenAITarget("t", OpenAIConfig(model="fake-model", base_urls=[url]))


def _req(prompt: str, stream: bool) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=prompt)], max_tokens=50, stream=stream)


@pytest.mark.parametrize("stream", [False, True])
async def test_content_as_a_list_of_text_parts(stream: bool) -> None:
    # it used to come back as "" (plain) or "" with no TTFT (stream): scored as an empty answer
    with FakeOpenAI(content_parts=True) as srv:
        t = _target(srv.base_url)
        await t.start()
        c = await t.complete(_req("What is 2+2?", stream))
        await t.aclose()
    assert c.text == default_reply("What is 2+2?")
    assert (c.ttft_s is not None) is stream


async def test_a_server_that_ignores_stream_answers_whole() -> None:
    # it used to fail every streamed request: "the stream ... ended early (no finish_reason, no [DONE])"
    with FakeOpenAI(ignore_stream=True) as srv:
        t = _target(srv.base_url)
        await t.start()
        c = await t.complete(_req("Name a colour.", True))
        await t.aclose()
    assert c.error is None and c.text == default_reply("Name a colour.")
    assert c.ttft_s is None and c.finish_reason == "stop"  # no token times: the speed probe reports them missing
    assert (c.raw or {}).get("stream_ignored") is True


async def test_an_odd_finish_reason_is_kept_as_text() -> None:
    # it used to fail the sample with a multi-line pydantic ValidationError
    with FakeOpenAI(finish_reason={"type": "stop", "stop": None}) as srv:
        t = _target(srv.base_url)
        await t.start()
        c = await t.complete(_req("Hi", False))
        await t.aclose()
    assert c.text == default_reply("Hi") and c.finish_reason is not None and "stop" in c.finish_reason


def test_content_text_shapes() -> None:
    from weightwatch.targets.openai_http import content_text

    assert content_text("a") == "a"
    assert content_text(None) == ""
    assert content_text([{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}, "b"]) == "ab"
    assert content_text({"text": "x"}) == ""


def test_speed_run_on_a_server_that_ignores_stream(tmp_path: Path) -> None:
    """Through the API: every speed sample is answered (none lost), the timing metrics are simply missing."""
    with FakeOpenAI(ignore_stream=True) as srv:
        out = weightwatch.run(["speed"], [f"openai:fake-model@{srv.base_url}"], journal_file=tmp_path / "j.sqlite",
                              options={"speed_sweep": "off"})
    assert out.stats[0].errors == 0 and out.stats[0].done == out.stats[0].planned > 0


def test_speed_run_on_a_server_without_usage_says_why_tokens_per_s_is_missing(tmp_path: Path) -> None:
    with FakeOpenAI(usage=False) as srv:
        out = weightwatch.run(["speed"], [f"openai:fake-model@{srv.base_url}"], journal_file=tmp_path / "j.sqlite",
                              options={"speed_sweep": "off"})
    names = {m.name for m in out.summary.metrics("speed")}
    assert "ttft_s_p50" in names and "output_tokens_per_s" not in names
    notes = [w for r in out.summary.results for w in r.warnings if "no output token counts" in w]
    assert len(notes) == 1, out.summary.warnings


@pytest.mark.parametrize("stream", [False, True])
async def test_a_runaway_answer_is_one_failed_sample(stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that ignores max_tokens and sends megabytes: the answer was read whole into memory (a few such
    answers at concurrency 64 could kill the run); now it stops at MAX_ANSWER_BYTES with a fatal error."""
    import weightwatch.targets.openai_http as oh
    from weightwatch.errors import TargetError

    monkeypatch.setattr(oh, "MAX_ANSWER_BYTES", 20_000)
    with FakeOpenAI(reply=lambda prompt: "word " * 10_000) as srv:
        t = _target(srv.base_url)
        await t.start()
        with pytest.raises(TargetError) as info:
            await t.complete(ChatRequest(messages=[Message(role="user", content="go on")], max_tokens=100_000,
                                         stream=stream))
        small = await t.complete(ChatRequest(messages=[Message(role="user", content="go on")], max_tokens=10,
                                             stream=stream))
        await t.aclose()
    assert info.value.kind == "fatal" and "max_tokens" in str(info.value)
    assert small.text.split() == ["word"] * 10
