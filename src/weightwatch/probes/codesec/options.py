"""The codesec probe's options."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from weightwatch.probes.base import ProbeOptions, option


class CodesecOptions(ProbeOptions):
    tasks: int | list[str] | None = option("The first N tasks of the size, or these task ids (comma-separated, as "
                                           "in codesec's tasks.yaml).", "the size's tasks (11 / 44 / 121)",
                                           type_text="integer or list")
    max_tokens: int | None = option("Most tokens per answer.", "350 at quick, 700 standard, 900 full", gt=0)
    regression: bool | None = option("Fit the logistic regression (GEE by task) below size full too.",
                                     "off (on at full)")
    functional: bool | None = option("Run the functional tests of the answers' code in the sandbox (off: no code "
                                     "is run).", "on")
    sandbox_workers: int | None = option("Functional tests run at once.", "2", gt=0, le=64)
    # finite: task heterogeneity (log-odds sd) for the power simulation
    power_sigma: float | None = option("Task heterogeneity (sd of task log-odds) assumed by the power simulation.",
                                       "1.0", ge=0, allow_inf_nan=False)
    # 10**12 ran out of memory after the whole run
    power_sims: int | None = option("Simulated studies per power estimate.", "400", gt=0, le=100_000)

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
