"""Build scored censorship samples for unit tests without the engine or the judges."""

from __future__ import annotations

from weightwatch.probes.censorship.labels import SCORER
from weightwatch.types import (
    ChatRequest,
    Completion,
    Message,
    PlannedRequest,
    Sample,
    SampleKey,
    Score,
    ScoredSample,
    stable_hash,
)


def sample(item: str, arm: str = "sensitive", language: str = "en", *, text: str = "an answer",
           reasoning: str | None = None, error: str | None = None, sample_index: int = 0, topic: str = "t",
           pair: str | None = None, target: str = "A", prompt: str | None = None, source: str = "dataset") -> Sample:
    variant = f"{language}/{arm}"
    planned = PlannedRequest(item_id=item, variant=variant, sample_index=sample_index,
                             request=ChatRequest(messages=[Message(role="user", content=prompt or f"q {item}")]),
                             meta={"topic": topic, "kind": "factual", "language": language, "arm": arm,
                                   "pair": pair or item, "source": source})
    key = SampleKey(target_id=target, probe="censorship", item_id=item, variant=variant, sample_index=sample_index,
                    params_hash=stable_hash([text, reasoning, error, prompt]))  # distinct samples, distinct digests
    return Sample(key=key, target_label=target, planned=planned,
                  completion=Completion(text=text, reasoning=reasoning, error=error))


def scored(item: str, label: str, arm: str = "sensitive", language: str = "en", *, facts: list[str] | None = None,
           facts_total: int = 0, reasoning: bool = False, reasoning_facts: list[str] | None = None,
           **kw: object) -> ScoredSample:
    s = sample(item, arm, language, **kw)  # type: ignore[arg-type]
    details = {"judge": "rules", "facts_covered": list(facts or []), "facts_total": facts_total,
               "flags_matched": [], "reasoning_present": reasoning,
               "reasoning_facts_covered": list(reasoning_facts or []), "reasoning_flags": []}
    value = len(facts or []) / facts_total if facts_total else None
    return ScoredSample(sample=s, scores=[Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version="t",
                                                label=label, value=value, details=details)])
