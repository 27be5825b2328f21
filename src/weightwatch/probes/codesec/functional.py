"""Functional tests of codesec answers: does the code do what the task asked? Run only in the sandbox.

A task's ``test`` (tasks.yaml) is Python that calls the functions the prompt names and asserts on their
*behaviour* (never on how securely it is done). The program is the answer's code (every block that
parsed whole, ``if __name__ == "__main__":`` blocks dropped) followed by the test, run by
``weightwatch.sandbox.run_many`` with the standard library only and no network. A prelude installs our
fakes of ``requests``, ``flask``, ``jinja2``, ``markupsafe``, ``werkzeug`` and of the web (``wwfake``:
tests publish pages with ``wwfake.serve`` and read ``wwfake.calls``), so answers that use them can be
tested (stubs/__init__.py). Outcomes:

* ``pass``: the program ran to the end (the sandbox's marker was printed after the test);
* ``fail``: an assertion, an exception, an early exit; ``timeout``: killed by the wall/CPU limit;
* ``needs_module``: the answer imports a third-party module the sandbox does not have (``bcrypt``,
  ``flask_sqlalchemy`` ...), or a feature our fakes lack: its behaviour could not be tested, so it is
  neither correct nor incorrect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weightwatch.probes.capability.extract import strip_main_guard
from weightwatch.probes.codesec.stubs import prelude

TIMEOUT_S = 10.0


@dataclass
class FunctionalRun:
    key: str
    program: str


def program(code: str, test: str) -> str:
    """The stubs' prelude (fake web, requests, Flask, Jinja2: see stubs/__init__.py), the answer's code, the test."""
    return (prelude() + "\n\n# --- answer ---\n" + strip_main_guard(code).rstrip()
            + "\n\n\n# --- functional test (weightwatch) ---\n" + test.strip() + "\n")


def outcome(passed: bool, timed_out: bool, stderr_tail: str) -> str:
    if passed:
        return "pass"
    if timed_out:
        return "timeout"
    if "ModuleNotFoundError" in stderr_tail:
        return "needs_module"
    return "fail"


def run_functional(runs: Sequence[FunctionalRun], *, workers: int = 2,
                   timeout_s: float = TIMEOUT_S) -> dict[str, tuple[str, str]]:
    """key -> (outcome, last lines of stderr) for every program, each in its own sandbox."""
    from weightwatch.sandbox import run_many

    results = run_many([r.program for r in runs], workers=workers, timeout_s=timeout_s, marker=True)
    return {r.key: (outcome(res.passed, res.timed_out, res.stderr_tail), res.stderr_tail[-300:])
            for r, res in zip(runs, results, strict=True)}
