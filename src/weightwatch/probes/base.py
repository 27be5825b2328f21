"""The Probe protocol: the plug-in point for every measurement.

A probe
  1. plans requests for one target from its versioned dataset (`plan`),
  2. scores the answered samples (`score`: rules, judges, scanners, sandboxed tests),
  3. aggregates scores of all targets into metrics with intervals and tests (`summarize`).

Probes never call targets directly: the runner answers planned requests (and judge requests made
through `ScoreContext.ask_judge`) and journals every completion. A new probe is one folder under
`weightwatch/probes/` with a class implementing this protocol, decorated with `registry.register` (and its
module listed in `registry.BUILTIN`); a plugin package names its class in the `weightwatch.probes` entry points.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from weightwatch.types import (
    ChatRequest,
    Completion,
    Fingerprint,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

Size = Literal["quick", "standard", "full"]


class TargetInfo(BaseModel):
    """What a probe may know about a target: never the target object itself."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    label: str
    kind: str  # embedded | gguf | openai
    fingerprint: Fingerprint
    defaults: dict[str, Any] = Field(default_factory=dict)  # temperature, top_p, max_tokens ...
    price: dict[str, float] = Field(default_factory=dict)  # input_per_mtok, output_per_mtok, hour


class PlanContext(BaseModel):
    size: Size = "quick"
    samples: int = 0  # extra samples at the target temperature, beside the greedy pass (index 0)
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict)  # probe-specific options from CLI / API

    def sample_plan(self, target: TargetInfo) -> list[tuple[int, float, int | None]]:
        """(sample_index, temperature, seed) for the greedy pass plus `samples` repeated samples."""
        temp = float(target.defaults.get("temperature", 0.7) or 0.7)
        plan: list[tuple[int, float, int | None]] = [(0, 0.0, self.seed)]
        for i in range(1, self.samples + 1):
            plan.append((i, temp, self.seed + i))
        return plan


JudgeFn = Callable[[ChatRequest], Awaitable[Completion]]


class ScoreContext(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    options: dict[str, Any] = Field(default_factory=dict)
    workdir: Path | None = None  # scratch space for scanners / sandbox
    ask_judge: JudgeFn | None = None  # an LLM judge target, journaled by the runner; None if not set
    judge_label: str | None = None


class SummaryContext(BaseModel):
    targets: dict[str, TargetInfo] = Field(default_factory=dict)  # by label
    size: Size = "quick"
    samples: int = 0
    options: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Probe(Protocol):
    name: str  # registry name, e.g. "censorship"
    version: str  # dataset + scoring version; changing it re-scores journaled samples
    description: str
    # Optional class attribute `uses_judge = True`: the probe's verdicts depend on the --judge target, so
    # another judge (or none) re-scores journaled samples (see api.scoring_version).

    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]: ...

    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        """Score every sample (batch: scanners want many files per process).

        Must return at least one Score per sample; a sample whose completion has an error gets a
        Score with label "error" (it is never silently dropped)."""
        ...

    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        """Metrics for every target (keyed by label) and comparisons between them."""
        ...

    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        """Columns shown for one response in the report's drill-down (topic, language, label ...)."""
        ...
