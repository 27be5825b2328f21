"""Loading what other packages add through entry points (`weightwatch.probes`, `weightwatch.targets`)."""

from __future__ import annotations

from collections.abc import Container, Iterator
from importlib.metadata import entry_points

from weightwatch.errors import UserError


def load_plugins(group: str, what: str, skip: Container[str] = ()) -> Iterator[tuple[str, str, object]]:
    """(entry point name, its value, the loaded object) of every entry point of `group` not in `skip`.
    A plugin that fails to import is a one-line error naming it, never silently left out."""
    for ep in entry_points(group=group):
        if ep.name in skip:
            continue  # a plugin never replaces a built-in
        try:
            obj = ep.load()
        except Exception as exc:
            raise UserError(f"the {what} plugin '{ep.name}' ({ep.value}) cannot be loaded: "
                            f"{type(exc).__name__}: {exc}", "fix or uninstall the package that provides it") from exc
        yield ep.name, ep.value, obj
