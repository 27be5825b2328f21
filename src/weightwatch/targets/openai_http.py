"""Any OpenAI-compatible chat-completions server: vLLM, SGLang, Ollama, llama.cpp server, LM Studio,
and hosted APIs (DeepSeek, Qwen, Moonshot ...).

Transport: aiohttp (see `_session_or_new` for why not httpx). One `complete()` call is ONE attempt:
the runner retries (tenacity) and adapts concurrency. Failures become `TargetError`s saying whether
a retry may help (429, 5xx, timeouts, connection errors, a stream cut mid-way, malformed JSON, empty
`choices`) or not (400, 404, 401/403).

The API key is read from the environment variable named in the config; it is never part of the
fingerprint, an error message, a log line or `repr()`. `user:pass@` in a URL is used for the request
but removed from everything shown or stored.

Several base URLs (replicas of one deployment) are balanced: each request goes to the reachable
replica with the fewest requests in flight; a replica that refuses connections is skipped for a
cool-down.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from weightwatch import __version__
from weightwatch.errors import TargetError, UserError
from weightwatch.targets.http import (
    ERR_SNIPPET,
    Secret,
    error_detail,
    kind_for_status,
    parse_retry_after,
    redact_url,
    status_error,
)
from weightwatch.targets.reasoning import reasoning_field, split_reasoning
from weightwatch.types import ChatRequest, Completion, Fingerprint

DEFAULT_MAX_CONCURRENCY = 64
DEFAULT_TIMEOUT_S = 600.0
REPLICA_COOLDOWN_S = 10.0
SHARD_CONNECTIONS = 8
MAX_ANSWER_BYTES = 64 * 2**20  # one answer's body (or streamed text): a runaway server must not eat the memory


@dataclass
class _Replica:
    url: str  # as given (may carry user:pass@) - used for requests only
    shown: str  # redacted, for fingerprints and messages
    in_flight: int = 0
    down_until: float = 0.0
    requests: int = 0
    failures: int = 0


@dataclass
class OpenAIConfig:
    model: str
    base_urls: list[str]
    api_key_env: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    defaults: dict[str, Any] = field(default_factory=dict)  # temperature, top_p, max_tokens
    price: dict[str, float] = field(default_factory=dict)
    replica_cooldown_s: float = REPLICA_COOLDOWN_S


class OpenAITarget:
    kind = "openai"
    in_process = False

    def __init__(self, label: str, cfg: OpenAIConfig) -> None:
        if not cfg.base_urls:
            raise UserError("an openai target needs a base URL", "e.g. openai:qwen3-8b@http://localhost:8000/v1")
        self.label = label
        self.model = cfg.model
        self.max_concurrency = max(1, int(cfg.max_concurrency))
        self.price = dict(cfg.price)
        self._defaults = dict(cfg.defaults)
        self._timeout_s = float(cfg.timeout_s)
        self._cooldown_s = float(cfg.replica_cooldown_s)
        self._format_mode = "json_schema"  # -> json_object -> none when the server rejects it (HTTP 400)
        self._replicas = [_Replica(url=u.rstrip("/"), shown=redact_url(u.rstrip("/"))) for u in cfg.base_urls]
        self._rr = 0
        self.api_key_env = cfg.api_key_env
        self._key: Secret | None = None
        if cfg.api_key_env:
            value = os.environ.get(cfg.api_key_env)
            if not value:
                raise UserError(f"the API key variable {cfg.api_key_env} for target '{label}' is not set",
                                f"export {cfg.api_key_env}=... before running")
            self._key = Secret(value)
        elif os.environ.get("OPENAI_API_KEY"):
            self.api_key_env = "OPENAI_API_KEY"
            self._key = Secret(os.environ["OPENAI_API_KEY"])
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None
        self._fingerprint: Fingerprint | None = None

    def __repr__(self) -> str:
        urls = ", ".join(r.shown for r in self._replicas)
        return f"OpenAITarget(label={self.label!r}, model={self.model!r}, base_urls=[{urls}])"

    # -- helpers -------------------------------------------------------------------------------
    def defaults(self) -> dict[str, object]:
        return dict(self._defaults)

    @property
    def replicas(self) -> list[str]:
        return [r.shown for r in self._replicas]

    def replica_stats(self) -> dict[str, int]:
        return {r.shown: r.requests for r in self._replicas}

    def _headers(self, rep: _Replica) -> dict[str, str]:
        h = {"Accept": "application/json"}
        # credentials in the URL (user:pass@) are sent as Basic auth by aiohttp; a key is a Bearer token
        if self._key is not None and rep.url == rep.shown:
            h["Authorization"] = f"Bearer {self._key.get()}"
        return h

    def _scrub(self, text: str) -> str:
        """Remove the key and any URL credentials from a message that may be shown."""
        if self._key is not None and self._key.get():
            text = text.replace(self._key.get(), "<redacted>")
        for r in self._replicas:
            if r.url != r.shown:
                text = text.replace(r.url, r.shown)
        return text

    def _session_or_new(self) -> aiohttp.ClientSession:
        """One keep-alive connection pool, sized for the concurrency cap (created inside the running loop).

        aiohttp rather than httpx: measured on this project's fake server, httpx/httpcore spent
        ~3 ms of CPU per request at concurrency 32 (its pool scans every connection with a socket
        poll), aiohttp ~0.4 ms, and the harness must not be what limits a benchmark."""
        if self._session is None or self._session.closed:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            connector = aiohttp.TCPConnector(limit=self.max_concurrency + 8, limit_per_host=0,
                                             keepalive_timeout=30.0, ssl=self._ssl, enable_cleanup_closed=False)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, connect=min(10.0, self._timeout_s),
                                              sock_read=self._timeout_s),
                headers={"User-Agent": f"weightwatch/{__version__}"},
                trust_env=False,  # configured URLs only: no proxy surprises from the environment
                raise_for_status=False,
            )
        return self._session

    def _pick(self) -> _Replica:
        now = time.monotonic()
        live = [r for r in self._replicas if r.down_until <= now]
        if not live:  # all cooling down: try the one that comes back first
            return min(self._replicas, key=lambda r: r.down_until)
        low = min(r.in_flight for r in live)
        candidates = [r for r in live if r.in_flight == low]
        self._rr = (self._rr + 1) % len(candidates)
        return candidates[self._rr]

    def _auth_message(self, status: int, where: str) -> str:
        if self.api_key_env:
            return (f"HTTP {status} from {where}: the API key in ${self.api_key_env} was rejected "
                    f"for target '{self.label}'")
        return f"HTTP {status} from {where}: the server wants an API key and target '{self.label}' has none"

    def _auth_hint(self) -> str:
        if self.api_key_env:
            return f"check the key in ${self.api_key_env} (named by api_key_env of '{self.label}' in weightwatch.toml)"
        # a key is never given on the command line: a named target names the variable that holds it
        return ("add a named target to weightwatch.toml: [targets.NAME] with spec = \"openai:MODEL@URL\" and "
                "api_key_env = \"VARIABLE\" (the variable holding the key), then use -t NAME")

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Fingerprint:
        try:
            return await self._start()
        except BaseException:
            await self.aclose()  # the caller will not close a target that failed to start
            raise

    async def _start(self) -> Fingerprint:
        session = self._session_or_new()
        results = await asyncio.gather(*(self._probe_models(session, r) for r in self._replicas))
        reachable = [res for res in results if res["reachable"]]
        if not reachable:
            first = results[0]
            raise UserError(f"cannot reach {self._replicas[0].shown}: {first['error']}",
                            "start the server or check the URL")
        for res, rep in zip(results, self._replicas, strict=True):
            if res.get("auth_status"):
                raise UserError(self._auth_message(res["auth_status"], rep.shown + "/models"), self._auth_hint())
            if not res["reachable"]:
                rep.down_until = time.monotonic() + self._cooldown_s
            if res.get("status") == 404 and not rep.url.rstrip("/").endswith("/v1"):
                await self._suggest_v1(session, rep)
            if res.get("status") == 404:
                await self._check_chat(session, rep)
        main = reachable[0]
        models: list[str] = main.get("models") or []
        extra: dict[str, Any] = {
            "replicas": [{"url": rep.shown, "reachable": res["reachable"], "server": res.get("server"),
                          **({"error": res["error"]} if res.get("error") else {})}
                         for res, rep in zip(results, self._replicas, strict=True)],
            "models_endpoint": main.get("status"),
            "defaults": self.defaults(),
            "timeout_s": self._timeout_s,
            "api_key_env": self.api_key_env,  # the variable's NAME only
        }
        if models and self.model not in models:
            shown = ", ".join(models[:5]) + (", ..." if len(models) > 5 else "")
            extra["warning"] = (f"model '{self.model}' is not among the model(s) the server lists ({shown}); "
                                "check the name: it may be an alias, but a server with one model (llama.cpp's) "
                                "answers any name with its own")
        owned = main.get("owned_by")
        if owned:
            extra["owned_by"] = owned
        self._fingerprint = Fingerprint(
            kind="openai", name=self.model, base_url=self._replicas[0].shown, server=main.get("server"),
            server_models=models or None, context_length=main.get("context_length"),
            weightwatch_version=__version__, extra=extra)
        return self._fingerprint

    async def _suggest_v1(self, session: aiohttp.ClientSession, rep: _Replica) -> None:
        """`openai:M@http://host:8000` (no /v1) on a server whose API is under /v1: every request would fail
        with 404 after the run started. When URL/v1/models answers, say so now; otherwise go on as before."""
        probe = _Replica(url=rep.url.rstrip("/") + "/v1", shown=rep.shown.rstrip("/") + "/v1")
        res = await self._probe_models(session, probe)
        if res.get("status") == 200 or res.get("auth_status"):
            raise UserError(f"{rep.shown}/models answered HTTP 404, but {probe.shown}/models answers",
                            f"give the base URL with /v1: openai:{self.model}@{probe.shown}")

    async def _check_chat(self, session: aiohttp.ClientSession, rep: _Replica) -> None:
        """URL/models answered 404. Some servers do not implement /models, so that alone is no error; but when
        a first tiny chat request (one token) is answered 404 as well, every request of the run would be: the
        base URL is wrong (or the server knows no such model). Said now, in one line, naming the base URL to
        give when one is found. Any other answer (200, 400, 5xx, a timeout) starts the target as before."""
        status, detail = await self._chat_status(session, rep)
        if status in (401, 403):
            raise UserError(self._auth_message(status, rep.shown + "/chat/completions"), self._auth_hint())
        if status != 404:
            return
        said = f" ({detail})" if detail and detail.lower() not in ("404: not found", "not found") else ""
        if said and ("model" in detail.lower() or self.model.lower() in detail.lower()):
            raise UserError(f"{rep.shown}/chat/completions answered HTTP 404 for model '{self.model}'{said}",
                            f"check the model name (openai:MODEL@{rep.shown}); the server lists none at "
                            f"{rep.shown}/models")
        found = await self._find_api(session, rep)
        hint = (f"give the base URL {found.shown}: openai:{self.model}@{found.shown}" if found is not None else
                "give the URL under which the server answers /chat/completions (usually ending in /v1, e.g. "
                f"{URL(rep.shown).with_path('/v1')})")
        raise UserError(f"{rep.shown}/models and {rep.shown}/chat/completions both answered HTTP 404{said}: no "
                        "OpenAI-compatible API at this base URL", hint)

    async def _chat_status(self, session: aiohttp.ClientSession, rep: _Replica) -> tuple[int | None, str]:
        """(HTTP status, error detail) of a one-token chat request to `rep`; (None, "") when none came back."""
        body = {"model": self.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1,
                "temperature": 0}
        try:
            timeout = aiohttp.ClientTimeout(total=min(60.0, self._timeout_s))
            async with session.post(URL(rep.url + "/chat/completions", encoded=False), json=body,
                                    headers=self._headers(rep), timeout=timeout) as resp:
                return resp.status, error_detail(await _bounded_text(resp, rep.shown))
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, TargetError):
            return None, ""  # no answer: the run's retries deal with it

    async def _find_api(self, session: aiohttp.ClientSession, rep: _Replica) -> _Replica | None:
        """A base URL near `rep`'s that serves the API (its /models answers, or its /chat/completions answers
        anything but 404): `rep` + /v1, then the server's root + /v1 (e.g. for http://host/api)."""
        seen = {rep.shown.rstrip("/"), rep.shown.rstrip("/") + "/v1" if rep.shown.rstrip("/").endswith("/v1")
                else ""}
        for url, shown in ((rep.url.rstrip("/") + "/v1", rep.shown.rstrip("/") + "/v1"),
                           (str(URL(rep.url).with_path("/v1")), str(URL(rep.shown).with_path("/v1")))):
            if shown in seen:
                continue
            seen.add(shown)
            candidate = _Replica(url=url, shown=shown)
            res = await self._probe_models(session, candidate)
            if res.get("status") == 200 or res.get("auth_status"):
                return candidate
            if res.get("reachable") and (await self._chat_status(session, candidate))[0] not in (None, 404):
                return candidate
        return None

    async def _probe_models(self, session: aiohttp.ClientSession, rep: _Replica) -> dict[str, Any]:
        try:
            timeout = aiohttp.ClientTimeout(total=min(30.0, self._timeout_s))
            async with session.get(URL(rep.url + "/models", encoded=False), headers=self._headers(rep),
                                   timeout=timeout) as resp:
                status = resp.status
                server = resp.headers.get("server")
                text = await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return {"reachable": False, "error": self._scrub(_describe(exc))}
        out: dict[str, Any] = {"reachable": True, "status": status, "server": server}
        if status in (401, 403):
            out["auth_status"] = status
            return out
        if status != 200:
            return out
        try:
            data = json.loads(text)
        except ValueError:
            return out
        entries = data.get("data") if isinstance(data, dict) else None
        if isinstance(entries, list):
            out["models"] = [str(m.get("id")) for m in entries if isinstance(m, dict) and m.get("id")]
            for m in entries:
                if isinstance(m, dict) and m.get("id") == self.model:
                    if m.get("owned_by"):
                        out["owned_by"] = str(m["owned_by"])
                    ctx = m.get("max_model_len") or m.get("context_length")
                    if isinstance(ctx, int):
                        out["context_length"] = ctx
        return out

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    # -- one request ----------------------------------------------------------------------------
    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        top_p = request.top_p if request.top_p is not None else self._defaults.get("top_p")
        if top_p is not None:
            body["top_p"] = top_p
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop is not None:  # never a default stop list
            body["stop"] = list(request.stop)
        if request.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if request.top_logprobs:  # OpenAI-style log-probabilities of the most likely tokens
            body["logprobs"] = True
            body["top_logprobs"] = int(request.top_logprobs)
        if request.response_format is not None:  # structured output (OpenAI, vLLM, SGLang, llama.cpp server)
            if self._format_mode == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "verdict", "schema": request.response_format, "strict": True}}
            elif self._format_mode == "json_object":  # e.g. DeepSeek's API: JSON, but no schema
                body["response_format"] = {"type": "json_object"}
        return body

    async def complete(self, request: ChatRequest) -> Completion:
        """One attempt. A server that rejects the JSON schema (HTTP 400) is asked again at once with
        plain JSON mode, then without response_format; the mode that worked is kept for this target
        (the prompt still asks for the JSON shape, and the caller's parser validates it)."""
        while True:
            mode = self._format_mode
            try:
                completion = await self._complete_once(request)
            except TargetError as exc:
                if request.response_format is None or exc.status != 400 or mode == "none":
                    raise
                if self._format_mode == mode:  # requests in flight at once step down one level only
                    self._format_mode = "json_object" if mode == "json_schema" else "none"
                continue
            if request.response_format is not None:
                completion.raw = {**(completion.raw or {}), "response_format": self._format_mode}
            return completion

    async def _complete_once(self, request: ChatRequest) -> Completion:
        session = self._session_or_new()
        rep = self._pick()
        rep.in_flight += 1
        rep.requests += 1
        url = rep.url + "/chat/completions"
        t0 = time.perf_counter()
        try:
            if request.stream:
                return await self._stream(session, rep, url, self._body(request), t0)
            return await self._plain(session, rep, url, self._body(request), t0)
        except aiohttp.ClientConnectorError as exc:
            rep.failures += 1
            rep.down_until = time.monotonic() + self._cooldown_s
            raise TargetError(f"cannot connect to {rep.shown}: {self._scrub(_describe(exc))}",
                              kind="transient") from exc
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError is a TimeoutError too
            raise TargetError(f"timed out after {self._timeout_s:g} s waiting for {rep.shown} "
                              f"({type(exc).__name__})", kind="transient") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as exc:
            raise TargetError(f"connection to {rep.shown} broke: {self._scrub(_describe(exc))}",
                              kind="transient") from exc
        except aiohttp.ClientError as exc:
            raise TargetError(f"request to {rep.shown} failed: {self._scrub(_describe(exc))}",
                              kind="transient") from exc
        finally:
            rep.in_flight -= 1

    def _raise_for_status(self, resp: aiohttp.ClientResponse, rep: _Replica, body_text: str) -> None:
        status = resp.status
        if status < 400:
            return
        detail = error_detail(body_text)
        where = rep.shown
        if kind_for_status(status) == "auth":
            raise status_error(status, self._auth_message(status, where))
        retry_after = parse_retry_after(resp.headers.get("retry-after"))
        raise status_error(status, self._scrub(f"HTTP {status} from {where}" + (f": {detail}" if detail else "")),
                           retry_after)

    async def _plain(self, session: aiohttp.ClientSession, rep: _Replica, url: str, body: dict[str, Any],
                     t0: float) -> Completion:
        async with session.post(URL(url, encoded=False), json=body, headers=self._headers(rep)) as resp:
            text = await _bounded_text(resp, rep.shown)
            status = resp.status
            self._raise_for_status(resp, rep, text)
        return self._from_json(text, status, rep, time.perf_counter() - t0)

    def _from_json(self, text: str, status: int, rep: _Replica, total: float) -> Completion:
        """A whole (not streamed) chat-completions answer."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TargetError(f"malformed JSON from {rep.shown}: {text[:80]!r}", kind="transient",
                              status=status) from exc
        if not isinstance(data, dict):
            raise TargetError(f"unexpected JSON from {rep.shown} (not an object)", kind="transient")
        if "error" in data and not data.get("choices"):
            raise TargetError(self._scrub(f"error from {rep.shown}: {error_detail(text)}"), kind="transient")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise TargetError(f"empty 'choices' in the answer of {rep.shown}", kind="transient")
        choice = choices[0]
        message = choice.get("message") or {}
        if not isinstance(message, dict):
            raise TargetError(f"malformed 'message' in the answer of {rep.shown}", kind="transient")
        split = split_reasoning(content_text(message.get("content")), reasoning_field(message))
        usage_raw = data.get("usage")
        usage: dict[str, Any] = usage_raw if isinstance(usage_raw, dict) else {}
        raw: dict[str, Any] = {"replica": rep.shown}
        if split.truncated:
            raw["reasoning_truncated"] = True
        if data.get("system_fingerprint"):
            raw["system_fingerprint"] = str(data["system_fingerprint"])[:100]
        top = first_token_logprobs(choice.get("logprobs"))
        if top is not None:
            raw["top_logprobs"] = top
        return Completion(text=split.text, reasoning=split.reasoning,
                          finish_reason=_finish(choice.get("finish_reason")),
                          prompt_tokens=_int(usage.get("prompt_tokens")),
                          completion_tokens=_int(usage.get("completion_tokens")), total_s=total, raw=raw)

    async def _stream(self, session: aiohttp.ClientSession, rep: _Replica, url: str, body: dict[str, Any],
                      t0: float) -> Completion:
        content: list[str] = []
        reasoning: list[str] = []
        token_times: list[float] = []
        ttft: float | None = None
        ttft_answer: float | None = None
        finish: str | None = None
        usage: dict[str, Any] = {}
        done = False
        chunks = 0
        size = 0
        headers = {**self._headers(rep), "Accept": "text/event-stream"}
        async with session.post(URL(url, encoded=False), json=body, headers=headers) as resp:
            if resp.status >= 400:
                text = await resp.text(errors="replace")
                self._raise_for_status(resp, rep, text)
            if resp.content_type == "application/json":  # a server (or proxy) that ignores "stream": true answers
                text = await _bounded_text(resp, rep.shown)  # whole: read it as such (no token times, no TTFT)
                completion = self._from_json(text, resp.status, rep, time.perf_counter() - t0)
                completion.raw = {**(completion.raw or {}), "stream_ignored": True}
                return completion
            async for raw_line in resp.content:
                line = raw_line.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue  # SSE comments, event names, keep-alives
                payload = line[5:].strip()
                if payload == "[DONE]":
                    done = True
                    break
                try:
                    data = json.loads(payload)
                except ValueError as exc:
                    raise TargetError(f"malformed JSON in the stream of {rep.shown}: {payload[:80]!r}",
                                      kind="transient") from exc
                if not isinstance(data, dict):
                    raise TargetError(f"unexpected stream chunk from {rep.shown}", kind="transient")
                if data.get("error"):
                    raise TargetError(self._scrub(f"error in the stream of {rep.shown}: "
                                                  f"{error_detail(json.dumps(data))}"), kind="transient")
                chunks += 1
                if isinstance(data.get("usage"), dict):
                    usage = data["usage"]
                for choice in data.get("choices") or []:
                    if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    if isinstance(delta, dict):
                        piece = content_text(delta.get("content"))
                        think = _delta_reasoning(delta)
                        now = time.perf_counter() - t0
                        got = False
                        if isinstance(piece, str) and piece:
                            content.append(piece)
                            size += len(piece)
                            got = True
                            if ttft_answer is None and "<think>" not in piece:
                                ttft_answer = now
                        if think:
                            reasoning.append(think)
                            size += len(think)
                            got = True
                        if got:
                            token_times.append(now)
                            if ttft is None:
                                ttft = now
                    if choice.get("finish_reason"):
                        finish = _finish(choice["finish_reason"])
                if size > MAX_ANSWER_BYTES:
                    raise TargetError(f"the stream from {rep.shown} went on past {MAX_ANSWER_BYTES // 2**20} MB of "
                                      "text; stopped reading (does the server honour max_tokens?)", kind="fatal")
        total = time.perf_counter() - t0
        if not done and finish is None:
            raise TargetError(f"the stream from {rep.shown} ended early (no finish_reason, no [DONE])",
                              kind="transient")
        if not content and not reasoning and finish is None:
            raise TargetError(f"empty stream from {rep.shown} (no choices)", kind="transient")
        split = split_reasoning("".join(content), "".join(reasoning) or None)
        raw: dict[str, Any] = {"replica": rep.shown, "chunks": chunks}
        if ttft_answer is not None:
            raw["ttft_answer_s"] = ttft_answer
        if split.truncated:
            raw["reasoning_truncated"] = True
        return Completion(text=split.text, reasoning=split.reasoning, finish_reason=finish,
                          prompt_tokens=_int(usage.get("prompt_tokens")),
                          completion_tokens=_int(usage.get("completion_tokens")),
                          ttft_s=ttft, total_s=total, token_times_s=token_times, raw=raw)


async def _bounded_text(resp: aiohttp.ClientResponse, shown: str) -> str:
    """The body as text (the charset it names, else UTF-8; bad bytes replaced), at most MAX_ANSWER_BYTES: a
    bigger one is a failed sample, not the whole run killed for memory."""
    if (resp.content_length or 0) > MAX_ANSWER_BYTES:
        raise TargetError(f"the answer from {shown} is {resp.content_length:,} bytes, more than "
                          f"{MAX_ANSWER_BYTES // 2**20} MB; not read (does the server honour max_tokens?)",
                          kind="fatal")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(2**16):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise TargetError(f"the answer from {shown} went on past {MAX_ANSWER_BYTES // 2**20} MB; stopped reading "
                              "(does the server honour max_tokens?)", kind="fatal")
    try:
        encoding = resp.get_encoding()
        return body.decode(encoding, errors="replace")
    except (LookupError, RuntimeError):  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def content_text(content: Any) -> str:
    """A message's (or stream delta's) `content`: a string, or a list of parts as some servers send it
    (`[{"type": "text", "text": "..."}]`; the text parts joined). The parts' text used to be lost: an empty
    answer that looked like a real one."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str) and part.get("type") in (
                    None, "text", "output_text"):
                out.append(part["text"])
        return "".join(out)
    return ""


def _finish(value: Any) -> str | None:
    """finish_reason as text: an odd value (an object, a number) is kept as short text, not a failed sample."""
    if value is None or isinstance(value, str):
        return value
    return " ".join(str(value).split())[:40]


def _delta_reasoning(delta: dict[str, Any]) -> str | None:
    """The reasoning text of one stream delta, unstripped (pieces are concatenated)."""
    for key in ("reasoning_content", "reasoning"):
        value = delta.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def first_token_logprobs(logprobs: Any) -> list[dict[str, Any]] | None:
    """The first generated token's top log-probabilities from an OpenAI-style ``choices[0].logprobs``
    (``{"content": [{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}, ...]}``), at most 20,
    or None when the server sent none."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if not isinstance(content, list) or not content or not isinstance(content[0], dict):
        return None
    first = content[0]
    listed = first.get("top_logprobs")
    entries: list[Any] = listed if isinstance(listed, list) else [first]
    out = []
    for e in entries[:20]:
        if isinstance(e, dict) and isinstance(e.get("token"), str) and isinstance(e.get("logprob"), int | float):
            out.append({"token": e["token"][:40], "logprob": float(e["logprob"])})
    return out or None


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_err = exc.os_error
        if isinstance(os_err, ConnectionRefusedError):
            return "connection refused"
        return " ".join((os_err.strerror or str(os_err) or type(os_err).__name__).split())[:ERR_SNIPPET]
    if isinstance(exc, TimeoutError) and not str(exc):
        return "timed out"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:ERR_SNIPPET]
