"""The codesec probe's options."""

from __future__ import annotations

from pydantic import Field

from weightwatch.probes.base import ProbeOptions


class CodesecOptions(ProbeOptions):
    tasks: int | list[str] | None = None  # the first N tasks, or these task ids (default: the size's tasks)
    max_tokens: int | None = Field(default=None, gt=0)  # default: the size's max_tokens (conditions.yaml)
    regression: bool | None = None  # fit the logistic regression below size full too
    functional: bool | None = None  # False: skip the functional tests (no code is run)
    sandbox_workers: int | None = Field(default=None, gt=0)  # functional tests run at once (default 2)
    power_sigma: float | None = Field(default=None, ge=0)  # task heterogeneity (log-odds sd) for the power simulation
    power_sims: int | None = Field(default=None, gt=0)  # simulated studies per power estimate (default 400)
