"""Splitting a run's options among its probes, and checking each probe's share with its Options model.

A run's options come from the CLI (`--languages`, `--prompts`) or the API (`options=`), in either form:

    {"censorship": {"languages": ["en"]}, "codesec": {"tasks": 3}}     # by probe
    {"languages": ["en"], "speed_concurrency": "1,2"}                   # flat: to every probe that has it

A flat key that no probe of the run has, or a key a probe's model does not have, is an error that lists
the valid ones (never silently ignored). Keys in RUN_OPTIONS belong to the run, not to a probe; the options
of an installed probe that is not in the run are left alone (one options mapping can serve several runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.probes.base import Probe

RUN_OPTIONS = frozenset({"judge_self"})


def _valid(probe: Probe) -> str:
    names = sorted(probe.Options.model_fields)
    return f"{probe.name}: {', '.join(names) if names else 'none'}"


def resolve_options(probes: Sequence[Probe], options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """probe name -> that probe's options, validated (only the ones given, as plain data)."""
    by_name = {p.name: p for p in probes}
    others = set(registry.available()) - set(by_name)
    flat = {k: v for k, v in options.items() if k not in by_name and k not in others and k not in RUN_OPTIONS}
    valid = "; ".join(_valid(p) for p in probes)
    unclaimed = sorted(k for k in flat if not any(k in p.Options.model_fields for p in probes))
    if unclaimed:
        raise UserError(f"unknown option(s) {', '.join(unclaimed)} for probe(s) {', '.join(by_name)}",
                        f"valid options: {valid}")
    out: dict[str, dict[str, Any]] = {}
    for probe in probes:
        given = {k: v for k, v in flat.items() if k in probe.Options.model_fields}
        nested = options.get(probe.name)
        if nested is not None:
            if not isinstance(nested, dict):
                raise UserError(f"the options of probe '{probe.name}' must be a mapping of option to value",
                                f"valid options: {_valid(probe)}")
            given.update(nested)
        try:
            model = probe.Options.model_validate(given)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(x) for x in err["loc"]) or "?"
            msg = str(err["msg"]).removeprefix("Value error, ")  # a validator's own message, as it wrote it
            what = "is not an option" if err["type"] == "extra_forbidden" else f"is invalid: {msg}"
            raise UserError(f"{probe.name} option '{key}' {what}", f"valid options: {_valid(probe)}") from exc
        out[probe.name] = model.model_dump(exclude_unset=True, mode="json")
    return out


def options_identity(resolved: dict[str, dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    """What a run's options add to its identity (`runs.params_json`: resume and the run lock): each probe's
    validated options, keys sorted, and the run's own keys (RUN_OPTIONS). The same options make the same
    run however they were given: flat or by probe, in any order, from the API, `--languages` or `-O`."""
    out: dict[str, Any] = {k: options[k] for k in sorted(RUN_OPTIONS) if options.get(k)}
    for name in sorted(resolved):
        if resolved[name]:
            out[name] = {k: resolved[name][k] for k in sorted(resolved[name])}
    return out
