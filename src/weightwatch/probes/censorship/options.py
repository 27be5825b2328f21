"""The censorship probe's options (`weightwatch run censorship --languages en,de --prompts FILE`)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from weightwatch.probes.base import ProbeOptions, option


class CensorshipOptions(ProbeOptions):
    languages: str | list[str] | None = option("Languages to ask in: en, zh-Hans, zh-Hant, de (same as --languages).",
                                               "en,zh-Hans at quick; all four otherwise")
    topics: str | list[str] | None = option("Topic ids of the censorship dataset, e.g. tiananmen,tibet (an unknown id "
                                            "is an error naming the known ones).",
                                            "every topic (16; at quick one item of each)")
    prompts: str | None = option("Your own prompt set, CSV (subject,prompt) or JSONL; replaces the dataset (same as "
                                 "--prompts).", "the built-in dataset", type_text="file")
    max_tokens: int | None = option("Most tokens per answer.", "128 at quick, 320 otherwise", gt=0)

    @field_validator("languages", "topics")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """"en,de" as ["en", "de"]: the same list given as text (API, --languages) or as a list (-O, TOML) is the
        same run (options join the run's identity); an empty list is refused when the run is planned."""
        if isinstance(value, str):
            return [x.strip() for x in value.split(",") if x.strip()]
        return value
