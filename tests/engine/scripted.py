"""A scripted in-memory Target for fast engine unit tests (the real targets have their own tests)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from weightwatch.errors import TargetError
from weightwatch.types import ChatRequest, Completion, Fingerprint


class ScriptedTarget:
    kind = "scripted"
    in_process = False
    price: dict[str, float] = {}

    def __init__(self, label: str = "scripted", answer: Callable[[str], str] | None = None,
                 faults: dict[str, list[TargetError]] | None = None, max_concurrency: int = 16,
                 delay: float = 0.0) -> None:
        self.label = label
        self.max_concurrency = max_concurrency
        self.answer = answer or (lambda prompt: "12 Paris Tokyo 27")
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0

    async def start(self) -> Fingerprint:
        return Fingerprint(kind="scripted", name=self.label)

    def defaults(self) -> dict[str, object]:
        return {"temperature": 0.7}

    async def complete(self, request: ChatRequest) -> Completion:
        prompt = request.messages[-1].content
        self.calls[prompt] += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            pending = self.faults.get(prompt)
            if pending:
                raise pending.pop(0)
            return Completion(text=self.answer(prompt), finish_reason="stop", prompt_tokens=5, completion_tokens=3)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None
