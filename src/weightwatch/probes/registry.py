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
from typing import TypeVar

from weightwatch.errors import UserError
from weightwatch.plugins import load_plugins
from weightwatch.probes.base import Probe, ProbeOptions
from weightwatch.types import Headline

ENTRY_POINT_GROUP = "weightwatch.probes"
BUILTIN = (
    "weightwatch.probes.censorship.probe",
    "weightwatch.probes.codesec.probe",
    "weightwatch.probes.capability.probe",
    "weightwatch.probes.speed.probe",
    "weightwatch.probes.sanity.probe",
)
# What `weightwatch audit` runs, in this order (a plugin probe runs with `weightwatch run NAME`).
AUDIT_ORDER = ["censorship", "codesec", "capability", "speed", "sanity"]

P = TypeVar("P", bound=type)
_PROBES: dict[str, type] = {}
_loaded = False
_MEMBERS = ("version", "description", "Options", "headlines", "uses_judge", "runs_model_code", "plan", "score",
            "summarize", "drilldown")


def _check(cls: type) -> None:
    """The Probe protocol, checked when a class registers (a plugin's mistake shows at once, by name)."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.strip() or name != name.strip().lower() or " " in name:
        raise TypeError(f"probe class {cls.__qualname__} needs a lower-case `name` without spaces")
    missing = [m for m in _MEMBERS if not hasattr(cls, m)]
    if missing:
        raise TypeError(f"probe class {cls.__qualname__} lacks {', '.join(missing)} (see probes/base.py Probe)")
    options = cls.Options  # type: ignore[attr-defined]
    if not (isinstance(options, type) and issubclass(options, ProbeOptions)):
        raise TypeError(f"{cls.__qualname__}.Options must be a subclass of weightwatch.probes.base.ProbeOptions")
    heads = cls.headlines  # type: ignore[attr-defined]
    if not isinstance(heads, tuple | list) or not all(isinstance(h, Headline) for h in heads):
        raise TypeError(f"{cls.__qualname__}.headlines must be a tuple of weightwatch.types.Headline")
    for flag in ("uses_judge", "runs_model_code"):
        if not isinstance(getattr(cls, flag), bool):
            raise TypeError(f"{cls.__qualname__}.{flag} must be True or False")


def register(cls: P) -> P:
    """Class decorator: make a probe class available under its `name` (checked against the protocol)."""
    _check(cls)
    name: str = cls.name  # type: ignore[attr-defined]
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
    for name, value, cls in load_plugins(ENTRY_POINT_GROUP, "probe", skip=set(_PROBES)):
        if not isinstance(cls, type) or getattr(cls, "name", None) != name:
            raise UserError(f"the probe plugin '{name}' ({value}) is not a probe class named '{name}'",
                            "its entry point must name a class whose `name` is the entry point's name")
        register(cls)
    _loaded = True


def available() -> list[str]:
    """Every probe: built-in ones in audit order, then plugins."""
    _load()
    return [p for p in AUDIT_ORDER if p in _PROBES] + [p for p in _PROBES if p not in AUDIT_ORDER]


def audit_probes() -> list[str]:
    _load()
    return [p for p in AUDIT_ORDER if p in _PROBES]


def get(name: str) -> Probe:
    _load()
    cls = _PROBES.get(name)
    if cls is None:
        raise UserError(f"unknown probe '{name}'", f"choose one of: {', '.join(available())}")
    probe: Probe = cls()
    return probe
