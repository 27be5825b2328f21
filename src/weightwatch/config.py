"""Where weightwatch keeps its data, and the user's `weightwatch.toml`.

- `WEIGHTWATCH_HOME` (default `~/.weightwatch`) holds `journal.sqlite` and the `models/` cache
  (`WEIGHTWATCH_MODELS` moves the model cache elsewhere, e.g. to share it between homes).
- `weightwatch.toml` is read from `$WEIGHTWATCH_CONFIG`, else `./weightwatch.toml`, else
  `$WEIGHTWATCH_HOME/weightwatch.toml`. Tables: `[targets.NAME]` (named targets with defaults, the
  *name* of the environment variable holding the API key, and prices), `[origins]` (extra
  organisation -> country entries for the ecosystem probe).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from weightwatch.errors import UserError

TOP_LEVEL_KEYS = ("targets", "origins")


def _folder(path: Path, variable: str) -> Path:
    """`path` (from `variable`) as an existing folder, created if needed; a file there or a folder that
    cannot be created is a one-line error."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{variable} points to '{path}', which is a file, not a folder",
                        f"point {variable} at a folder (it is created if missing) or unset it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{variable} folder '{path}' cannot be created ({exc.strerror})",
                        f"point {variable} at a folder you can write to") from exc
    return path


def home() -> Path:
    raw = os.environ.get("WEIGHTWATCH_HOME")
    return _folder(Path(raw).expanduser() if raw else Path.home() / ".weightwatch", "WEIGHTWATCH_HOME")


def journal_path() -> Path:
    return home() / "journal.sqlite"


def models_dir() -> Path:
    """Where assembled embedded models are cached: $WEIGHTWATCH_MODELS, else $WEIGHTWATCH_HOME/models."""
    raw = os.environ.get("WEIGHTWATCH_MODELS")
    return _folder(Path(raw).expanduser() if raw else home() / "models",
                   "WEIGHTWATCH_MODELS" if raw else "WEIGHTWATCH_HOME")


def config_path() -> Path | None:
    env = os.environ.get("WEIGHTWATCH_CONFIG")
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            raise UserError(f"WEIGHTWATCH_CONFIG points to '{p}', which is a folder",
                            "point it at a weightwatch.toml file or unset the variable")
        if not p.is_file():
            raise UserError(f"WEIGHTWATCH_CONFIG points to '{p}', which does not exist",
                            "fix the path or unset the variable")
        return p
    for candidate in (Path.cwd() / "weightwatch.toml", home() / "weightwatch.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed weightwatch.toml, or {} when there is none."""
    p = path or config_path()
    if p is None:
        return {}
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{p} is not valid TOML: {exc}", "fix the file (see README, 'Named targets')") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{p} is not UTF-8 text", "save the file as UTF-8") from exc
    except OSError as exc:
        raise UserError(f"cannot read {p}: {exc.strerror}", "check the file's permissions") from exc
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise UserError(f"{p}: unknown top-level key(s) {', '.join(unknown)}",
                        "weightwatch.toml holds [targets.NAME] tables and an [origins] table (see README, "
                        "'Named targets'); put target settings inside their [targets.NAME] table")
    targets = data.get("targets", {})
    if not isinstance(targets, dict) or any(not isinstance(v, dict) for v in targets.values()):
        raise UserError(f"{p}: [targets] must hold tables like [targets.NAME]", "see README, 'Named targets'")
    return data
