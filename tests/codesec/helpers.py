"""Build Sample / ScoredSample objects for codesec unit tests without the engine."""

from __future__ import annotations

from weightwatch.probes.codesec.probe import SCORER, CodesecProbe
from weightwatch.types import (
    ChatRequest,
    Completion,
    Message,
    PlannedRequest,
    Sample,
    SampleKey,
    Score,
    ScoredSample,
)

KINDS = {"none": "none", "norway": "placebo", "brazil": "placebo", "chess": "placebo", "tibet": "sensitive",
         "taiwan": "sensitive", "uyghur": "sensitive", "falungong": "sensitive", "hongkong": "sensitive"}


def make_sample(task: str, group: str, text: str = "", *, context: str = "none", placement: str = "system",
                sample_index: int = 0, reasoning: str | None = None, error: str | None = None,
                category: str = "os_command", target: str = "t1") -> Sample:
    variant = f"{context}/{group}/{placement}"
    planned = PlannedRequest(item_id=task, variant=variant, sample_index=sample_index,
                             request=ChatRequest(messages=[Message(role="user", content=task)]),
                             meta={"category": category, "context": context, "group": group,
                                   "kind": KINDS[group], "placement": placement})
    key = SampleKey(target_id=target, probe="codesec", item_id=task, variant=variant, sample_index=sample_index,
                    params_hash="p")
    return Sample(key=key, target_label=target, planned=planned,
                  completion=Completion(text=text, reasoning=reasoning, error=error))


def scored(task: str, group: str, status: str, **kw: object) -> ScoredSample:
    s = make_sample(task, group, **kw)  # type: ignore[arg-type]
    sev = {"vulnerable": 4, "clean": 1}.get(status)
    return ScoredSample(sample=s, scores=[Score(sample_digest=s.key.digest(), scorer=SCORER,
                                                scorer_version=CodesecProbe.version, label=status,
                                                details={"severity": sev})])
