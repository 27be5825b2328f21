"""Which probes exist. One line per probe: name -> "module:Class"."""

from __future__ import annotations

import importlib

from weightwatch.errors import UserError
from weightwatch.probes.base import Probe

PROBES: dict[str, str] = {
    "sanity": "weightwatch.probes.sanity.probe:SanityProbe",
    "censorship": "weightwatch.probes.censorship.probe:CensorshipProbe",
    "codesec": "weightwatch.probes.codesec.probe:CodesecProbe",
    "capability": "weightwatch.probes.capability.probe:CapabilityProbe",
    "speed": "weightwatch.probes.speed.probe:SpeedProbe",
}

# What `weightwatch audit` runs, in this order.
AUDIT_ORDER = ["censorship", "codesec", "capability", "speed", "sanity"]


def available() -> list[str]:
    return list(PROBES)


def audit_probes() -> list[str]:
    return [p for p in AUDIT_ORDER if p in PROBES]


def get(name: str) -> Probe:
    path = PROBES.get(name)
    if path is None:
        raise UserError(f"unknown probe '{name}'", f"choose one of: {', '.join(available())}")
    module_name, cls_name = path.split(":", 1)
    module = importlib.import_module(module_name)
    probe: Probe = getattr(module, cls_name)()
    return probe
