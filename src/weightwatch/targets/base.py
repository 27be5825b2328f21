"""The Target protocol: a model behind one interface.

A target knows nothing of probes. The runner calls `complete()`; `fingerprint()` says exactly what
answered. Implementations raise `TargetError` (retryable or not) for failed requests and
`UserError` for configuration problems (bad path, missing key, unreachable server at start-up).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from weightwatch.types import ChatRequest, Completion, Fingerprint


@runtime_checkable
class Target(Protocol):
    label: str  # what the user typed (or the named target), shown in reports
    kind: str  # embedded | gguf | openai | mock | a plugin's kind
    in_process: bool  # True: a model in this process (llama.cpp); one such target at a time per run
    max_concurrency: int  # upper bound for the runner's adaptive limit
    price: dict[str, float]  # input_per_mtok, output_per_mtok or hour (USD), from weightwatch.toml; {} if unknown

    async def start(self) -> Fingerprint:
        """Load the model / check the server; return the fingerprint. Raises UserError."""
        ...

    async def complete(self, request: ChatRequest) -> Completion:
        """Answer one request. Raises TargetError on failure."""
        ...

    async def aclose(self) -> None: ...

    def defaults(self) -> dict[str, object]:
        """Sampling defaults of this target (temperature for repeated samples, top_p, ...)."""
        ...
