"""The capability (HumanEval) probe's options."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from weightwatch.probes.base import ProbeOptions, switch_value


class CapabilityOptions(ProbeOptions):
    humaneval_limit: int | None = Field(default=None, gt=0)  # only the first N tasks of the size
    humaneval_max_tokens: int | None = Field(default=None, gt=0)  # default 400
    humaneval_security: str | bool | None = None  # "off" / False: do not scan the solutions
    sandbox_timeout: float | None = Field(default=None, gt=0, le=3600)  # seconds per task (default 10)
    sandbox_workers: int | None = Field(default=None, gt=0, le=64)  # tasks run at once (default 2)

    @field_validator("humaneval_security")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return switch_value(value)
