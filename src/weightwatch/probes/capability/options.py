"""The capability (HumanEval) probe's options."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from weightwatch.probes.base import ProbeOptions, option, switch_value


class CapabilityOptions(ProbeOptions):
    humaneval_limit: int | None = option("Run only the first N HumanEval tasks of the size.",
                                         "the size's tasks (quick: a fixed subset; standard, full: all 164)", gt=0)
    humaneval_max_tokens: int | None = option("Most tokens per solution.", "400", gt=0)
    humaneval_security: str | bool | None = option("Scan the greedy solutions with bandit and semgrep (off: skip).",
                                                   "on")
    sandbox_timeout: float | None = option("Seconds a task's tests may run in the sandbox.", "10", gt=0, le=3600)
    sandbox_workers: int | None = option("Tasks tested in the sandbox at once.", "2", gt=0, le=64)

    @field_validator("humaneval_security")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return switch_value(value)
