"""How times, versions and target names read to a person, in every report format (one place, one style).

- `human_time`: every timestamp as `2026-11-22 08:00 UTC` (journal rows hold ISO 8601 strings with and
  without offsets, or unix seconds; all are shown the same way).
- `readable_version`: a scoring version such as `2+judge:3f9a8b7c6d5e4f30` reads as
  `v2, LLM judge 3f9a8b7c`.
- `short_labels`: A, B, C ... for targets whose full names do not fit a narrow terminal, with a legend.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%d %H:%M UTC"


def _as_datetime(value: str | float | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        d = value
    elif isinstance(value, (int, float)):
        d = datetime.fromtimestamp(float(value), UTC)
    else:
        try:
            d = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def human_time(value: str | float | datetime | None) -> str:
    """`2026-11-22 08:00 UTC`; an unreadable value is shown as given, a missing one as an en dash."""
    d = _as_datetime(value)
    if d is None:
        return "–" if value in (None, "") else str(value)
    return d.strftime(TIME_FORMAT)


def human_span(start: str | float | datetime | None, end: str | float | datetime | None) -> str:
    """`2026-11-22 08:00–08:20 UTC` (the date once when both ends fall on the same day)."""
    a, b = _as_datetime(start), _as_datetime(end)
    if a is None:
        return human_time(start)
    if b is None:
        return human_time(a) + (" (not finished)" if end in (None, "") else f" – {end}")
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M} UTC"
    return f"{human_time(a)} – {human_time(b)}"


def readable_version(version: str) -> str:
    """`2` -> `v2`; `2+judge:3f9a8b7c6d5e4f30` -> `v2, LLM judge 3f9a8b7c`."""
    base, _, rest = str(version).partition("+")
    text = f"v{base}" if base and not base.startswith("v") else base
    for part in rest.split("+") if rest else []:
        key, _, value = part.partition(":")
        if key == "judge":
            text += f", LLM judge {value[:8]}"
        elif part:
            text += f", {part}"
    return text


def short_labels(labels: list[str]) -> dict[str, str]:
    """Full label -> A, B, ... Z, AA, AB ... in the order given."""
    letters = string.ascii_uppercase
    out: dict[str, str] = {}
    for i, label in enumerate(labels):
        out[label] = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
    return out
