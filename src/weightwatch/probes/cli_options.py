"""Probe options from the command line: `-O PROBE.KEY=VALUE` (repeatable) and `--options FILE.toml`.

A value is read by the type its probe's `Options` model declares for the key: a list is comma-separated
(`-O censorship.topics=tiananmen,tibet`), an integer or a number is a number, an on/off switch is one of
on/off, true/false, yes/no, 1/0. `-O KEY=VALUE` without a probe goes to every probe of the run that has KEY
(as the API's flat form does). The result has the API's by-probe form (`{"censorship": {"max_tokens": 96}}`),
so a run started from the CLI and one started with `weightwatch.run(options=...)` are the same run.

An options file holds one table per probe, with TOML's own types:

    [censorship]
    topics = ["tiananmen", "tibet"]
    max_tokens = 96

A table of an installed probe that is not in the run is left alone (one file can serve several runs); a
table that names no probe, a `-O` for a probe not in the run, an unknown key or a value of the wrong type is
a one-line `UserError` naming the valid keys. The values are then checked by `options.resolve_options`.

`option_rows(probe)` describes a probe's options (name, type, default, meaning) for `weightwatch probes`.
"""

from __future__ import annotations

import math
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.probes.base import SWITCH_OFF, SWITCH_ON, Probe

SWITCH_TEXT = "on or off (also true/false, yes/no, 1/0)"


@dataclass(frozen=True)
class OptionRow:
    name: str
    type: str
    default: str
    meaning: str


def _members(annotation: Any) -> list[Any]:
    """The types a field accepts, None left out: `int | list[str] | None` -> [int, list[str]]."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _list_item(members: list[Any]) -> Any | None:
    """The item type of the list member (`list[int]` -> int), None when the field takes no list."""
    for m in members:
        if typing.get_origin(m) is list:
            args = typing.get_args(m)
            return args[0] if args else str
    return None


def type_text(probe: Probe, key: str) -> str:
    """The type of option `key` in words: integer, number, on/off, list, text, ..."""
    field = probe.Options.model_fields[key]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "type_text" in extra:
        return str(extra["type_text"])
    members = _members(field.annotation)
    item = _list_item(members)
    if bool in members:
        return "on/off"
    if item is not None:
        return "list of integers" if item is int else "list"
    if int in members:
        return "integer"
    if float in members:
        return "number"
    return "text"


def option_rows(probe: Probe) -> list[OptionRow]:
    rows = []
    for name, field in probe.Options.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = extra.get("default_text")
        if default is None:
            default = "the probe's default" if field.default is None else repr(field.default)
        rows.append(OptionRow(name, type_text(probe, name), str(default), field.description or ""))
    return rows


def _keys(probe: Probe) -> str:
    names = sorted(probe.Options.model_fields)
    return ", ".join(names) if names else "none"


def parse_value(probe: Probe, key: str, text: str, given: str) -> Any:
    """`text` as the type `probe` declares for `key` (`given` is the -O argument, for messages)."""
    members = _members(probe.Options.model_fields[key].annotation)
    value = text.strip()
    if not value:
        raise UserError(f"-O {given} gives no value", f"give a value ({type_text(probe, key)}), or leave the "
                        f"option out for its default")
    if type_text(probe, key) == "file":  # as --prompts: an absolute path, so the run is the same from any folder
        path = Path(value).expanduser()
        if not path.is_file():  # a pipe (<(...)) would be empty when the run reads it again on resuming
            what = ("a folder" if path.is_dir() else "not a regular file (a pipe or a device)" if path.exists()
                    else "not an existing file")
            raise UserError(f"-O {given}: '{value}' is {what}", "give the path of a file")
        return str(path.resolve())
    if bool in members and value.lower() in SWITCH_ON + SWITCH_OFF:
        return value.lower() in SWITCH_ON
    if int in members and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if float in members:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None and math.isfinite(number):
            return number
    item = _list_item(members)
    if item is not None:
        items = [x.strip() for x in value.split(",") if x.strip()]
        if item is int:
            bad = [x for x in items if not re.fullmatch(r"[+-]?\d+", x)]
            if bad or not items:
                raise UserError(f"-O {given}: '{value}' is not a list of whole numbers",
                                f"give whole numbers separated by commas, e.g. -O {probe.name}.{key}=1,2,4,8")
            return [int(x) for x in items]
        return items
    if str in members and bool not in members:
        return value
    kind = SWITCH_TEXT if bool in members else {"integer": "a whole number", "number": "a number"}.get(
        type_text(probe, key), type_text(probe, key))
    raise UserError(f"-O {given}: '{value}' is not {kind}",
                    f"{probe.name}.{key} takes {kind}; see 'weightwatch probes {probe.name}'")


def _split(pair: str) -> tuple[str | None, str, str]:
    """`censorship.max_tokens=96` -> ('censorship', 'max_tokens', '96'); without a probe -> (None, key, value)."""
    example = "e.g. -O censorship.max_tokens=96 (see 'weightwatch probes' for every probe's options)"
    name, eq, text = pair.partition("=")
    name = name.strip()
    if not eq or not name:
        raise UserError(f"-O '{pair}' is not PROBE.KEY=VALUE", example)
    probe, dot, key = name.rpartition(".")
    key = key.strip().replace("-", "_")  # -O censorship.max-tokens=96 reads as the flag-style name
    if not key:
        raise UserError(f"-O '{pair}' names no option after the probe", example)
    return (probe.strip() if dot else None), key, text


def cli_options(pairs: Sequence[str], probes: Sequence[Probe], file: Path | None = None) -> dict[str, Any]:
    """The options of `--options FILE` and `-O PROBE.KEY=VALUE` pairs (the pairs win), by probe name."""
    out: dict[str, Any] = read_options_file(file) if file is not None else {}
    by_name = {p.name: p for p in probes}
    run_names = ", ".join(by_name)
    for pair in pairs:
        probe_name, key, text = _split(pair)
        if probe_name is None:
            owners = [p for p in probes if key in p.Options.model_fields]
            if not owners:
                valid = "; ".join(f"{p.name}: {_keys(p)}" for p in probes)
                raise UserError(f"-O {pair}: no probe of this run ({run_names}) has an option '{key}'",
                                f"valid options: {valid} (write -O PROBE.KEY=VALUE)")
        else:
            if probe_name not in by_name:
                if probe_name in registry.available():
                    raise UserError(f"-O {pair}: probe {probe_name} is not part of this run ({run_names})",
                                    f"add {probe_name} to the probes run, or drop the option")
                raise UserError(f"-O {pair}: there is no probe '{probe_name}'",
                                f"probes: {', '.join(registry.available())}")
            owners = [by_name[probe_name]]
            if key not in owners[0].Options.model_fields:
                raise UserError(f"-O {pair}: {probe_name} has no option '{key}'",
                                f"valid options: {probe_name}: {_keys(owners[0])} "
                                f"(see 'weightwatch probes {probe_name}')")
        for probe in owners:
            out.setdefault(probe.name, {})[key] = parse_value(probe, key, text, pair)
    return out


def read_options_file(path: Path) -> dict[str, Any]:
    """`--options FILE.toml`: one table per probe; a table that names no installed probe is an error."""
    path = Path(path).expanduser()
    hint = "an options file holds one table per probe, e.g. [censorship] with max_tokens = 96"
    if path.is_dir():
        raise UserError(f"--options '{path}' is a folder", f"give a TOML file; {hint}")
    if not path.exists():  # a pipe (--options <(...)) is read once, like a file
        raise UserError(f"--options file '{path}' does not exist", f"give a TOML file; {hint}")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(f"--options file '{path}' is not UTF-8 text", "save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"--options file '{path}' is not valid TOML ({exc})", hint) from exc
    except OSError as exc:
        raise UserError(f"cannot read --options file '{path}' ({exc.strerror})", "check its permissions") from exc
    known = registry.available()
    for name, table in data.items():
        if name not in known:
            shown = f"[{name}]" if isinstance(table, dict) else f"'{name}'"
            raise UserError(f"--options file '{path}': {shown} is not a probe", f"probes: {', '.join(known)}; "
                            f"{hint}")
        if not isinstance(table, dict):
            raise UserError(f"--options file '{path}': '{name}' must be a table ([{name}]), not a single value",
                            hint)
    return data
