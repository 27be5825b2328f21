"""Which probes exist.

A probe class registers itself with the `@register` decorator (built-in probes: the modules in `BUILTIN`).
Another package adds a probe without editing weightwatch through an entry point in the group
`weightwatch.probes` that names its probe class (see docs/architecture.md, "Adding a probe"):

    [project.entry-points."weightwatch.probes"]
    sycophancy = "my_package.sycophancy:SycophancyProbe"

A probe that cannot be imported is an error, never silently left out.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TypeVar

from weightwatch.errors import UserError
from weightwatch.probes.base import Probe

ENTRY_POINT_GROUP = "weightwatch.probes"
BUILTIN = (
    "weightwatch.probes.censorship.probe",
    "weightwatch.probes.codesec.probe",
    "weightwatch.probes.capability.probe",
    "weightwatch.probes.speed.probe",
    "weightwatch.probes.sanity.probe",
)
# What `weightwatch audit` runs, in this order; a plugin probe joins when its class sets `in_audit = True`.
AUDIT_ORDER = ["censorship", "codesec", "capability", "speed", "sanity"]

P = TypeVar("P", bound=type)
_PROBES: dict[str, type] = {}
_loaded = False


def register(cls: P) -> P:
    """Class decorator: make a probe class available under its `name`."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.strip() or name != name.strip().lower() or " " in name:
        raise TypeError(f"probe class {cls.__qualname__} needs a lower-case `name` without spaces")
    other = _PROBES.get(name)
    if other is not None and other.__qualname__ != cls.__qualname__:
        raise TypeError(f"two probes are named '{name}': {other.__module__}.{other.__qualname__} and "
                        f"{cls.__module__}.{cls.__qualname__}")
    _PROBES[name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in BUILTIN:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _PROBES:
            continue  # a plugin never replaces a built-in probe
        try:
            cls = ep.load()
        except Exception as exc:
            raise UserError(f"the probe plugin '{ep.name}' ({ep.value}) cannot be loaded: "
                            f"{type(exc).__name__}: {exc}", "fix or uninstall the package that provides it") from exc
        if not isinstance(cls, type) or getattr(cls, "name", None) != ep.name:
            raise UserError(f"the probe plugin '{ep.name}' ({ep.value}) is not a probe class named '{ep.name}'",
                            "its entry point must name a class whose `name` is the entry point's name")
        register(cls)
    _loaded = True


def available() -> list[str]:
    """Every probe: built-in ones in audit order, then plugins."""
    _load()
    return [p for p in AUDIT_ORDER if p in _PROBES] + [p for p in _PROBES if p not in AUDIT_ORDER]


def audit_probes() -> list[str]:
    _load()
    return [p for p in available() if p in AUDIT_ORDER or getattr(_PROBES[p], "in_audit", False)]


def get(name: str) -> Probe:
    _load()
    cls = _PROBES.get(name)
    if cls is None:
        raise UserError(f"unknown probe '{name}'", f"choose one of: {', '.join(available())}")
    probe: Probe = cls()
    return probe
