"""Which probes exist. One line per probe: name -> "module:Class".

A probe whose module is not part of this installation is simply not offered.
"""

from __future__ import annotations

import importlib
import importlib.util

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


def _present(path: str) -> bool:
    module = path.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def available() -> list[str]:
    return [name for name, path in PROBES.items() if _present(path)]


def audit_probes() -> list[str]:
    have = set(available())
    return [p for p in AUDIT_ORDER if p in have]


def get(name: str) -> Probe:
    path = PROBES.get(name)
    if path is None or not _present(path):
        raise UserError(f"unknown probe '{name}'", f"choose one of: {', '.join(available())}")
    module_name, cls_name = path.split(":", 1)
    module = importlib.import_module(module_name)
    probe: Probe = getattr(module, cls_name)()
    return probe
