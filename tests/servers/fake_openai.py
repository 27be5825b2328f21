"""A real OpenAI-compatible HTTP server on 127.0.0.1, for tests and the harness-overhead benchmark.

In-process (a background thread with its own event loop):

    with FakeOpenAI(latency=0.05, faults=[Fault("429", first=1)]) as srv:
        srv.base_url          # "http://127.0.0.1:PORT/v1"
        srv.stats()           # same JSON as GET /_stats

As a subprocess (e.g. to SIGKILL a run mid-way):

    python tests/servers/fake_openai.py --port 0 --latency 0.05 --fault 500:first=2 --api-key KEY
    # prints "READY http://127.0.0.1:PORT/v1" on stdout once it listens

Endpoints: GET /v1/models, POST /v1/chat/completions (JSON, or SSE with "stream": true and usage in
the last chunk when stream_options.include_usage), GET /_stats (request counts per last user
message, faults served, peak concurrency, the last request body), POST /_reset.

The reply is deterministic: "echo <12 hex of sha256(last user message)> ..." (or your `reply`
function), cut at `max_tokens` words (finish_reason "length") and at any requested stop string.
Reasoning: `reasoning="think"` puts "<think>...</think>" before the answer in the content;
"reasoning_content" / "reasoning" put it in that separate field.

Faults are deterministic. `Fault(kind, first=N)` fails attempts 1..N of every distinct prompt (or only
prompts containing `match`); `Fault(kind, p=0.1, seed=S)` fails an attempt when a hash of
(seed, prompt, attempt number, kind) falls below p, so the same attempts fail in every run whatever
the order of arrival. Kinds: 429 (with Retry-After), 500, 503, 529 (Anthropic's overloaded),
hang (longer than any client timeout),
drop (connection closed; mid-stream when streaming), malformed (invalid JSON body), empty
(`choices: []`), 400, 401.

Odd servers: `content_parts=True` sends content as a list of text parts (message and stream deltas);
`ignore_stream=True` answers whole JSON when a stream was asked; `finish_reason=X` sends X as the
finish_reason of whole answers; `usage=False` leaves out token counts; `models_endpoint=False` serves no
GET /v1/models (404), as some servers do.

Log-probabilities: a request with "logprobs": true gets `choices[0].logprobs.content[0]` for the reply's
first word (see `_fake_logprobs`), the OpenAI shape.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FAULT_KINDS = ("429", "500", "503", "529", "hang", "drop", "malformed", "empty", "400", "401")


@dataclass(frozen=True)
class Fault:
    kind: str
    first: int = 0  # fail the first N attempts of each distinct prompt
    p: float = 0.0  # or fail with this probability (deterministic hash)
    seed: int = 0
    match: str | None = None  # only prompts containing this text

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")

    def hits(self, prompt: str, attempt: int) -> bool:
        if self.match is not None and self.match not in prompt:
            return False
        if self.first and attempt <= self.first:
            return True
        if self.p > 0:
            h = hashlib.sha256(f"{self.seed}|{prompt}|{attempt}|{self.kind}".encode()).digest()
            return int.from_bytes(h[:8], "big") / 2**64 < self.p
        return False

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`KIND[:first=N][:p=0.1][:seed=S][:match=TEXT]`"""
        kind, *opts = text.split(":")
        kw: dict[str, Any] = {}
        for opt in opts:
            k, _, v = opt.partition("=")
            if k == "first":
                kw["first"] = int(v)
            elif k == "p":
                kw["p"] = float(v)
            elif k == "seed":
                kw["seed"] = int(v)
            elif k == "match":
                kw["match"] = v
            else:
                raise ValueError(f"unknown fault option {k!r} in {text!r}")
        return cls(kind, **kw)


def default_reply(prompt: str) -> str:
    digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:12]
    return f"echo {digest} the quick brown fox jumps over the lazy dog"


def _tokens(text: str) -> list[str]:
    """Words with their leading white space: "".join(_tokens(t)) == t.rstrip() for any text."""
    return re.findall(r"\s*\S+", text)


def _fake_logprobs(first: str, top: int) -> dict[str, Any]:
    """Log-probabilities for the reply's first word: itself at ln 0.8, then "yes" / "no" (whichever it is
    not) sharing 0.2, so a claim check reads P(yes) = 0.8 from a "yes" reply and 0.2 from a "no" reply."""
    others = [w for w in ("yes", "no") if w != first.lower()]
    entries = [{"token": first, "logprob": math.log(0.8)}]
    entries += [{"token": w, "logprob": math.log(0.2 / len(others))} for w in others]
    return {"token": first, "logprob": math.log(0.8), "top_logprobs": entries[:top] if top else []}


@dataclass
class _State:
    by_prompt: Counter[str] = field(default_factory=Counter)
    by_request: Counter[str] = field(default_factory=Counter)  # prompt + seed + temperature: one sample
    completed: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    models_requests: int = 0
    unauthorized: int = 0  # chat requests refused for a missing / wrong key
    in_flight: int = 0
    peak_in_flight: int = 0
    last_body: dict[str, Any] | None = None
    last_auth: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "models_requests": self.models_requests,
            "unauthorized": self.unauthorized,
            "by_prompt": dict(self.by_prompt),
            "by_request": dict(self.by_request),
            "completed": dict(self.completed),
            "faults": dict(self.faults),
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "last_body": self.last_body,
        }


class FakeOpenAI:
    def __init__(self, *, port: int = 0, latency: float = 0.0, token_delay: float = 0.0,
                 models: list[str] | None = None, api_key: str | None = None,
                 server_header: str = "fake-openai/1.0", reasoning: str | None = None,
                 reasoning_text: str = "Let me think about this step by step.",
                 reply: Callable[[str], str] | None = None, faults: list[Fault] | None = None,
                 retry_after: str = "1", hang_s: float = 3600.0, content_parts: bool = False,
                 ignore_stream: bool = False, finish_reason: Any = None, usage: bool = True,
                 models_endpoint: bool = True) -> None:
        if reasoning not in (None, "think", "reasoning_content", "reasoning"):
            raise ValueError("reasoning must be None, 'think', 'reasoning_content' or 'reasoning'")
        self.port = port
        self.latency = latency
        self.token_delay = token_delay
        self.models = models or ["fake-model"]
        self.api_key = api_key
        self.server_header = server_header
        self.reasoning = reasoning
        self.reasoning_text = reasoning_text
        self.reply = reply or default_reply
        self.faults = list(faults or [])
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.content_parts = content_parts  # content as [{"type": "text", "text": ...}] (message and deltas)
        self.ignore_stream = ignore_stream  # answer whole JSON even when "stream": true was asked
        self.finish_reason = finish_reason  # sent instead of "stop"/"length" when set (e.g. an object)
        self.usage = usage  # False: no "usage" in any answer (whole or streamed)
        self.models_endpoint = models_endpoint  # False: GET /v1/models is not served (404), as on some servers
        self.state = _State()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- public ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.state.as_json()))

    def reset(self) -> None:
        with self._lock:
            self.state = _State()

    def __enter__(self) -> FakeOpenAI:
        self.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self._thread_main, name="fake-openai", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"fake server failed to start: {self._error}")

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None:
            fut = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
            with contextlib.suppress(Exception):
                fut.result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._thread = None

    # -- server ----------------------------------------------------------------------------------
    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def app(self) -> web.Application:
        app = web.Application()
        if self.models_endpoint:
            app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/_stats", self._stats)
        app.router.add_post("/_reset", self._reset)
        return app

    async def serve(self) -> None:
        """Start listening on the running loop (returns once the socket is bound)."""
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=1024)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _headers(self) -> dict[str, str]:
        return {"Server": self.server_header}

    def _authorized(self, request: web.Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    def _unauthorized(self) -> web.Response:
        return web.json_response({"error": {"message": "invalid API key", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}}, status=401, headers=self._headers())

    async def _models(self, request: web.Request) -> web.Response:
        with self._lock:
            self.state.models_requests += 1
        if not self._authorized(request):
            return self._unauthorized()
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake", "max_model_len": 4096}
                for m in self.models]
        return web.json_response({"object": "list", "data": data}, headers=self._headers())

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    def _fault_for(self, prompt: str, attempt: int) -> str | None:
        for f in self.faults:
            if f.hits(prompt, attempt):
                return f.kind
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            with self._lock:
                self.state.unauthorized += 1
            return self._unauthorized()
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": {"message": "body is not JSON"}}, status=400, headers=self._headers())
        messages = body.get("messages") or []
        users = [m.get("content", "") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        prompt = str(users[-1]) if users else ""
        with self._lock:
            st = self.state
            st.requests += 1
            st.by_prompt[prompt] += 1
            st.by_request[f"{prompt}|seed={body.get('seed')}|t={body.get('temperature')}"] += 1
            attempt = st.by_prompt[prompt]
            st.in_flight += 1
            st.peak_in_flight = max(st.peak_in_flight, st.in_flight)
            st.last_body = body
        try:
            return await self._answer(request, body, messages, prompt, attempt)
        finally:
            with self._lock:
                self.state.in_flight -= 1

    async def _answer(self, request: web.Request, body: dict[str, Any], messages: list[Any], prompt: str,
                      attempt: int) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._fault_for(prompt, attempt)
        stream = bool(body.get("stream")) and not self.ignore_stream
        if fault is not None:
            with self._lock:
                self.state.faults[fault] += 1
            early = await self._early_fault(request, fault, stream)
            if early is not None:
                return early

        # a "token" is a word with the white space before it, so code keeps its newlines and indentation
        words = _tokens(self.reply(prompt))
        max_tokens = int(body.get("max_tokens") or 10**9)
        finish = "stop"
        if len(words) > max_tokens:
            words, finish = words[:max_tokens], "length"
        text = "".join(words)
        stops = body.get("stop") or []
        if isinstance(stops, str):
            stops = [stops]
        for s in stops:
            if s and s in text:
                text, finish = text[: text.index(s)], "stop"
                words = _tokens(text)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
        reasoning_words = self.reasoning_text.split() if self.reasoning else []
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words) + len(reasoning_words),
                 "total_tokens": prompt_tokens + len(words) + len(reasoning_words)}
        model = body.get("model", self.models[0])

        if stream:
            return await self._stream(request, body, model, words, reasoning_words, finish, usage, fault)

        message: dict[str, Any] = {"role": "assistant", "content": text}
        if self.reasoning == "think":
            message["content"] = f"<think>\n{self.reasoning_text}\n</think>\n\n{text}"
        elif self.reasoning in ("reasoning_content", "reasoning"):
            message[self.reasoning] = self.reasoning_text
        if self.content_parts:
            message["content"] = [{"type": "text", "text": message["content"]}]
        if self.finish_reason is not None:
            finish = self.finish_reason
        choices: list[Any] = [{"index": 0, "message": message, "finish_reason": finish}]
        if body.get("logprobs") and words:
            choices[0]["logprobs"] = {"content": [_fake_logprobs(words[0].strip(), int(body.get("top_logprobs") or 0))]}
        if fault == "empty":
            choices = []
        if fault == "malformed":
            return web.Response(text='{"id": "x", "choices": [{"index": 0, "message": ', status=200,
                                content_type="application/json", headers=self._headers())
        if fault == "drop":
            await self._drop(request)
        payload = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                   "model": model, "choices": choices, "usage": usage, "system_fingerprint": "fp_fake"}
        if not self.usage:
            del payload["usage"]
        with self._lock:
            self.state.completed[prompt] += 1
        return web.json_response(payload, headers=self._headers())

    async def _early_fault(self, request: web.Request, fault: str, stream: bool) -> web.StreamResponse | None:
        h = self._headers()
        if fault == "429":
            return web.json_response({"error": {"message": "rate limited", "type": "rate_limit"}}, status=429,
                                     headers={**h, "Retry-After": self.retry_after})
        if fault in ("500", "503", "529", "400"):
            return web.json_response({"error": {"message": f"injected {fault}"}}, status=int(fault), headers=h)
        if fault == "401":
            return self._unauthorized()
        if fault == "hang":
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.hang_s)
            return web.json_response({"error": {"message": "hung"}}, status=500, headers=h)
        if fault == "drop" and not stream:
            await self._drop(request)
        return None  # malformed / empty / drop-mid-stream are applied while answering

    async def _drop(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError  # nothing more to send on this connection

    async def _stream(self, request: web.Request, body: dict[str, Any], model: str, words: list[str],
                      reasoning_words: list[str], finish: str, usage: dict[str, Any],
                      fault: str | None) -> web.StreamResponse:
        resp = web.StreamResponse(status=200, headers={**self._headers(), "Content-Type": "text/event-stream",
                                                       "Cache-Control": "no-cache"})
        await resp.prepare(request)
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model}

        async def send(delta: dict[str, Any], finish_reason: str | None = None) -> None:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        pieces: list[tuple[str, str]] = []
        if self.reasoning == "think":
            pieces.append(("content", "<think>\n"))
            pieces += [("content", w + " ") for w in reasoning_words]
            pieces.append(("content", "\n</think>\n\n"))
        elif self.reasoning in ("reasoning_content", "reasoning"):
            pieces += [(self.reasoning, w + " ") for w in reasoning_words]
        pieces += [("content", w) for w in words]
        if fault == "empty":
            pieces = []
        for i, (key, piece) in enumerate(pieces):
            if fault == "drop" and i == len(pieces) // 2:
                await self._drop(request)
            if fault == "malformed" and i == len(pieces) // 2:
                await resp.write(b'data: {"id": "x", "choices": [\n\n')
            await send({key: [{"type": "text", "text": piece}] if self.content_parts and key == "content" else piece})
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
        if fault == "empty":
            await resp.write(f"data: {json.dumps({**base, 'choices': []})}\n\n".encode())
        else:
            await send({}, finish)
        if (body.get("stream_options") or {}).get("include_usage") and self.usage:
            await resp.write(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        if fault != "empty":
            with self._lock:
                self.state.completed[str(self._last_user(body))] += 1
        return resp

    @staticmethod
    def _last_user(body: dict[str, Any]) -> str:
        users = [m.get("content", "") for m in body.get("messages") or []
                 if isinstance(m, dict) and m.get("role") == "user"]
        return str(users[-1]) if users else ""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="OpenAI-compatible fake server for weightwatch tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--token-delay", type=float, default=0.0)
    ap.add_argument("--model", action="append", dest="models")
    ap.add_argument("--api-key")
    ap.add_argument("--server-header", default="fake-openai/1.0")
    ap.add_argument("--reasoning", choices=["think", "reasoning_content", "reasoning"])
    ap.add_argument("--fault", action="append", default=[], help="KIND[:first=N][:p=P][:seed=S][:match=TEXT]")
    ap.add_argument("--retry-after", default="1")
    args = ap.parse_args(argv)
    srv = FakeOpenAI(port=args.port, latency=args.latency, token_delay=args.token_delay, models=args.models,
                     api_key=args.api_key, server_header=args.server_header, reasoning=args.reasoning,
                     faults=[Fault.parse(f) for f in args.fault], retry_after=args.retry_after)

    async def run() -> None:
        await srv.serve()
        print(f"READY {srv.base_url}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
