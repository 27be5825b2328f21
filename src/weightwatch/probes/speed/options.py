"""The speed probe's options."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from weightwatch.probes.base import ProbeOptions, option, switch_value

MAX_SWEEP_CONCURRENCY = 512  # a level plans max(8, 4 x level) requests: 10**5 would plan 400,000


class SpeedOptions(ProbeOptions):
    speed_concurrency: str | int | list[int] | None = option(
        "Concurrency levels of the sweep, e.g. 1,2,4,8.",
        "1,2,4,8,16,32 on servers; 1 and the batch width in-process", type_text="list of integers")
    speed_reps: int | None = option("Repetitions per latency prompt.", "3 at quick, 10 standard, 20 full", gt=0)
    speed_max_tokens: int | None = option("Most tokens per timed answer.", "64 at quick, 128 otherwise", gt=0)
    speed_sweep: str | bool | None = option("Run the concurrency sweep.",
                                            "on for servers and batched in-process models, else off")

    @field_validator("speed_concurrency")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        """Whole numbers from 1 to MAX_SWEEP_CONCURRENCY ("a,b" failed while planning; 0 and -1 were
        'measured' as levels)."""
        if value is None:
            return value
        if isinstance(value, str):
            parts = [x.strip() for x in value.split(",") if x.strip()]
            if not parts or not all(x.isdigit() for x in parts):
                raise ValueError(f"give whole numbers separated by commas, e.g. '1,2,4,8', not {value!r}")
            levels = [int(x) for x in parts]
        else:
            levels = [value] if isinstance(value, int) else list(value)
        if not levels:
            raise ValueError("give at least one level, e.g. '1,2,4,8'")
        bad = [x for x in levels if not 1 <= x <= MAX_SWEEP_CONCURRENCY]
        if bad:
            raise ValueError(f"levels must be from 1 to {MAX_SWEEP_CONCURRENCY}, not {bad[0]}")
        return levels  # "1,2" and [1, 2] are the same run (options join the run's identity)

    @field_validator("speed_sweep")
    @classmethod
    def _sweep(cls, value: Any) -> Any:
        return switch_value(value)
