"""A small sanity probe: does the target answer trivial questions correctly?

It proves the whole path (plan -> runner -> journal -> score -> summarize -> report) on any target
in seconds, and catches a broken chat template or a mis-configured server before a long audit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from weightwatch.datafiles import package_yaml
from weightwatch.probes.base import NoOptions, PlanContext, ScoreContext, SummaryContext, TargetInfo
from weightwatch.probes.registry import register
from weightwatch.probes.sanity.headlines import HEADLINES
from weightwatch.stats.proportions import rate_metric
from weightwatch.types import (
    ChatRequest,
    Message,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

QUICK_ITEMS = 4


@cache
def load_items() -> list[dict[str, Any]]:
    data = package_yaml("weightwatch.probes.sanity", "data/items.yaml")
    return list(data["items"])


def is_correct(answer: str, accept: list[str]) -> bool:
    low = answer.lower()
    return any(re.search(rf"(?<!\w){re.escape(a.lower())}(?!\w)", low) for a in accept)


@register
class SanityProbe:
    name = "sanity"
    version = "1"
    Options = NoOptions
    headlines = HEADLINES
    uses_judge = False
    runs_model_code = False
    description = "Trivial questions with one right answer: checks the target and its chat template work."

    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]:
        items = load_items()
        if ctx.size == "quick":
            items = items[:QUICK_ITEMS]
        for item in items:
            for index, temperature, seed in ctx.sample_plan(target):
                yield PlannedRequest(
                    item_id=item["id"],
                    sample_index=index,
                    request=ChatRequest(
                        messages=[Message(role="user", content=item["prompt"])],
                        temperature=temperature,
                        seed=seed,
                        max_tokens=32,
                    ),
                    meta={"accept": item["accept"]},
                )

    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        out = []
        for s in samples:
            digest = s.key.digest()
            if s.completion.error:
                out.append(Score(sample_digest=digest, scorer="sanity.match", scorer_version=self.version,
                                 label="error", details={"error": s.completion.error}))
                continue
            ok = is_correct(s.completion.text, s.planned.meta.get("accept", []))
            out.append(Score(sample_digest=digest, scorer="sanity.match", scorer_version=self.version,
                             label="correct" if ok else "wrong", value=1.0 if ok else 0.0))
        return out

    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        result = ProbeResult(probe=self.name, version=self.version)
        for label, rows in scored.items():
            labels = [r.score("sanity.match") for r in rows]
            valid = [s for s in labels if s is not None and s.label != "error"]
            k = sum(1 for s in valid if s.label == "correct")
            result.metrics.append(rate_metric(self.name, "accuracy", k, len(valid), target=label,
                                              higher_is_better=True))
            errors = sum(1 for s in labels if s is not None and s.label == "error")
            if errors:
                result.warnings.append(f"{label}: {errors} sanity sample(s) failed and are excluded")
        return result

    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        s = item.score("sanity.match")
        return {"label": s.label if s else None, "expected": ", ".join(item.sample.planned.meta.get("accept", []))}
