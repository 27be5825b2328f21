"""Core data types shared by every part of weightwatch.

Everything that crosses a part boundary (target -> runner -> journal -> probe -> report) is one of
these pydantic models. They are deliberately plain data: no behaviour beyond hashing and validation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from weightwatch.errors import no_lone_surrogates

Role = Literal["system", "user", "assistant"]

ALPHA = 0.05  # the one significance level: a comparison is significant when its (adjusted) p < ALPHA


def is_significant(p_value: float | None, p_adjusted: float | None = None) -> bool:
    """The one significance rule: the adjusted p-value when there is one, else the raw one, below ALPHA."""
    p = p_adjusted if p_adjusted is not None else p_value
    return p is not None and p < ALPHA


def stable_hash(obj: Any, length: int = 16) -> str:
    """A short, stable hash of any JSON-serialisable object (sorted keys, no whitespace)."""
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:length]


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Role
    content: str


class ChatRequest(BaseModel):
    """One chat completion request, independent of the target that will serve it.

    `stop` is None unless a probe explicitly asks for stop sequences: weightwatch never sends
    default stop sequences (garak's `["#", ";"]` default silently breaks code generation).
    """

    messages: list[Message]
    temperature: float = 0.0
    top_p: float | None = None
    max_tokens: int = 512
    seed: int | None = None
    stop: list[str] | None = None
    stream: bool = False  # ask the target to stream (needed for TTFT / inter-token latency)
    # a JSON schema the output must follow (LLM judges); targets turn it into their server's form
    response_format: dict[str, Any] | None = None
    # ask for the log-probabilities of this many most likely first tokens (claim checks read P(yes)); targets
    # put them in Completion.raw["top_logprobs"] as [{"token": str, "logprob": float}, ...] when they can
    top_logprobs: int | None = None

    def _unset(self) -> set[str]:
        return {"top_logprobs"} if self.top_logprobs is None else set()

    def params(self) -> dict[str, Any]:
        """The generation parameters (everything but the messages) as a plain dict (for exports);
        `response_format` and `top_logprobs` appear only when set."""
        exclude = {"messages"} if self.response_format is not None else {"messages", "response_format"}
        return self.model_dump(exclude=exclude | self._unset())

    def request_hash(self, phase: str | None = None) -> str:
        """THE request hash, the only one: `SampleKey.params_hash` of every journaled sample.

        The stable hash of the whole request in JSON mode (messages and every generation parameter,
        `response_format` included even when None) and, for a planned request, its `PlannedRequest.phase`
        (the same request in a speed sweep phase is another sample). Judge requests are not planned and
        have no phase (None). Changing what goes in here changes every sample key, so journals written
        before would not resume: tests/test_types_response_format.py pins the values."""
        dump = self.model_dump(mode="json", exclude=self._unset())  # top_logprobs only when set: old hashes hold
        return stable_hash(dump if phase is None else [dump, phase])


class Completion(BaseModel):
    """What a target returned for one request (or why it could not)."""

    text: str = ""  # the final answer, reasoning removed
    reasoning: str | None = None  # <think>...</think> or reasoning_content, if any
    finish_reason: str | None = None  # stop | length | error | ...
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_s: float | None = None  # time to first token (streaming only)
    total_s: float | None = None  # wall time of the request
    token_times_s: list[float] | None = None  # arrival offsets of streamed chunks (speed probe)
    error: str | None = None  # set when the sample failed after all retries
    attempts: int = 1
    raw: dict[str, Any] | None = None  # small server-specific extras (never credentials)

    @model_validator(mode="before")
    @classmethod
    def _untrusted_text(cls, data: Any) -> Any:
        """What a server sent is untrusted: lone surrogates become U+FFFD, so every answer can be journaled."""
        if isinstance(data, dict):
            return {k: no_lone_surrogates(v) if k in ("text", "reasoning", "error", "raw") else v
                    for k, v in data.items()}
        return data

    @property
    def ok(self) -> bool:
        return self.error is None


class Fingerprint(BaseModel):
    """Exactly which weights, template and server produced a result."""

    kind: str  # embedded | gguf | openai
    name: str  # model id or file name
    sha256: str | None = None  # GGUF file hash (with a LoRA adapter: the base file's)
    adapter_sha256: str | None = None  # LoRA adapter GGUF applied on top of the base (gguf:BASE+lora:ADAPTER)
    architecture: str | None = None
    parameters: int | None = None  # parameter count
    quantization: str | None = None
    chat_template_hash: str | None = None
    base_url: str | None = None  # without credentials
    server: str | None = None  # Server header / what /v1/models says
    server_models: list[str] | None = None
    context_length: int | None = None
    origin: str | None = None  # e.g. "Alibaba, China" for known models
    weightwatch_version: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)

    def id(self) -> str:
        """Stable identity of the model behind the target (not of the sampling parameters)."""
        ident = {
            "kind": "gguf" if self.kind in ("gguf", "embedded") else self.kind,
            "name": self.name if self.sha256 is None else None,
            "sha256": self.sha256,
            "base_url": self.base_url if self.sha256 is None else None,
        }
        if self.adapter_sha256:  # only when set: ids of plain models stay what they were
            ident["adapter_sha256"] = self.adapter_sha256
        return stable_hash(ident)


class PlannedRequest(BaseModel):
    """A request a probe wants answered, with the identity that makes resume exact."""

    item_id: str
    variant: str = ""  # e.g. "en/sensitive", "tibet/system", "short"
    sample_index: int = 0  # 0 is the greedy pass; 1..N are samples at the target temperature
    request: ChatRequest
    meta: dict[str, Any] = Field(default_factory=dict)  # probe-private: topic, language, condition ...
    phase: str = ""  # requests of one phase run together (speed sweeps)
    concurrency: int | None = None  # fixed concurrency for this phase (speed sweeps); None = adaptive


class SampleKey(BaseModel):
    model_config = ConfigDict(frozen=True)
    target_id: str  # Fingerprint.id() + target parameter hash
    probe: str
    item_id: str
    variant: str
    sample_index: int
    params_hash: str

    def digest(self) -> str:
        return stable_hash(self.model_dump(), length=32)


class Sample(BaseModel):
    """A planned request together with what the target answered."""

    key: SampleKey
    target_label: str
    planned: PlannedRequest
    completion: Completion
    created_at: float | None = None


class Score(BaseModel):
    """A judge's or scanner's verdict on one sample."""

    sample_digest: str
    scorer: str  # e.g. "censorship.rules"
    scorer_version: str
    label: str | None = None  # e.g. refused / answered / vulnerable / pass
    value: float | None = None  # e.g. 1.0 for pass, fact coverage
    details: dict[str, Any] = Field(default_factory=dict)


class ScoredSample(BaseModel):
    sample: Sample
    scores: list[Score] = Field(default_factory=list)
    # the drill-down columns the probe computed when it scored this sample (Probe.drilldown), stored in the
    # journal so a report of an old run needs no probe code; None when not computed (journals before v2)
    columns: dict[str, Any] | None = None

    def score(self, scorer: str) -> Score | None:
        for s in self.scores:
            if s.scorer == scorer:
                return s
        return None

    @property
    def scoring_error(self) -> str | None:
        """Why scoring this sample raised (probes/guard.py gave it an "error" Score), or None: its answer is
        no measurement, whatever its completion holds."""
        for s in self.scores:
            reason = s.details.get("scoring_error")
            if reason:
                return str(reason)
        return None


class Metric(BaseModel):
    """One number a user sees, with how sure we are of it and how it was computed."""

    probe: str
    name: str  # e.g. "refusal_rate"
    value: float | None
    n: int  # number of observations behind the value
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None  # e.g. "wilson", "newcombe", "cluster-bootstrap"
    target: str | None = None  # target label; None for cross-target comparisons
    compare: list[str] | None = None  # for comparisons: the labels compared (A, B)
    test: str | None = None  # statistical test behind a comparison
    p_value: float | None = None
    p_adjusted: float | None = None  # after multiple-comparison correction
    dims: dict[str, str] = Field(default_factory=dict)  # topic, language, condition ...
    unit: str | None = None  # "rate", "tokens/s", "s", "USD" ...
    higher_is_better: bool | None = None
    note: str | None = None
    # for a comparison, what its own design could detect at this n (power 0.8, two-sided alpha 0.05):
    mde: float | None = None  # the smallest effect (in the value's unit) the test could detect
    n_needed: int | None = None  # observations (in the unit of `n`) the effect seen would need
    cannot_tell: str | None = None  # why the test could not reach p < 0.05 at all (e.g. too few discordant pairs)

    @property
    def significant(self) -> bool:
        return is_significant(self.p_value, self.p_adjusted)


HeadlineFormat = Literal["rate", "diff", "ratio", "usd", "seconds", "tokens/s", "number"]


class Headline(BaseModel):
    """One scorecard row a probe declares: which of its metrics it shows, which way is better, how it reads.

    `names` are accepted metric names (first match wins) among the probe's metrics carrying `dims`
    (then each of `alt_dims`); with `expand`, one row per value of that dim. Among matching metrics the
    one with the fewest extra dims is taken (the aggregate, not a per-topic cell). A row whose metrics a
    run lacks is left out. `compare_names` name cross-target comparison metrics (Metric.compare = [A, B])
    carrying the test behind the row's significance marker; the row's own names are always tried too.
    `meaning` and `test` are printed in the report's methods section."""

    model_config = ConfigDict(frozen=True)
    key: str
    label: str  # what the row says ("{value}" is replaced by the expanded dim's value)
    names: tuple[str, ...]
    higher_is_better: bool | None = None  # direction: True = higher is better, None = neither
    format: HeadlineFormat | None = None  # how the value reads when the metric carries no unit
    dims: dict[str, str] = Field(default_factory=dict)  # required dims
    alt_dims: tuple[dict[str, str], ...] = ()  # tried in order after `dims` when it matches nothing
    expand: str | None = None  # one row per value of this dim ...
    expand_where: dict[str, str] = Field(default_factory=dict)  # ... among metrics carrying these dims
    expand_skip: tuple[str, ...] = ()  # values of `expand` not given their own row
    expand_max: int = 8  # more values than this: no per-value rows (the charts show them all)
    secondary: tuple[str, ...] = ()  # a second metric shown in the same cell (e.g. risk ratio)
    secondary_dims: dict[str, str] = Field(default_factory=dict)  # extra dims the secondary must carry
    secondary_label: str = ""
    compare_names: tuple[str, ...] = ()
    meaning: str = ""  # methods section: what the number means
    test: str = ""  # methods section: the interval / test behind it


class ProbeResult(BaseModel):
    """Everything one probe reports for one run."""

    probe: str
    version: str
    metrics: list[Metric] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. "quick size uses 20 of 164 tasks"
    warnings: list[str] = Field(default_factory=list)  # e.g. "too few samples to detect ..."
    tables: dict[str, Any] = Field(default_factory=dict)  # probe-specific extras (power analysis ...)
    # the scorecard rows the probe declares (Probe.headlines), stored with the result so a report of this
    # run renders them without the probe's code
    headlines: list[Headline] = Field(default_factory=list)
    # set when the probe's summarize raised (probes/guard.py): "ValueError: ..."; the result then has no
    # metrics, the run's other probes keep theirs, and the CLI exits 1 after showing everything
    error: str | None = None


class TargetSummary(BaseModel):
    label: str
    kind: str
    fingerprint: Fingerprint
    defaults: dict[str, Any] = Field(default_factory=dict)
    price: dict[str, float] = Field(default_factory=dict)
    samples: int = 0  # samples of this run answered by the target
    errors: int = 0  # samples that failed after all retries
    scoring_errors: int = 0  # answered samples whose scoring raised (probes/guard.py): counted in no rate
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RunSummary(BaseModel):
    """The one summary model: everything the terminal table, JSON, and HTML report show.

    Built only from journal rows (see weightwatch.engine.journal), so every number traces back.
    """

    run_id: str
    created_at: str  # ISO 8601, UTC
    finished_at: str | None = None
    command: str = ""
    weightwatch_version: str = ""
    size: str = "quick"
    samples: int = 0
    seed: int = 0
    probes: list[str] = Field(default_factory=list)
    targets: list[TargetSummary] = Field(default_factory=list)
    results: list[ProbeResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    # how model-written code was isolated (weightwatch.sandbox), "" when no probe of the run executes it
    isolation: str = ""
    unsandboxed_code: bool = False  # model-written code ran without isolation (--allow-unsandboxed-code)

    def metrics(self, probe: str | None = None) -> list[Metric]:
        out: list[Metric] = []
        for r in self.results:
            if probe is None or r.probe == probe:
                out.extend(r.metrics)
        return out
