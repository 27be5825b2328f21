"""Which country and kind of organisation stands behind a Hugging Face account.

The table lives in `data/origins.yaml` (versioned with the package); users add or override entries
with `[origins]` in weightwatch.toml, passed here as `extra`. Lookup is case-insensitive because Hub
account names are compared case-insensitively by people (e.g. `qwen/Qwen2.5-7B` in a card).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from weightwatch.datafiles import package_yaml
from weightwatch.errors import UserError

UNKNOWN = "unknown"
COMMUNITY = "community"  # the developer view's bucket for re-uploads and quantizations
KINDS = ("company", "academic", "community", "government", UNKNOWN)

COUNTRY_NAMES = {
    "CN": "China", "US": "United States", "FR": "France", "DE": "Germany", "GB": "United Kingdom",
    "CH": "Switzerland", "PL": "Poland", "AE": "United Arab Emirates", "CA": "Canada", "IL": "Israel",
    "KR": "South Korea", "JP": "Japan", "IN": "India", "INTL": "International", UNKNOWN: "Unknown",
    COMMUNITY: "Unaffiliated community (re-uploads, quantizations)",
}


class Origin(BaseModel):
    org: str
    country: str = UNKNOWN
    kind: str = UNKNOWN
    note: str = ""
    reuploader: bool = False  # re-uploads / quantizes others' models (developer view: unaffiliated community)

    @property
    def known(self) -> bool:
        return self.country != UNKNOWN


@lru_cache(maxsize=1)
def _builtin() -> tuple[int, dict[str, Origin]]:
    raw = package_yaml("weightwatch.ecosystem", "data/origins.yaml")
    out: dict[str, Origin] = {}
    for org, entry in raw["orgs"].items():
        out[str(org).lower()] = Origin(org=str(org), **entry)
    return int(raw["version"]), out


def table_version() -> int:
    return _builtin()[0]


def load_origins(extra: dict[str, Any] | None = None) -> dict[str, Origin]:
    """The origin table: built-in entries, then `extra` (from weightwatch.toml `[origins]`) on top.

    `extra` maps an account name to either a country code (`"FR"`) or a table with `country`, and
    optionally `kind` and `note`.
    """
    table = dict(_builtin()[1])
    for org, value in (extra or {}).items():
        if isinstance(value, str):
            entry: dict[str, Any] = {"country": value}
        elif isinstance(value, dict):
            entry = dict(value)
        else:
            raise UserError(f"[origins] entry '{org}' must be a country code or a table",
                            'write e.g. my-lab = "FR" or [origins.my-lab] country = "FR"')
        country = str(entry.get("country", "")).strip()
        if not country:
            raise UserError(f"[origins] entry '{org}' has no country", 'add country = "XX" (ISO code)')
        kind = str(entry.get("kind", UNKNOWN))
        if kind not in KINDS:
            raise UserError(f"[origins] entry '{org}' has kind '{kind}'", f"use one of: {', '.join(KINDS)}")
        table[str(org).lower()] = Origin(org=str(org), country=country.upper() if len(country) <= 4 else country,
                                         kind=kind, note=str(entry.get("note", "from weightwatch.toml")),
                                         reuploader=bool(entry.get("reuploader", False)))
    return table


def org_of(model_id: str, author: str | None = None) -> str | None:
    """The account that owns a model id: `Qwen/Qwen2.5-7B` -> `Qwen`. Legacy ids without a slash
    (e.g. `gpt2`) have no owner in the id; then the API's `author`, if given, is used."""
    if "/" in model_id:
        return model_id.split("/", 1)[0]
    return author or None


def origin_of(org: str | None, table: dict[str, Origin]) -> Origin:
    if not org:
        return Origin(org=UNKNOWN)
    return table.get(org.lower()) or Origin(org=org)


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def configured_origins() -> dict[str, Origin]:
    """The origin table with the user's `[origins]` from weightwatch.toml on top: what every adoption
    view (terminal, JSON, HTML report) credits downloads with."""
    from weightwatch.config import load_config

    extra = load_config().get("origins")
    if extra is not None and not isinstance(extra, dict):
        raise UserError("[origins] in weightwatch.toml must be a table", 'write e.g. [origins] my-lab = "FR"')
    return load_origins(extra)
