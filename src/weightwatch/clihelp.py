"""How `--help` shows parameters: flags read as flags, values by a plain name.

typer 0.2x shows a Python type beside every parameter: `--fresh <bool>`, `-t <list[str]>`, `--help <bool>`,
and `{run}` for a required argument in the usage line. For a user that reads as noise or as a value to give
(`--fresh true`?). `install()` makes typer show:

- nothing beside an on/off flag (`--fresh`, `--help`),
- the parameter's metavar where it has one (`-t TARGET`, `--timeout SECONDS`),
- else a plain word for its type: TEXT, INTEGER, NUMBER, PATH (a repeatable option's item type),
- arguments by their name in capitals in the usage line (`export [OPTIONS] RUN`, `run [OPTIONS] PROBE...`,
  `[RUN]` when optional), as click does.

Older typer versions (no `display_type_rich`) already show click's own help and are left as they are.
"""

from __future__ import annotations

import re
from typing import Any

_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "FILE",
          "directory": "FOLDER", "bool": ""}


def plain_type(label: str) -> str:
    """typer's `<list[str]>` / `<int>` / `<path>` as TEXT / INTEGER / PATH ('' for a bool)."""
    inner = label.strip().removeprefix("<").removesuffix(">").removesuffix("...")
    m = re.fullmatch(r"list\[(.*)\]", inner)
    if m:
        inner = m.group(1)
    return _WORDS.get(inner, inner.upper())


def install() -> None:
    try:
        from typer import core
    except ImportError:  # pragma: no cover - typer is a dependency
        return
    option_cls: Any = getattr(core, "TyperOption", None)
    argument_cls: Any = getattr(core, "TyperArgument", None)
    if option_cls is None or not hasattr(option_cls, "display_type_rich") or getattr(option_cls, "_ww_help", False):
        return
    original = option_cls.display_type
    # the argument's name (or metavar) is already in the first column: a type beside it says nothing more
    if argument_cls is not None and hasattr(argument_cls, "display_type_rich"):
        argument_cls.display_type_rich = lambda self, ctx: None

    def option_type(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        if self.metavar is not None:
            return str(self.metavar)
        return plain_type(str(original(self, ctx))) or None

    option_cls.display_type_rich = option_type
    if argument_cls is not None and hasattr(argument_cls, "_usage_display_name"):
        def usage_name(self: Any) -> str:
            name = str(self.metavar or self.name or "").upper()
            if self.nargs != 1 and not name.endswith("..."):
                name += "..."
            return name if self.required else f"[{name}]"

        argument_cls._usage_display_name = usage_name
    if argument_cls is not None and hasattr(argument_cls, "_rich_display_name"):
        def panel_name(self: Any) -> str:
            name = str(self.metavar or self.name or "").upper()
            return name + "..." if self.nargs != 1 and not name.endswith("...") else name

        argument_cls._rich_display_name = panel_name
        # the Arguments panel and "Missing argument 'RUN'" read this one
        argument_cls.display_name_raw = property(lambda self: str(self.metavar or self.name or "").upper())
    option_cls._ww_help = True
