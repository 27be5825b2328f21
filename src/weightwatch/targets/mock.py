"""`mock:NAME`: a deterministic, offline target that needs no model (demos, plugin and contract tests).

It answers every request at once with text derived from the request, so the same request always gets the
same answer, and streams it word by word when asked (the speed probe gets token times):

    mock:echo      repeats the last user message
    mock:refuse    refuses everything ("I'm sorry, but I can't help with that.")
    mock:error     fails every request (a non-retryable TargetError): what a probe does with failed samples
    mock:NAME      any other name: a fixed short answer naming the model, with a small Python code block

It is never an audit target by default, and its fingerprint says `kind = "mock"`, so a report cannot pass
it off as a model.
"""

from __future__ import annotations

import time

from weightwatch import __version__
from weightwatch.errors import TargetError, UserError
from weightwatch.types import ChatRequest, Completion, Fingerprint

REFUSAL = "I'm sorry, but I can't help with that."


class MockTarget:
    kind = "mock"
    in_process = False
    max_concurrency = 64

    def __init__(self, name: str, label: str | None = None, defaults: dict[str, object] | None = None,
                 price: dict[str, float] | None = None) -> None:
        if not name or any(c.isspace() for c in name):
            raise UserError(f"malformed mock target 'mock:{name}'", "write it as mock:NAME, e.g. mock:echo")
        self.name = name
        self.label = label or f"mock:{name}"
        self.price = dict(price or {})
        self._defaults = dict(defaults or {})

    async def start(self) -> Fingerprint:
        return Fingerprint(kind="mock", name=self.name, weightwatch_version=__version__,
                           extra={"note": "weightwatch's built-in mock target: not a model"})

    def defaults(self) -> dict[str, object]:
        return dict(self._defaults)

    def answer(self, request: ChatRequest) -> str:
        user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if self.name == "echo":
            return user
        if self.name == "refuse":
            return REFUSAL
        return (f"This is the mock model {self.name}. Here is a function:\n\n```python\n"
                "def answer(x):\n    return x\n```\n")

    async def complete(self, request: ChatRequest) -> Completion:
        if self.name == "error":
            raise TargetError("mock:error fails every request", kind="fatal")
        t0 = time.perf_counter()
        text = self.answer(request)
        words = text.split(" ")
        max_words = max(1, request.max_tokens)
        finish = "stop" if len(words) <= max_words else "length"
        text = " ".join(words[:max_words])
        prompt_tokens = sum(len(m.content.split()) for m in request.messages)
        completion_tokens = len(text.split())
        if request.stream:
            times = [time.perf_counter() - t0 for _ in words[:max_words]]
            return Completion(text=text, finish_reason=finish, prompt_tokens=prompt_tokens,
                              completion_tokens=completion_tokens, ttft_s=times[0], token_times_s=times,
                              total_s=time.perf_counter() - t0, raw={"mock": True})
        return Completion(text=text, finish_reason=finish, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, total_s=time.perf_counter() - t0, raw={"mock": True})

    async def aclose(self) -> None:
        return None
