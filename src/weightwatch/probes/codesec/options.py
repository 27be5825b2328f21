"""The codesec probe's options."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from weightwatch.probes.base import ProbeOptions


class CodesecOptions(ProbeOptions):
    tasks: int | list[str] | None = None  # the first N tasks, or these task ids (default: the size's tasks)
    max_tokens: int | None = Field(default=None, gt=0)  # default: the size's max_tokens (conditions.yaml)
    regression: bool | None = None  # fit the logistic regression below size full too
    functional: bool | None = None  # False: skip the functional tests (no code is run)
    sandbox_workers: int | None = Field(default=None, gt=0, le=64)  # functional tests run at once (default 2)
    # task heterogeneity (log-odds sd) for the power simulation; finite
    power_sigma: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    # simulated studies per power estimate (default 400); 10**12 ran out of memory after the whole run
    power_sims: int | None = Field(default=None, gt=0, le=100_000)

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, value: Any) -> Any:
        """At least one task: 0 and -3 used to mean "the size's tasks", [] an error only when planned; task ids
        that do not exist are named (they were dropped silently when another id did exist)."""
        if value is None:
            return value
        if isinstance(value, int):
            if value < 1:
                raise ValueError(f"give a number of tasks of at least 1, or task ids, not {value}")
            return value
        if not value:
            raise ValueError("give at least one task id, or a number of tasks")
        from weightwatch.probes.codesec.probe import load_tasks

        known = {t["id"] for t in load_tasks()["tasks"]}
        unknown = [t for t in value if t not in known]
        if unknown:
            raise ValueError(f"unknown task id(s) {', '.join(unknown[:5])} (ids as in codesec's tasks.yaml, "
                             f"e.g. {', '.join(sorted(known)[:3])})")
        return value
