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
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from weightwatch.errors import UserError
from weightwatch.types import (
    ChatRequest,
    Completion,
    Fingerprint,
    Headline,
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


class ProbeOptions(BaseModel):
    """Base of every probe's options model. Unknown keys are rejected (a misspelled option is an error, with
    the list of valid ones); a field left at None means "the probe's default for this size"."""

    model_config = ConfigDict(extra="forbid")


def option(meaning: str, default: str, *, type_text: str | None = None, **constraints: Any) -> Any:
    """A ProbeOptions field that is not required: `meaning` and `default` (what "not given" means, in words)
    are shown by `weightwatch probes` and in errors; `type_text` overrides the type the CLI shows (it is
    otherwise read from the annotation); `constraints` are pydantic's (gt=0, le=64, ...)."""
    extra: dict[str, Any] = {"default_text": default}
    if type_text is not None:
        extra["type_text"] = type_text
    return Field(default=None, description=meaning, json_schema_extra=extra, **constraints)


SWITCH_ON = ("on", "yes", "true", "1")
SWITCH_OFF = ("off", "no", "false", "0")


def switch_value(value: Any) -> Any:
    """Check an on/off option (True/False or one of SWITCH_ON / SWITCH_OFF in any case) for a ProbeOptions
    validator: anything else ('maybe') raises ValueError instead of being read as on."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in SWITCH_ON + SWITCH_OFF:
        return value
    raise ValueError(f"use on or off (or true/false, yes/no, 1/0), not {value!r}")


def switch_on(value: Any, default: bool) -> bool:
    """An on/off option as a bool (`default` when not given)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in SWITCH_OFF


class NoOptions(ProbeOptions):
    """For probes that take no options."""


class PlanContext(BaseModel):
    size: Size = "quick"
    samples: int = 0  # extra samples at the target temperature, beside the greedy pass (index 0)
    seed: int = 0
    # this probe's options from the CLI / API, validated by its Options model (only those given)
    options: dict[str, Any] = Field(default_factory=dict)

    def sample_plan(self, target: TargetInfo) -> list[tuple[int, float, int | None]]:
        """(sample_index, temperature, seed) for the greedy pass plus `samples` repeated samples."""
        raw = target.defaults.get("temperature")
        temp = 0.7 if raw is None else float(raw)  # `or 0.7` turned a configured 0 into 0.7, silently
        if self.samples and temp <= 0:
            raise UserError(f"--samples {self.samples} asks for repeated samples at the temperature of target "
                            f"'{target.label}', which is {raw:g}: they would all repeat the greedy answer",
                            "set a temperature above 0 for that target in weightwatch.toml (e.g. temperature = "
                            "0.7), or drop --samples")
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
    # The probe's options: a ProbeOptions subclass (extra keys forbidden). The API validates the options of
    # a run with it and hands the probe the validated ones in ctx.options.
    Options: ClassVar[type[ProbeOptions]]
    # Its scorecard rows (metric names, direction, format, meaning, test): the report and the terminal
    # scorecard render exactly these, stored with the run's result.
    headlines: ClassVar[tuple[Headline, ...]]
    # True: the verdicts depend on the --judge target, so another judge (or none) re-scores journaled
    # samples (the judge's identity joins the scoring version, see api.scoring_version).
    uses_judge: ClassVar[bool]
    # True: scoring runs model-written code (in weightwatch.sandbox); a run refuses to start where no
    # sandbox is possible, before any request is made.
    runs_model_code: ClassVar[bool]

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
        """Columns shown for one response in the report's drill-down (topic, language, label ...).

        Called when the sample is scored; the columns are stored in the journal with its score mark, so
        a report of an old run never calls today's probe code."""
        ...
