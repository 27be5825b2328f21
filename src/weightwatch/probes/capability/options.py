"""The capability (HumanEval) probe's options."""

from __future__ import annotations

from pydantic import Field

from weightwatch.probes.base import ProbeOptions


class CapabilityOptions(ProbeOptions):
    humaneval_limit: int | None = Field(default=None, gt=0)  # only the first N tasks of the size
    humaneval_max_tokens: int | None = Field(default=None, gt=0)  # default 400
    humaneval_security: str | bool | None = None  # "off" / False: do not scan the solutions
    sandbox_timeout: float | None = Field(default=None, gt=0)  # seconds per task (default 10)
    sandbox_workers: int | None = Field(default=None, gt=0)  # tasks run at once (default 2)
