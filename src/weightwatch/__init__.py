"""weightwatch: audit open-weight language models side by side, on your own machine."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "audit", "run"]


def __getattr__(name: str):  # lazy: `import weightwatch` stays fast for the CLI
    if name in ("audit", "run"):
        from weightwatch import api

        return getattr(api, name)
    raise AttributeError(name)
