"""A canary file with known findings, scanned in every batch.

If either scanner does not flag every expected rule on the canary, the scanner is not doing its job
(a broken install, rules that did not load, a path option that scanned nothing), and every "clean"
verdict of the batch would be a lie. :func:`check_canary` then raises :class:`ScanInvalid`.
"""

from __future__ import annotations

from weightwatch.scanners.base import Finding, ScanInvalid

CANARY_NAME = "ww_canary.py"

CANARY_SOURCE = '''\
"""weightwatch scanner canary: deliberately insecure, never executed."""
import os
import pickle


def canary_command(user_input):
    os.system("echo " + user_input)


def canary_load(blob):
    return pickle.loads(blob)


def canary_query(cur, name):
    cur.execute("SELECT * FROM t WHERE name = '%s'" % name)
'''

# rule ids each scanner must report on the canary
EXPECTED = {
    "bandit": {"B605", "B301", "B608"},
    "semgrep": {"ww-os-command-nonliteral", "ww-unsafe-deserialization", "ww-sql-string-built"},
}


def check_canary(tool: str, findings: list[Finding], expected: set[str] | None = None) -> None:
    """Raise ScanInvalid unless `findings` on the canary include every expected rule of `tool`."""
    want = expected if expected is not None else EXPECTED[tool]
    got = {f.rule for f in findings}
    missing = sorted(want - got)
    if missing:
        raise ScanInvalid(
            f"{tool} did not flag the canary file (missing {', '.join(missing)}); "
            "its findings for this batch cannot be trusted",
        )
