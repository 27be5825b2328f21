"""A failure in one sample's scoring, or in one probe's summary, never loses the others.

`score_guarded` calls `probe.score` on the whole batch (scanners and the sentence encoder want many
answers at once). When that call raises, the batch is split in halves and each half scored again, down to
single samples: every sample that does not raise is scored normally (and handed to `keep` as soon as its
part is done, so it is journaled), and only the samples that raise on their own get a Score labelled
"error". That Score comes from the probe itself: the sample is scored once more as if its request had
failed (`Completion.error` = "scoring failed: <reason>"), the path every probe has for failed requests, so
the probe's summary counts it as it counts any error (never as answered or passed). If even that raises,
a generic `<probe>.scoring` Score labelled "error" is used. Its details carry `scoring_error`: the
exception's type and first line.

Work: one bad sample among n costs about 3n sample-scorings instead of n (each level re-scores the half
that holds it). A `UserError` (a judge's wrong key, no sandbox) is about the whole run and is raised
as is; so are KeyboardInterrupt and cancellation.

`summarize_guarded` turns an exception in `probe.summarize` into a ProbeResult with no metrics and its
`error` set, so the run's other probes keep their results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from weightwatch.errors import UserError
from weightwatch.probes.base import Probe, ScoreContext, SummaryContext
from weightwatch.types import ProbeResult, Sample, Score, ScoredSample

Keep = Callable[[list[Score], list[Sample]], None]  # (scores, the samples they score): journal them


def exception_line(exc: BaseException, limit: int = 200) -> str:
    """'ValueError: first line of the message' (at most `limit` characters)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines and lines[0].strip() else type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ScoringOutcome:
    """What `score_guarded` did: `failed` holds (sample, reason) for each sample whose scoring raised;
    `error_scores` their "error" Scores (not journaled as final verdicts: see api._score_and_summarize)."""

    failed: list[tuple[Sample, str]] = field(default_factory=list)
    error_scores: list[Score] = field(default_factory=list)

    def warning(self, probe: str, how_to_see: str) -> str | None:
        if not self.failed:
            return None
        reasons: dict[str, int] = {}
        for _, reason in self.failed:
            reasons[reason] = reasons.get(reason, 0) + 1
        shown = "; ".join(f"{r}" + (f" x{n}" if n > 1 else "") for r, n in list(reasons.items())[:3])
        more = f"; {len(reasons) - 3} other reason(s)" if len(reasons) > 3 else ""
        n = len(self.failed)
        return (f"{probe}: {n} sample(s) could not be scored ({shown}{more}); they are labelled 'error' and "
                f"count in no rate; {how_to_see}")


async def score_guarded(probe: Probe, samples: list[Sample], ctx: ScoreContext, keep: Keep) -> ScoringOutcome:
    outcome = ScoringOutcome()
    await _score_part(probe, samples, ctx, keep, outcome)
    for sample, reason in outcome.failed:
        outcome.error_scores.extend(await _error_scores(probe, sample, reason, ctx))
    return outcome


async def _score_part(probe: Probe, part: list[Sample], ctx: ScoreContext, keep: Keep,
                      outcome: ScoringOutcome) -> None:
    if not part:
        return
    try:
        scores = await probe.score(part, ctx)
    except UserError:
        raise
    except Exception as exc:
        if len(part) == 1:
            outcome.failed.append((part[0], exception_line(exc)))
            return
        mid = len(part) // 2
        await _score_part(probe, part[:mid], ctx, keep, outcome)
        await _score_part(probe, part[mid:], ctx, keep, outcome)
        return
    keep(scores, part)


async def _error_scores(probe: Probe, sample: Sample, reason: str, ctx: ScoreContext) -> list[Score]:
    """The probe's own "error" Score(s) for a sample whose scoring raised (see the module's docstring)."""
    digest = sample.key.digest()
    failed = sample.model_copy(update={"completion": sample.completion.model_copy(
        update={"error": f"scoring failed: {reason}", "finish_reason": "error"})})
    scores: list[Score] = []
    try:
        scores = [s for s in await probe.score([failed], ctx) if s.sample_digest == digest]
    except UserError:
        raise
    except Exception:  # noqa: S110 - the generic error score below says what happened
        scores = []
    if not scores or any(s.label != "error" for s in scores):
        scores = [Score(sample_digest=digest, scorer=f"{probe.name}.scoring", scorer_version=probe.version,
                        label="error")]
    for s in scores:
        s.value = None
        s.details = {**s.details, "error": f"scoring failed: {reason}", "scoring_error": reason}
    return scores


def summarize_guarded(probe: Probe, scored: dict[str, list[ScoredSample]], ctx: SummaryContext,
                      how_to_see: str) -> ProbeResult:
    try:
        return probe.summarize(scored, ctx)
    except UserError:
        raise
    except Exception as exc:
        reason = exception_line(exc)
        n = sum(len(rows) for rows in scored.values())
        return ProbeResult(
            probe=probe.name, version=probe.version, error=reason,
            warnings=[f"its results could not be summarized ({reason}); its {n} sample(s) and their scores are "
                      f"kept in the journal; {how_to_see}"])
