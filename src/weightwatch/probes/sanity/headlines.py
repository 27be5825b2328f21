"""The sanity probe's scorecard rows (see weightwatch.types.Headline)."""

from __future__ import annotations

from weightwatch.types import Headline

HEADLINES: tuple[Headline, ...] = (
    Headline(
        key="sanity", label="Sanity check: trivial questions right", names=("accuracy",),
        higher_is_better=True, format="rate",
        meaning="Trivial questions with one right answer: a low value means a broken chat template or server, "
                "and every other number of that target is suspect.",
        test="Wilson 95% interval.",
    ),
)
