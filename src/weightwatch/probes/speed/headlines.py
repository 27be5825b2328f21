"""The speed probe's scorecard rows (see weightwatch.types.Headline)."""

from __future__ import annotations

from weightwatch.types import Headline

HEADLINES: tuple[Headline, ...] = (
    Headline(
        key="tokens_per_s", label="Output tokens/s", names=("output_tokens_per_s", "output_tokens_per_s_p50"),
        higher_is_better=True, format="tokens/s",
        dims={"prompt": "short"}, alt_dims=({},),
        compare_names=("output_tokens_per_s ratio",),
        meaning="Median decode speed of single streamed requests, excluding time to first token.",
        test="Median with a bootstrap interval (or the probe's named method).",
    ),
    Headline(
        key="ttft", label="Time to first token (p50)", names=("ttft_s_p50", "ttft_s"),
        higher_is_better=False, format="seconds",
        dims={"prompt": "short"}, alt_dims=({},),
        meaning="Median seconds from sending a request to the first streamed token.",
        test="Median with a bootstrap interval (or the probe's named method).",
    ),
)
