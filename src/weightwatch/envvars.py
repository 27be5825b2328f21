"""The WEIGHTWATCH_* environment variables that take a value of a fixed form, read and checked in one place.

A bad value is never silently ignored: it is a one-line `UserError` naming the variable, the value and
the values allowed. `check_environment()` checks them all; the CLI calls it before any command and
`api.run_async` before a run, so a typo stops at once, not after an hour of generation (or, worse, a
run with the default silently used). An empty value counts as unset.

| variable | allowed | read by |
|---|---|---|
| WEIGHTWATCH_THREADS | a whole number >= 1 | targets/cpu.py (llama.cpp threads), judges/head.py (encoder workers) |
| WEIGHTWATCH_PARALLEL | a whole number >= 1 | targets/cpu.py (sequences decoded together) |
| WEIGHTWATCH_LLAMA_EXTRA_BUFTS | 0 or 1 | targets/cpu.py (llama.cpp weight repacking) |
| WEIGHTWATCH_CENSORSHIP_HEAD | 0 / off / no / false, or 1 / on / yes / true | judges/head.py (the learned head) |
| WEIGHTWATCH_ENCODER_CACHE | as WEIGHTWATCH_CENSORSHIP_HEAD | judges/encoder.py (vectors cached on disk) |
| WEIGHTWATCH_FAST_TOKENIZER | as WEIGHTWATCH_CENSORSHIP_HEAD | judges/encoder.py (word-by-word tokenizer) |
| WEIGHTWATCH_FAST_FORWARD | as WEIGHTWATCH_CENSORSHIP_HEAD | judges/encoder.py (forward pass with token rows kept) |
| WEIGHTWATCH_FORK_WORKERS | as WEIGHTWATCH_CENSORSHIP_HEAD | probes/censorship/scoring.py (forked judge workers) |
| WEIGHTWATCH_PROGRESS_INTERVAL | seconds > 0 | engine/progress.py (plain progress lines) |
| WEIGHTWATCH_MAX_RETRY_WAIT | seconds > 0 | engine/runner.py (longest Retry-After waited for; default 300) |
| WEIGHTWATCH_SANDBOX_SIMULATE | none | sandbox.py (simulate a host without isolation) |
| WEIGHTWATCH_BWRAP | a bubblewrap program (path or name on PATH) | sandbox.py |
| WEIGHTWATCH_SEMGREP_RULES | a folder of semgrep rule files | scanners/semgrep.py |

WEIGHTWATCH_HOME, WEIGHTWATCH_MODELS and WEIGHTWATCH_CONFIG are paths, checked by `config.py` where
they are used (a file where a folder belongs, a folder that cannot be created, a missing config file).
Standard library only: sandbox.py uses it, and the sandbox escape suite runs a copy of both as another user.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

from weightwatch.errors import UserError

SWITCH_OFF = ("0", "off", "no", "false")
SWITCH_ON = ("1", "on", "yes", "true")


def raw(name: str) -> str:
    """The variable's value, stripped ('' when unset)."""
    return os.environ.get(name, "").strip()


def whole_number(name: str, example: str) -> int | None:
    """A whole number >= 1, or None when unset."""
    value = raw(name)
    if not value:
        return None
    try:
        n = int(value)
    except ValueError:
        raise UserError(f"{name}={value!r} is not a whole number",
                        f"set it to a whole number of at least 1, e.g. {name}={example}, or unset it") from None
    if n < 1:
        raise UserError(f"{name}={value!r} must be at least 1", f"e.g. {name}={example}, or unset it")
    return n


def zero_or_one(name: str) -> bool | None:
    """0 -> False, 1 -> True, None when unset."""
    value = raw(name)
    if not value:
        return None
    if value not in ("0", "1"):
        raise UserError(f"{name}={value!r} is not allowed", f"set {name}=0 (off) or {name}=1 (on), or unset it")
    return value == "1"


def switch(name: str) -> bool | None:
    """0/off/no/false -> False, 1/on/yes/true -> True, None when unset. Lower case only, as judges/head.py
    reads WEIGHTWATCH_CENSORSHIP_HEAD ('OFF' would be read there as on, so it is refused here)."""
    value = raw(name)
    if not value:
        return None
    if value in SWITCH_OFF:
        return False
    if value in SWITCH_ON:
        return True
    raise UserError(f"{name}={value!r} is not allowed",
                    f"set it to one of {', '.join(SWITCH_OFF)} (off) or {', '.join(SWITCH_ON)} (on), or unset it")


def seconds(name: str, example: str) -> float | None:
    """A number of seconds above 0, or None when unset."""
    value = raw(name)
    if not value:
        return None
    try:
        s = float(value)
    except ValueError:
        s = math.nan
    if not (s > 0 and math.isfinite(s)):
        raise UserError(f"{name}={value!r} is not a number of seconds above 0",
                        f"e.g. {name}={example}, or unset it")
    return s


def choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = raw(name)
    if not value:
        return None
    if value not in allowed:
        raise UserError(f"{name}={value!r} is not allowed",
                        f"the only value{'s' if len(allowed) > 1 else ''} allowed: {', '.join(allowed)}; or unset it")
    return value


def program(name: str, what: str) -> str | None:
    """A program given by path or by a name on PATH, resolved; None when unset."""
    value = raw(name)
    if not value:
        return None
    found = shutil.which(value)
    if found is None:
        raise UserError(f"{name}={value!r} is not a program that can be run",
                        f"point it at the {what} executable, or unset it to use the one on PATH")
    return found


def folder(name: str, what: str) -> Path | None:
    value = raw(name)
    if not value:
        return None
    p = Path(value).expanduser()
    if not p.is_dir():
        raise UserError(f"{name}={value!r} is not a folder", f"point it at a folder of {what}, or unset it")
    return p


# every WEIGHTWATCH_* variable weightwatch reads: the module's table (tests/test_envvars.py keeps every
# variable of src/ in it) and the three paths
KNOWN = (*re.findall(r"^\| (WEIGHTWATCH_[A-Z_]+) \|", __doc__ or "", re.M),
         "WEIGHTWATCH_HOME", "WEIGHTWATCH_MODELS", "WEIGHTWATCH_CONFIG")


def unknown_variables() -> list[str]:
    """One warning line per set WEIGHTWATCH_* variable that weightwatch does not read (a typo, THREAD for
    THREADS, was silently ignored), with the known name it is closest to."""
    import difflib

    lines = []
    for name in sorted(os.environ):
        if name.startswith("WEIGHTWATCH_") and name not in KNOWN:
            prefix = len("WEIGHTWATCH_")  # compared without it: every name shares it
            close = difflib.get_close_matches(name[prefix:], [k[prefix:] for k in KNOWN], n=1, cutoff=0.75)
            lines.append(f"{name} is not a weightwatch variable and is ignored"
                         + (f"; did you mean WEIGHTWATCH_{close[0]}?" if close else
                            " (the variables: src/weightwatch/envvars.py)"))
    return lines


def check_environment() -> None:
    """Check every WEIGHTWATCH_* variable of a fixed form (the table above); raise on the first bad one."""
    whole_number("WEIGHTWATCH_THREADS", "2")
    whole_number("WEIGHTWATCH_PARALLEL", "4")
    zero_or_one("WEIGHTWATCH_LLAMA_EXTRA_BUFTS")
    switch("WEIGHTWATCH_CENSORSHIP_HEAD")
    switch("WEIGHTWATCH_ENCODER_CACHE")
    switch("WEIGHTWATCH_FAST_TOKENIZER")
    switch("WEIGHTWATCH_FAST_FORWARD")
    switch("WEIGHTWATCH_FORK_WORKERS")
    seconds("WEIGHTWATCH_PROGRESS_INTERVAL", "30")
    seconds("WEIGHTWATCH_MAX_RETRY_WAIT", "900")
    choice("WEIGHTWATCH_SANDBOX_SIMULATE", ("none",))
    program("WEIGHTWATCH_BWRAP", "bubblewrap (bwrap)")
    folder("WEIGHTWATCH_SEMGREP_RULES", "semgrep rule files (*.yaml)")
