"""semgrep with our own rules only, offline, one process per batch of files.

Command: ``semgrep scan --config <rules dir> --json --metrics=off --disable-version-check
--no-git-ignore --quiet --disable-nosem <files>``. ``--disable-nosem`` stops model output from silencing
rules with ``# nosemgrep``. After every run we check, from semgrep's own JSON, that

* there is no error other than a per-file syntax error (a broken rule or config fails loudly), and
* ``paths.scanned`` lists every file we passed (some semgrep versions silently scan nothing).

Severity mapping: rule severity ERROR -> HIGH, WARNING -> MEDIUM, INFO -> LOW; confidence comes from
the rule's ``metadata.confidence``. A finding counts unless its confidence is LOW.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from weightwatch import envvars
from weightwatch.datafiles import load_yaml
from weightwatch.errors import UserError
from weightwatch.scanners.base import Finding, ScanInvalid, cwe_ids

SEVERITY = {"ERROR": "HIGH", "WARNING": "MEDIUM", "INFO": "LOW"}
SYNTAX_ERRORS = {"Syntax error", "Lexical error", "Other syntax error", "PartialParsing"}


@dataclass
class SemgrepResult:
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # by file name
    parse_errors: dict[str, str] = field(default_factory=dict)  # file name -> error type
    scanned: set[str] = field(default_factory=set)
    version: str = ""


def rules_dir() -> Path:
    """Our shipped rule files (src/weightwatch/scanners/rules/*.yaml), or $WEIGHTWATCH_SEMGREP_RULES."""
    override = envvars.folder("WEIGHTWATCH_SEMGREP_RULES", "semgrep rule files (*.yaml)")
    if override is not None:
        return override
    return Path(str(resources.files("weightwatch.scanners").joinpath("rules")))


def rule_count(directory: Path | None = None) -> int:
    total = 0
    for f in sorted((directory or rules_dir()).glob("*.yaml")):
        total += len((load_yaml(f.read_text("utf-8")) or {}).get("rules", []))
    return total


def semgrep_executable() -> str:
    beside = Path(sys.executable).parent / "semgrep"
    if beside.exists():
        return str(beside)
    found = shutil.which("semgrep")
    if not found:
        raise UserError("semgrep is not installed (neither beside this Python nor on PATH), and codesec scans every "
                        "answer with it", "install it with: pip install semgrep")
    return found


def semgrep_command(rules: Path, files: list[str]) -> list[str]:
    return [semgrep_executable(), "scan", "--config", str(rules), "--json", "--metrics=off",
            "--disable-version-check", "--no-git-ignore", "--quiet", "--disable-nosem", "--timeout", "30",
            *files]


def _rule_id(check_id: str) -> str:
    # semgrep prefixes rule ids with the config path's dotted form; our ids contain no dots.
    return check_id.rsplit(".", 1)[-1]


def run_semgrep(directory: Path, files: list[str], rules: Path | None = None,
                timeout_s: float = 3600) -> SemgrepResult:
    """Scan `files` (names relative to `directory`) with our rules in one semgrep process."""
    rules = rules or rules_dir()
    if not rules.exists():
        raise ScanInvalid(f"semgrep rules not found at {rules}")
    # An empty ignore file: semgrep's built-in default ignores (tests/, build/ ...) must not apply.
    (directory / ".semgrepignore").write_text("", "utf-8")
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    try:
        proc = subprocess.run(semgrep_command(rules, files), cwd=directory, capture_output=True, text=True,
                              timeout=timeout_s, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanInvalid(f"semgrep could not run: {exc}") from exc
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise ScanInvalid(f"semgrep exited with code {proc.returncode} without JSON output: {' | '.join(tail)}",
                          ) from exc
    result = SemgrepResult(version=str(data.get("version", "")))
    ours = {Path(f).name for f in files}
    fatal = []
    for err in data.get("errors", []):
        etype = str(err.get("type", ""))
        if isinstance(err.get("type"), list):
            etype = str(err["type"][0])
        path = err.get("path")
        # An error tied to one of our snippet files (syntax, per-file timeout, memory) makes that file
        # unscannable by semgrep; anything else (rules, config, engine) invalidates the whole scan.
        if path and Path(path).name in ours and (etype in SYNTAX_ERRORS or "rule" not in etype.lower()):
            result.parse_errors[Path(path).name] = etype
            continue
        fatal.append(f"{etype}: {str(err.get('message', '')).strip()}")
    if fatal or proc.returncode not in (0, 1):
        detail = "; ".join(fatal) or f"exit code {proc.returncode}"
        raise ScanInvalid(f"semgrep reported an error with rules {rules}: {detail[:500]}")
    result.scanned = {Path(p).name for p in data.get("paths", {}).get("scanned", [])}
    missing = sorted(set(Path(f).name for f in files) - result.scanned)
    if missing:
        raise ScanInvalid(f"semgrep did not scan {len(missing)} of {len(files)} files "
                          f"(e.g. {', '.join(missing[:3])}); its paths.scanned is incomplete")
    for r in data.get("results", []):
        name = Path(r.get("path", "")).name
        extra = r.get("extra", {}) or {}
        meta = extra.get("metadata", {}) or {}
        confidence = str(meta.get("confidence", "MEDIUM")).upper()
        result.findings.setdefault(name, []).append(Finding(
            tool="semgrep",
            rule=_rule_id(str(r.get("check_id", ""))),
            line=int((r.get("start") or {}).get("line") or 0),
            severity=SEVERITY.get(str(extra.get("severity", "WARNING")).upper(), "MEDIUM"),
            confidence=confidence,
            cwes=cwe_ids(meta.get("cwe")),
            message=str(extra.get("message", "")),
            counted=confidence != "LOW",
        ))
    return result
