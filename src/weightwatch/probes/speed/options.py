"""The speed probe's options."""

from __future__ import annotations

from pydantic import Field

from weightwatch.probes.base import ProbeOptions


class SpeedOptions(ProbeOptions):
    speed_concurrency: str | int | list[int] | None = None  # sweep levels, e.g. "1,2,4,8" (default 1..32)
    speed_reps: int | None = Field(default=None, gt=0)  # repetitions per prompt (default: by size)
    speed_max_tokens: int | None = Field(default=None, gt=0)  # default: by size
    speed_sweep: str | bool | None = None  # run the concurrency sweep (default: servers only)
