"""The OpenAI-compatible target against a real loopback HTTP server (tests/servers/fake_openai.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from email.utils import formatdate
from pathlib import Path

import pytest

from tests.servers.fake_openai import FakeOpenAI, Fault, default_reply
from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.engine.runner import Runner, RunnerOptions
from weightwatch.errors import TargetError, UserError
from weightwatch.targets.openai_http import OpenAIConfig, OpenAITarget
from weightwatch.targets.spec import parse_target
from weightwatch.types import ChatRequest, Message

KEY = "sk-weightwatch-test-0123456789abcdef"


def req(prompt: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="system", content="be brief"), Message(role="user", content=prompt)],
                       **kw)  # type: ignore[arg-type]


def target(url: str | list[str], **kw: object) -> OpenAITarget:
    urls = [url] if isinstance(url, str) else url
    return OpenAITarget("t", OpenAIConfig(model="fake-model", base_urls=urls, **kw))  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_start_fingerprint_and_plain_completion(fake_openai_server: FakeOpenAI) -> None:
    t = target(fake_openai_server.base_url)
    fp = await t.start()
    assert fp.kind == "openai" and fp.name == "fake-model"
    assert fp.server == "fake-openai/1.0"
    assert fp.server_models == ["fake-model"]
    assert fp.base_url == fake_openai_server.base_url
    assert fp.context_length == 4096
    assert fp.weightwatch_version
    assert "warning" not in fp.extra
    c = await t.complete(req("What is 2+2?"))
    assert c.text == default_reply("What is 2+2?")
    assert c.finish_reason == "stop" and c.reasoning is None
    assert c.prompt_tokens == 5 and c.completion_tokens == len(c.text.split())
    assert c.total_s is not None and c.total_s > 0
    assert c.ttft_s is None and c.token_times_s is None
    await t.aclose()
    assert fake_openai_server.stats()["by_prompt"] == {"What is 2+2?": 1}


async def test_unknown_model_is_a_warning_not_a_failure(fake_openai_server: FakeOpenAI) -> None:
    t = OpenAITarget("t", OpenAIConfig(model="other-alias", base_urls=[fake_openai_server.base_url]))
    fp = await t.start()
    assert "other-alias" in fp.extra["warning"]
    await t.aclose()


async def test_request_body_sends_only_what_was_asked(fake_openai_server: FakeOpenAI) -> None:
    t = target(fake_openai_server.base_url)
    await t.complete(req("a", max_tokens=7))
    body = fake_openai_server.stats()["last_body"]
    assert "stop" not in body and "top_p" not in body and "seed" not in body and "stream" not in body
    assert body["max_tokens"] == 7 and body["temperature"] == 0.0 and body["model"] == "fake-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    c = await t.complete(req("b", stop=["fox"], top_p=0.9, seed=3, temperature=0.7))
    body = fake_openai_server.stats()["last_body"]
    assert body["stop"] == ["fox"] and body["top_p"] == 0.9 and body["seed"] == 3 and body["temperature"] == 0.7
    assert "fox" not in c.text
    c = await t.complete(req("c", max_tokens=2))
    assert c.finish_reason == "length" and len(c.text.split()) == 2
    await t.aclose()


async def test_target_default_top_p_is_sent(fake_openai_server: FakeOpenAI) -> None:
    t = target(fake_openai_server.base_url, defaults={"top_p": 0.8, "temperature": 0.6})
    await t.complete(req("a"))
    assert fake_openai_server.stats()["last_body"]["top_p"] == 0.8
    assert t.defaults() == {"top_p": 0.8, "temperature": 0.6}
    await t.aclose()


async def test_streaming_measures_ttft_and_token_times() -> None:
    with FakeOpenAI(latency=0.05, token_delay=0.002) as srv:
        t = target(srv.base_url)
        c = await t.complete(req("stream me", stream=True))
        await t.aclose()
        body = srv.stats()["last_body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    words = default_reply("stream me").split()
    assert c.text == " ".join(words)
    assert c.finish_reason == "stop"
    assert c.completion_tokens == len(words) and c.prompt_tokens == 4  # usage from the last chunk
    assert c.ttft_s is not None and c.total_s is not None
    assert 0.05 <= c.ttft_s <= c.total_s  # the server's fixed latency comes before the first token
    assert c.token_times_s is not None and len(c.token_times_s) == len(words)
    assert c.token_times_s == sorted(c.token_times_s)
    assert c.token_times_s[0] == c.ttft_s


@pytest.mark.parametrize("mode", ["think", "reasoning_content", "reasoning"])
@pytest.mark.parametrize("stream", [False, True])
async def test_reasoning_is_split_from_the_answer(mode: str, stream: bool) -> None:
    with FakeOpenAI(reasoning=mode, reasoning_text="first I think hard") as srv:
        t = target(srv.base_url)
        c = await t.complete(req("why?", stream=stream))
        await t.aclose()
    assert c.text == default_reply("why?")
    assert c.reasoning == "first I think hard"
    assert "<think>" not in c.text and "</think>" not in c.text


# kind -> (retryable, status)
FAULTS = {
    "429": (True, 429),
    "500": (True, 500),
    "503": (True, 503),
    "529": (True, 529),
    "hang": (True, None),
    "drop": (True, None),
    "malformed": (True, None),
    "empty": (True, None),
    "400": (False, 400),
}
# the error kind the target reports (the runner reads only this)
ERROR_KINDS = {"429": "rate_limit", "503": "overloaded", "529": "overloaded", "500": "transient", "hang": "transient",
               "drop": "transient", "malformed": "transient", "empty": "transient", "400": "fatal"}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", sorted(FAULTS))
async def test_each_fault_is_one_attempt_and_the_right_error(kind: str, stream: bool) -> None:
    retryable, status = FAULTS[kind]
    with FakeOpenAI(faults=[Fault(kind, first=1)], retry_after="2") as srv:
        t = target(srv.base_url, timeout_s=0.5)
        with pytest.raises(TargetError) as exc:
            await t.complete(req(f"fault {kind}", stream=stream))
        assert exc.value.retryable is retryable
        assert exc.value.kind == ERROR_KINDS[kind]
        if status is not None and not (kind == "malformed" and not stream):
            assert exc.value.status == status
        if kind == "429":
            assert exc.value.retry_after == 2.0
        if kind == "hang":
            assert "timed out" in str(exc.value)
        # the fault was for the first attempt only: the next one succeeds
        ok = await t.complete(req(f"fault {kind}", stream=stream))
        assert ok.text == default_reply(f"fault {kind}")
        await t.aclose()
        stats = srv.stats()
    assert stats["by_prompt"] == {f"fault {kind}": 2}  # exactly one request per complete() call
    assert stats["faults"] == {kind: 1}


async def test_retry_after_as_http_date() -> None:
    when = formatdate(timeval=__import__("time").time() + 30, usegmt=True)
    with FakeOpenAI(faults=[Fault("429", first=1)], retry_after=when) as srv:
        t = target(srv.base_url)
        with pytest.raises(TargetError) as exc:
            await t.complete(req("x"))
        await t.aclose()
    assert exc.value.retry_after is not None and 20 < exc.value.retry_after <= 30


async def test_probabilistic_faults_are_deterministic() -> None:
    prompts = [f"p{i}" for i in range(40)]

    async def failures() -> list[str]:
        with FakeOpenAI(faults=[Fault("500", p=0.3, seed=7)]) as srv:
            t = target(srv.base_url)
            failed = []
            for p in prompts:
                try:
                    await t.complete(req(p))
                except TargetError:
                    failed.append(p)
            await t.aclose()
            return failed

    first, second = await failures(), await failures()
    assert first == second and 0 < len(first) < len(prompts)


async def test_api_key_is_sent_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_FAKE_KEY", KEY)
    with FakeOpenAI(api_key=KEY) as srv:
        cfg = {"targets": {"secure": {"spec": f"openai:fake-model@{srv.base_url}", "api_key_env": "WW_FAKE_KEY"}}}
        t = parse_target("secure", cfg)
        fp = await t.start()
        c = await t.complete(req("hello"))
        await t.aclose()
    assert c.text == default_reply("hello")
    dumped = fp.model_dump_json() + json.dumps(c.model_dump()) + repr(t) + repr(vars(t))
    assert KEY not in dumped
    assert fp.extra["api_key_env"] == "WW_FAKE_KEY"


async def test_wrong_key_names_the_variable_not_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_FAKE_KEY", KEY + "-wrong")
    with FakeOpenAI(api_key=KEY) as srv:
        cfg = {"targets": {"secure": {"spec": f"openai:fake-model@{srv.base_url}", "api_key_env": "WW_FAKE_KEY"}}}
        t = parse_target("secure", cfg)
        with pytest.raises(UserError) as uexc:
            await t.start()
        line = uexc.value.one_line()
        assert "WW_FAKE_KEY" in line and KEY not in line and "401" in line
        with pytest.raises(TargetError) as texc:
            await t.complete(req("hello"))
        await t.aclose()
    assert texc.value.status == 401 and texc.value.retryable is False and texc.value.kind == "auth"
    assert "WW_FAKE_KEY" in str(texc.value) and KEY not in str(texc.value)


async def test_missing_key_says_how_to_configure_it() -> None:
    with FakeOpenAI(api_key=KEY) as srv:
        t = target(srv.base_url)
        with pytest.raises(UserError) as exc:
            await t.start()
        await t.aclose()
    assert "api_key_env" in exc.value.one_line()


async def test_unreachable_server_is_a_user_error() -> None:
    t = target(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(UserError) as exc:
        await t.start()
    await t.aclose()
    line = exc.value.one_line()
    assert line.startswith("cannot reach http://127.0.0.1:") and "start the server" in line


async def test_base_url_without_v1_names_the_right_one(fake_openai_server: FakeOpenAI) -> None:
    """`openai:M@http://host:PORT` (no /v1) used to start, then fail every request with 404 (exit 0); when
    URL/v1/models answers, start() says which base URL to give."""
    base = fake_openai_server.base_url.removesuffix("/v1")
    t = target(base)
    with pytest.raises(UserError) as exc:
        await t.start()
    await t.aclose()
    assert exc.value.one_line() == (f"{base}/models answered HTTP 404, but {base}/v1/models answers; give the "
                                    f"base URL with /v1: openai:fake-model@{base}/v1")


async def test_connection_refused_during_a_request_is_retryable() -> None:
    t = target(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(TargetError) as exc:
        await t.complete(req("x"))
    await t.aclose()
    assert exc.value.retryable and "cannot connect" in str(exc.value)


async def test_replicas_are_balanced() -> None:
    with FakeOpenAI(latency=0.02) as a, FakeOpenAI(latency=0.02) as b:
        t = target([a.base_url, b.base_url])
        fp = await t.start()
        results = await asyncio.gather(*(t.complete(req(f"q{i}")) for i in range(40)))
        await t.aclose()
        na, nb = a.stats()["requests"], b.stats()["requests"]
    assert all(r.ok for r in results)
    assert na + nb == 40 and na >= 10 and nb >= 10  # least-in-flight keeps both busy
    assert [r["url"] for r in fp.extra["replicas"]] == [a.base_url, b.base_url]
    assert {r.raw["replica"] for r in results if r.raw} == {a.base_url, b.base_url}


async def test_a_dead_replica_is_avoided() -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with FakeOpenAI() as live:
        # dead at start: marked down, every request goes to the live one
        t = target([dead, live.base_url])
        fp = await t.start()
        assert [r["reachable"] for r in fp.extra["replicas"]] == [False, True]
        for i in range(10):
            assert (await t.complete(req(f"a{i}"))).ok
        await t.aclose()
        # dies after start (no start call): at most one request fails, then it is skipped
        t2 = target([dead, live.base_url])
        failures = 0
        for i in range(10):
            try:
                await t2.complete(req(f"b{i}"))
            except TargetError as exc:
                assert exc.retryable
                failures += 1
        await t2.aclose()
        stats = live.stats()
    assert failures <= 1
    assert stats["requests"] == 10 + 10 - failures


async def test_all_replicas_dead_at_start() -> None:
    t = target([f"http://127.0.0.1:{free_port()}/v1", f"http://127.0.0.1:{free_port()}/v1"])
    with pytest.raises(UserError, match="cannot reach"):
        await t.start()
    await t.aclose()


async def test_runner_retries_make_exact_request_counts(tmp_path: Path) -> None:
    """With the lead's runner: 2 injected 500s then success = exactly 3 requests; 401 stops with a UserError."""
    with FakeOpenAI(faults=[Fault("500", first=2, match="flaky"), Fault("429", first=1, match="busy")],
                    retry_after="0") as srv:
        t = target(srv.base_url)
        journal = Journal(tmp_path / "j.sqlite")
        runner = Runner(journal, "r", RunnerOptions(backoff_initial_s=0.001, backoff_max_s=0.005, max_attempts=5))
        limiter = AdaptiveLimiter(max_limit=4)
        c1 = await runner.call(t, req("flaky one"), limiter)
        c2 = await runner.call(t, req("busy one"), limiter)
        c3 = await runner.call(t, req("fine"), limiter)
        await t.aclose()
        stats = srv.stats()
    assert c1.ok and c1.attempts == 3 and c2.ok and c2.attempts == 2 and c3.attempts == 1
    assert stats["by_prompt"] == {"flaky one": 3, "busy one": 2, "fine": 1}


async def test_runner_stops_on_auth_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_FAKE_KEY", "wrong")
    with FakeOpenAI(api_key=KEY) as srv:
        t = OpenAITarget("t", OpenAIConfig(model="fake-model", base_urls=[srv.base_url], api_key_env="WW_FAKE_KEY"))
        runner = Runner(Journal(tmp_path / "j.sqlite"), "r", RunnerOptions(backoff_initial_s=0.001))
        with pytest.raises(UserError) as exc:
            await runner.call(t, req("x"), AdaptiveLimiter(max_limit=2))
        await t.aclose()
        assert srv.stats()["unauthorized"] == 1  # never retried
    assert "WW_FAKE_KEY" in exc.value.one_line()


async def test_fake_server_is_not_the_bottleneck() -> None:
    """32 concurrent requests with 50 ms latency really overlap on the server (aiohttp, not http.server)."""
    with FakeOpenAI(latency=0.05) as srv:
        t = target(srv.base_url, max_concurrency=32)
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem:
                await t.complete(req(f"load {i}"))

        await asyncio.gather(*(one(i) for i in range(256)))
        await t.aclose()
        stats = srv.stats()
    assert stats["requests"] == 256 and len(stats["by_prompt"]) == 256
    assert stats["peak_in_flight"] >= 24


def test_fake_server_as_a_subprocess() -> None:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parents[1] / "servers" / "fake_openai.py"),
                             "--port", "0", "--fault", "503:first=1", "--model", "sub-model"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]

        async def go() -> tuple[str, str | None]:
            t = OpenAITarget("t", OpenAIConfig(model="sub-model", base_urls=[url]))
            fp = await t.start()
            with pytest.raises(TargetError):
                await t.complete(req("sub"))
            c = await t.complete(req("sub"))
            await t.aclose()
            return c.text, fp.server

        text, server = asyncio.run(go())
        assert text == default_reply("sub") and server == "fake-openai/1.0"
    finally:
        proc.kill()
        proc.wait()


async def test_no_models_endpoint_but_chat_answers_starts() -> None:
    """Some servers serve no /models (404): that alone is no error; a one-token chat request answers, so the
    target starts as before."""
    with FakeOpenAI(models_endpoint=False) as srv:
        t = target(srv.base_url)
        fp = await t.start()
        done = await t.complete(req("hello"))
        await t.aclose()
        stats = srv.stats()
    assert fp.extra["models_endpoint"] == 404 and done.ok
    assert stats["requests"] == 2  # the start's one-token check, then the request


@pytest.mark.parametrize("models_endpoint", [True, False])
async def test_models_and_chat_both_404_fail_at_start(models_endpoint: bool) -> None:
    """A wrong base URL (/models 404 and a first chat request 404 too) started, then failed every request
    (one error line and exit 1 after the run). start() now says so, with the base URL to give when the
    server serves the API under its root's /v1 (found through /models or, without it, a chat request)."""
    with FakeOpenAI(models_endpoint=models_endpoint) as srv:
        base = srv.base_url.removesuffix("/v1")
        t = target(base + "/api")
        with pytest.raises(UserError) as exc:
            await t.start()
        await t.aclose()
        assert srv.stats()["requests"] == (0 if models_endpoint else 1)  # /v1 found by its chat answer
    assert exc.value.one_line() == (f"{base}/api/models and {base}/api/chat/completions both answered HTTP 404: no "
                                    f"OpenAI-compatible API at this base URL; give the base URL {base}/v1: "
                                    f"openai:fake-model@{base}/v1")


async def test_models_and_chat_both_404_and_no_api_found_names_the_usual_form() -> None:
    """A web server that is no OpenAI-compatible one (every path 404: another service on that port)."""
    from aiohttp import web

    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        t = target(f"http://127.0.0.1:{port}/v1")
        with pytest.raises(UserError) as exc:
            await t.start()
        await t.aclose()
    finally:
        await runner.cleanup()
    base = f"http://127.0.0.1:{port}/v1"
    assert exc.value.one_line() == (f"{base}/models and {base}/chat/completions both answered HTTP 404: no "
                                    "OpenAI-compatible API at this base URL; give the URL under which the server "
                                    "answers /chat/completions (usually ending in /v1, e.g. "
                                    f"http://127.0.0.1:{port}/v1)")


async def test_chat_404_for_an_unknown_model_says_so() -> None:
    """A server without /models whose chat answers 404 naming the model (Ollama's 'model not found')."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"error": {"message": f"model \"{body['model']}\" not found, try pulling it "
                                                       "first", "type": "api_error"}}, status=404)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        t = target(f"http://127.0.0.1:{port}/v1")
        with pytest.raises(UserError) as exc:
            await t.start()
        await t.aclose()
    finally:
        await runner.cleanup()
    assert exc.value.one_line() == (f"http://127.0.0.1:{port}/v1/chat/completions answered HTTP 404 for model "
                                    "'fake-model' (model \"fake-model\" not found, try pulling it first); check the "
                                    f"model name (openai:MODEL@http://127.0.0.1:{port}/v1); the server lists none "
                                    f"at http://127.0.0.1:{port}/v1/models")
