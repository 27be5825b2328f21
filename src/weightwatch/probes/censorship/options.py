"""The censorship probe's options (`weightwatch run censorship --languages en,de --prompts FILE`)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from weightwatch.probes.base import ProbeOptions, option

# The most a user may ask for per answer: every request is bounded, so a model that never stops (common on
# a local target, see docs/censorship.md) ends its answer at this many tokens at worst. The judge reads an
# answer's opening and its claims: quick's 128 tokens hold all but 2 of 32 embedded-Qwen answers.
MAX_TOKENS_LIMIT = 8192


class CensorshipOptions(ProbeOptions):
    languages: str | list[str] | None = option("Languages to ask in: en, zh-Hans, zh-Hant, de (same as --languages).",
                                               "en,zh-Hans at quick; all four otherwise")
    topics: str | list[str] | None = option("Topic ids of the censorship dataset, e.g. tiananmen,tibet (an unknown id "
                                            "is an error naming the known ones).",
                                            "every topic (16; at quick one item of each)")
    prompts: str | None = option("Your own prompt set, CSV (subject,prompt) or JSONL; replaces the dataset (same as "
                                 "--prompts).", "the built-in dataset", type_text="file")
    max_tokens: int | None = option(f"Most tokens per answer (at most {MAX_TOKENS_LIMIT}).",
                                    "128 at quick, 320 otherwise", gt=0, le=MAX_TOKENS_LIMIT)

    @field_validator("languages", "topics")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """"en,de" as ["en", "de"]: the same list given as text (API, --languages) or as a list (-O, TOML) is the
        same run (options join the run's identity); an empty list is refused when the run is planned."""
        if isinstance(value, str):
            return [x.strip() for x in value.split(",") if x.strip()]
        return value
