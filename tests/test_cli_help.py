"""Every command's --help reads naturally: flags without a type (`--fresh`, not `--fresh <bool>`), values by a
plain name (`-t TARGET`, not `-t <list[str]>`), arguments in capitals in the usage line (`export [OPTIONS]
RUN`, not `{run}`), and every parameter says what it means."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.clihelp import plain_type


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out = [(path, cmd)]
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        out.extend(_commands(sub, (*path, name)))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"", "run", "audit", "export", "judge censorship", "adoption snapshot", "modify refusal-direction"} <= names


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) or "weightwatch" for p, _ in COMMANDS])
def test_help_reads_naturally(path: tuple[str, ...], cmd: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\])>", text), text  # no Python types
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "[[" not in usage, usage
    for param in cmd.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)}: {param.name} has no help"
    if any(getattr(p, "is_flag", False) and p.name != "help" for p in cmd.params):
        flag = next(p for p in cmd.params if getattr(p, "is_flag", False) and p.name != "help")
        line = next(ln for ln in text.splitlines() if flag.opts[0] in ln)
        assert "bool" not in line.lower(), line


def test_run_help_shows_the_names_of_values() -> None:
    text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    for option, name in (("--target", "TARGET"), ("--timeout", "SECONDS"), ("--option", "PROBE.KEY=VALUE"),
                         ("--size", "SIZE"), ("--prompts", "FILE")):
        line = next(ln for ln in text.splitlines() if option + " " in ln)
        assert name in line, line
    assert "run [OPTIONS] PROBE..." in text


def test_plain_type() -> None:
    assert plain_type("<list[str]>") == "TEXT"
    assert plain_type("<int>") == "INTEGER"
    assert plain_type("<float>") == "NUMBER"
    assert plain_type("<path>") == "PATH"
    assert plain_type("<bool>") == ""
