"""An Anthropic-style messages API as a weightwatch backend: `anthropic:MODEL@BASE_URL`.

    POST {BASE_URL}/v1/messages   x-api-key, anthropic-version: 2023-06-01
    {"model", "max_tokens", "system"?, "messages": [{"role", "content"}], "temperature", "top_p"?,
     "stop_sequences"?}  ->  {"content": [{"type": "text", "text"}], "stop_reason", "usage"}

One `complete()` is one attempt; failures become TargetErrors whose kind comes from the shared mapping
(weightwatch.targets.http: 429 rate_limit, 529 overloaded, 401 auth ...), so the runner retries, backs
off and shrinks concurrency without knowing this API. Streaming is not implemented: a streamed request
(the speed probe) is answered whole, so it carries no time to first token.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import aiohttp

from weightwatch import __version__
from weightwatch.errors import TargetError, UserError
from weightwatch.targets.http import Secret, error_detail, parse_retry_after, redact_url, status_error
from weightwatch.targets.spec import TargetSpec
from weightwatch.types import ChatRequest, Completion, Fingerprint

API_VERSION = "2023-06-01"


def make_target(spec: TargetSpec) -> AnthropicTarget:
    """The entry point: `anthropic:MODEL@BASE_URL` (or a [targets.NAME] table with that spec)."""
    model, sep, url = spec.rest.partition("@")
    if not sep or not model.strip() or not url.startswith(("http://", "https://")):
        raise UserError(f"malformed anthropic target '{redact_url(spec.spec)}'",
                        "write it as anthropic:MODEL@BASE_URL, e.g. anthropic:claude-x@https://api.example.com")
    env = spec.options.get("api_key_env", "ANTHROPIC_API_KEY")
    key = os.environ.get(env)
    return AnthropicTarget(spec.label or f"anthropic:{model}@{redact_url(url)}", model.strip(), url.rstrip("/"),
                           Secret(key) if key else None, defaults=spec.defaults(), price=spec.price(),
                           max_concurrency=int(spec.options.get("max_concurrency", 16)))


class AnthropicTarget:
    kind = "anthropic"
    in_process = False

    def __init__(self, label: str, model: str, base_url: str, key: Secret | None, *,
                 defaults: dict[str, Any], price: dict[str, float], max_concurrency: int) -> None:
        self.label, self.model, self.base_url, self._key = label, model, base_url, key
        self.price, self._defaults, self.max_concurrency = price, defaults, max_concurrency
        self._session: aiohttp.ClientSession | None = None

    def defaults(self) -> dict[str, object]:
        return dict(self._defaults)

    async def start(self) -> Fingerprint:
        self._session = aiohttp.ClientSession(headers={"User-Agent": f"weightwatch/{__version__}"})
        return Fingerprint(kind="anthropic", name=self.model, base_url=redact_url(self.base_url),
                           weightwatch_version=__version__)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": self.model, "max_tokens": request.max_tokens, "temperature": request.temperature,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]}
        if system:
            body["system"] = system
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        return body

    async def complete(self, request: ChatRequest) -> Completion:
        assert self._session is not None, "start() first"
        headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
        if self._key is not None:
            headers["x-api-key"] = self._key.get()
        t0 = time.perf_counter()
        try:
            async with self._session.post(self.base_url + "/v1/messages", json=self._body(request),
                                          headers=headers) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    raise status_error(resp.status, f"HTTP {resp.status} from {redact_url(self.base_url)}: "
                                       f"{error_detail(text)}", parse_retry_after(resp.headers.get("retry-after")))
        except aiohttp.ClientError as exc:
            raise TargetError(f"request to {redact_url(self.base_url)} failed: {type(exc).__name__}",
                              kind="transient") from exc
        try:
            data = json.loads(text)
            answer = "".join(b["text"] for b in data["content"] if b.get("type") == "text")
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"malformed answer from {redact_url(self.base_url)}", kind="transient") from exc
        usage = data.get("usage") or {}
        finish = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}.get(data.get("stop_reason"))
        return Completion(text=answer, finish_reason=finish, prompt_tokens=usage.get("input_tokens"),
                          completion_tokens=usage.get("output_tokens"), total_s=time.perf_counter() - t0)
