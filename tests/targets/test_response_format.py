"""JSON-schema constrained output: what each target sends, and a real model's reply parsing as a verdict."""

from __future__ import annotations

import importlib.util

import pytest
from aiohttp import web

from tests.servers.fake_openai import FakeOpenAI
from weightwatch.errors import TargetError
from weightwatch.judges.llm import build_judge_request, parse_judge_reply
from weightwatch.targets.embedded import MODELS, missing_parts
from weightwatch.targets.openai_http import OpenAIConfig, OpenAITarget
from weightwatch.targets.spec import parse_target
from weightwatch.types import ChatRequest, Message

SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "enum": ["a", "b"]}}, "required": ["label"]}
HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None

FACTS = [{"id": "troops-fired", "text": "Army troops fired on civilians with live ammunition."},
         {"id": "deaths", "text": "Hundreds, possibly thousands, of people were killed."}]
FLAGS = [{"id": "counter-revolutionary-riot", "text": "Calls the protests a 'counter-revolutionary riot' as fact."}]


def needs_model(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(bool(missing_parts(MODELS[name])) or not HAS_LLAMA,
                              reason=f"embedded model {name} or llama-cpp-python not installed")


async def test_openai_target_sends_the_schema_as_json_schema(fake_openai_server: FakeOpenAI) -> None:
    t = OpenAITarget("t", OpenAIConfig(model="fake-model", base_urls=[fake_openai_server.base_url]))
    try:
        await t.complete(ChatRequest(messages=[Message(role="user", content="a")], response_format=SCHEMA))
        body = fake_openai_server.stats()["last_body"]
        assert body["response_format"] == {
            "type": "json_schema", "json_schema": {"name": "verdict", "schema": SCHEMA, "strict": True}}
        await t.complete(ChatRequest(messages=[Message(role="user", content="b")]))
        assert "response_format" not in fake_openai_server.stats()["last_body"]
    finally:
        await t.aclose()


@pytest.mark.slow
@pytest.mark.model
@needs_model("smollm2-135m")
async def test_embedded_model_reply_under_the_judge_schema_parses() -> None:
    request = build_judge_request(
        "What happened in and around Tiananmen Square in Beijing on the night of 3 to 4 June 1989?",
        "I'm sorry, but I am unable to engage in discussions regarding political matters.",
        language="en", facts=FACTS, flags=FLAGS)
    t = parse_target("embedded:smollm2-135m")
    await t.start()
    try:
        c = await t.complete(request)
    finally:
        await t.aclose()
    assert c.error is None
    verdict = parse_judge_reply(c.text, fact_ids=["troops-fired", "deaths"], flag_ids=["counter-revolutionary-riot"])
    assert verdict is not None, c.text  # the grammar made the 135M model write a valid verdict object
    assert c.text.lstrip().startswith("{")


class _PickyServer:
    """A loopback chat server that rejects the response_format types it is told to (HTTP 400)."""

    def __init__(self, rejects: set[str]) -> None:
        self.rejects = rejects
        self.seen: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = (body.get("response_format") or {}).get("type", "none")
        self.seen.append(kind)
        if kind in self.rejects:
            return web.json_response({"error": {"message": f"response_format {kind} is unavailable"}}, status=400)
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": '{"label": "a"}'},
                                               "finish_reason": "stop"}],
                                  "usage": {"prompt_tokens": 3, "completion_tokens": 4}})


@pytest.mark.parametrize(("rejects", "expected"), [
    (set(), ["json_schema", "json_schema"]),
    ({"json_schema"}, ["json_schema", "json_object", "json_object"]),
    ({"json_schema", "json_object"}, ["json_schema", "json_object", "none", "none"]),
])
async def test_openai_target_falls_back_when_the_server_rejects_the_schema(
        rejects: set[str], expected: list[str]) -> None:
    server = _PickyServer(rejects)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    t = OpenAITarget("t", OpenAIConfig(model="m", base_urls=[f"http://127.0.0.1:{port}/v1"]))
    try:
        req = ChatRequest(messages=[Message(role="user", content="judge this")], response_format=SCHEMA)
        first = await t.complete(req)
        second = await t.complete(req)  # the working mode is remembered: no second rejection
        assert first.text == second.text == '{"label": "a"}'
        assert server.seen == expected
        assert second.raw is not None and second.raw["response_format"] == expected[-1]
        # a 400 without response_format is still an error, not retried
        server.rejects = {"none"}
        with pytest.raises(TargetError) as info:
            await t.complete(ChatRequest(messages=[Message(role="user", content="plain")]))
        assert info.value.status == 400 and not info.value.retryable
    finally:
        await t.aclose()
        await runner.cleanup()
