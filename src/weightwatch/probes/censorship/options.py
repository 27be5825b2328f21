"""The censorship probe's options (`weightwatch run censorship --languages en,de --prompts FILE`)."""

from __future__ import annotations

from pydantic import Field

from weightwatch.probes.base import ProbeOptions


class CensorshipOptions(ProbeOptions):
    languages: str | list[str] | None = None  # e.g. "en,zh-Hans" (default: en, zh-Hans at quick; all otherwise)
    topics: str | list[str] | None = None  # topic ids of data/topics/ (default: the size's topics)
    prompts: str | None = None  # a user's prompt set, CSV (subject,prompt) or JSONL: replaces the dataset
    max_tokens: int | None = Field(default=None, gt=0)  # default: 128 at quick, 320 otherwise
