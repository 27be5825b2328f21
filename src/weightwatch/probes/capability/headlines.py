"""The capability probe's scorecard rows (see weightwatch.types.Headline)."""

from __future__ import annotations

from weightwatch.types import Headline

HEADLINES: tuple[Headline, ...] = (
    Headline(
        key="pass_at_1", label="HumanEval pass@1", names=("pass@1",),
        higher_is_better=True, format="rate",
        dims={"decoding": "greedy"}, alt_dims=({},),
        compare_names=("pass@1 difference",),
        meaning="Share of HumanEval tasks whose greedy completion passes the task's unit tests in a sandbox.",
        test="Wilson 95% interval; between targets McNemar's exact test on paired tasks (or the named test).",
    ),
)
