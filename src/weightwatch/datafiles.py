"""Reading our own data files and the user's JSONL files: one YAML loader, one JSONL reader.

- `package_yaml(package, path)`: a YAML file shipped inside the package (probe datasets, rules,
  origins), parsed with the safe loader and cached. A broken file is a bug of the package, so it raises.
- `read_jsonl(path, hint)`: a user's JSONL file as `(line number, object)` pairs; a missing file, a
  non-UTF-8 file, a folder, a file with no records, a line that is not JSON or not an object raise a
  one-line `UserError` naming the line.
- `check_fields(rec, where, hint, ...)`: the keys and string fields of one JSONL record, one line per problem.
- `output_file(path, option)`: an output path checked before any work (folder exists or can be made,
  writable, not itself a folder); `is_stdout(path)`: the path is `-`, standard output.
- `written_whole(path)`: write an output file whole or not at all (a scratch file beside it, renamed when
  complete), so that a Ctrl-C or an error never leaves half a file under the user's name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from weightwatch.errors import UserError, no_lone_surrogates

YAMLError = yaml.YAMLError
# libyaml's safe loader where PyYAML was built with it (the wheels are): about 10x faster on the censorship
# dataset (its 19 files took 1.7 s with the pure-Python one, before any answer was judged); same result
# (tests/test_datafiles.py compares both on every YAML file of the package)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader (never constructs Python objects)."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 -- a safe loader (libyaml's or PyYAML's)


@cache
def package_yaml(package: str, path: str) -> Any:
    """The parsed YAML file `path` (relative, e.g. "data/items.yaml") of `package`."""
    return load_yaml(resources.files(package).joinpath(path).read_text("utf-8"))


def read_jsonl(path: Path, hint: str, *, what: str = "input file") -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank line of a JSONL file as (line number, JSON object)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder", "pass a JSONL file with --input")
    if not path.exists():  # a pipe (-i <(jq ...), -i /dev/stdin) is read like a file: it is read once
        raise UserError(f"{what} {path} does not exist", "pass a JSONL file with --input")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text", "save the file as UTF-8") from exc
    except OSError as exc:
        raise UserError(f"cannot read {what} {path} ({exc.strerror})", "check the file's permissions") from exc
    records = parse_jsonl_lines(lines, str(path), hint)
    if not records:
        raise UserError(f"{what} {path} holds no records (it is empty)", hint)
    return records


_SURROGATE = re.compile("[\ud800-\udfff]")  # as errors.no_lone_surrogates replaces


def parse_jsonl_lines(lines: list[str], where: str, hint: str) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            # a "\ud800" escape could not be written back as UTF-8; a parsed string holds a lone surrogate only
            # from a \u escape or one already in the line, so other lines skip the walk (BENCHMARKS.md 6m)
            if "\\u" in line or _SURROGATE.search(line) is not None:
                rec = no_lone_surrogates(rec)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where} line {lineno} is not valid JSON ({exc.msg})", hint) from exc
        if not isinstance(rec, dict):
            raise UserError(f"{where} line {lineno} is not a JSON object", hint)
        out.append((lineno, rec))
    return out


def check_fields(rec: dict[str, Any], where: str, hint: str, *, required: tuple[str, ...] = (),
                 strings: tuple[str, ...] = (), optional_strings: tuple[str, ...] = ()) -> None:
    """One record of a user's JSONL file (`where` is e.g. "answers.jsonl line 3"): each `required` key present
    (a missing one is named with the keys the line has, so a file with other column names is recognised),
    each of `strings` a string, each of `optional_strings` a string or null. A problem is a one-line
    `UserError`."""
    for key in required:
        if key not in rec:
            keys = ", ".join(repr(k) for k in list(rec)[:8]) + (", ..." if len(rec) > 8 else "")
            raise UserError(f"{where} has no '{key}' (its keys: {keys or 'none'})", hint)
    for key in strings:
        if not isinstance(rec[key], str):
            raise UserError(f"{where}: '{key}' must be a string, not {_json_type(rec[key])}", hint)
    for key in optional_strings:
        if rec.get(key) is not None and not isinstance(rec[key], str):
            raise UserError(f"{where}: '{key}' must be a string or null, not {_json_type(rec[key])}", hint)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(type(value), "null")


def output_file(path: Path, option: str, *, folder_ok: bool = False, input_file: Path | None = None) -> Path:
    """Check, before any work is done, that `path` (given with `option`, e.g. "--output") can be written:
    its folder exists or can be created and is writable, it is not a folder itself (unless `folder_ok`:
    the command then writes a file of its own name inside), and it is not `input_file` (the command's
    --input, which writing would replace). Returns the path; a problem is a `UserError`."""
    import os

    path = Path(path).expanduser()
    kept = _own_file(path)
    if kept is not None:
        raise UserError(f"{option} '{path}' is {kept}, which writing would destroy",
                        "choose another file name")
    if input_file is not None and path.is_file() and Path(input_file).is_file() and path.samefile(input_file):
        raise UserError(f"{option} '{path}' is the --input file", "write to another file, so that the input "
                        f"is kept, e.g. {option} {path.with_name(path.stem + '.out' + path.suffix)}")
    if path.is_dir():
        if not folder_ok:
            raise UserError(f"{option} '{path}' is a folder", f"give a file name, e.g. {option} {path / 'out'}")
        folder = path
    else:
        folder = path.parent
        if path.exists() and not os.access(path, os.W_OK):
            raise UserError(f"{option} '{path}' cannot be written (permission denied)",
                            "choose another file or fix its permissions")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{option} '{path}': its folder '{folder}' cannot be created ({exc.strerror})",
                        "choose a path in a folder you can write to") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{option} '{path}': the folder '{folder}' is not writable",
                        "choose a path in a folder you can write to")
    import tempfile

    try:  # os.access says yes to root everywhere, even on /proc or a read-only mount: try it
        fd, probe = tempfile.mkstemp(prefix=".weightwatch-write-check-", dir=folder)
    except OSError as exc:
        raise UserError(f"{option} '{path}': the folder '{folder}' is not writable ({exc.strerror or exc})",
                        "choose a path in a folder you can write to") from exc
    os.close(fd)
    os.unlink(probe)
    return path


def _own_file(path: Path) -> str | None:
    """What `path` is when it is one of weightwatch's own files (the journal, its SQLite side files, the
    weightwatch.toml in use), else None: `export latest -o ~/.weightwatch/journal.sqlite` overwrote every run."""
    from weightwatch.config import config_path, journal_path

    try:
        journal = journal_path().resolve()
        config = config_path()
    except UserError:  # a bad WEIGHTWATCH_HOME / WEIGHTWATCH_CONFIG is said by the command itself
        return None
    own = {journal: "the weightwatch journal"}
    for side in ("-wal", "-shm", "-journal"):
        own[journal.with_name(journal.name + side)] = "a file of the weightwatch journal"
    if config is not None:
        own[config.resolve()] = "the weightwatch configuration file"
    try:
        target = path.resolve()
    except OSError:
        return None
    return own.get(target)


def format_name(value: str, allowed: tuple[str, ...], what: str) -> str:
    """An output format named on the command line, in any case (`-f HTML` is `html`), as one of `allowed`;
    another name is a one-line error listing them. `what` names the option in the message (e.g. "--format",
    "report format")."""
    name = value.strip().lower()
    if name not in allowed:
        names = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
        raise UserError(f"unknown {what} '{value}'", f"use {names}")
    return name


def is_stdout(path: Path | None) -> bool:
    """`-o -`: write to standard output (for pipes: `weightwatch export RUN -o - | jq`), not to a file named "-"."""
    return path is not None and str(path) == "-"


def format_for(value: str | None, output: Path | None, allowed: tuple[str, ...], what: str,
               suffixes: dict[str, str]) -> str:
    """The format named with --format, else the one the --output file's suffix names (`-o run.csv` is csv,
    `-o report.html` html: it wrote jsonl or a terminal table under those names), else the first of `allowed`."""
    if value is not None:
        return format_name(value, allowed, what)
    if output is not None and not is_stdout(output) and not output.is_dir():
        return suffixes.get(output.suffix.lower(), allowed[0])
    return allowed[0]


def comma_list(value: str | None, option: str, example: str) -> list[str] | None:
    """A comma-separated option (`--languages en,zh-Hans`) as its items; None when the option is not given.
    Given but naming nothing (`--languages ""`, `--languages ,`) is a one-line error: it used to be read as
    not given, so the run silently used every language."""
    if value is None:
        return None
    items = [x.strip() for x in value.split(",") if x.strip()]
    if not items:
        raise UserError(f"{option} names nothing ({value!r})", f"e.g. {option} {example}, or leave {option} out")
    return items


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """A scratch path beside `path` to write to; renamed to `path` when the block ends normally, removed when
    it raises (KeyboardInterrupt too): `path` is then as it was before the command. A `path` that exists and
    is not a plain file (/dev/null, a FIFO, a symbolic link) is written in place: a rename would replace it."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        if path.exists():  # keep the file's permissions (a 0600 export stays private)
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
