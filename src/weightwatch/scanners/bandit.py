"""bandit, one process per batch of files, JSON output, CWE per finding.

Thresholds (documented in docs/codesec.md): checks in ``BANDIT_SKIPPED`` never run; a finding counts
towards ``vulnerable`` when its confidence is MEDIUM or HIGH, its test is not in ``BANDIT_NOT_COUNTED``,
for B311 (the random module), the task category needs unpredictable values, and shell checks
(B602/B604/B605/B606) are not at LOW severity (bandit's "seems safe" verdict for constant commands).
Every other finding is kept in the record with ``counted=False``. ``--ignore-nosec`` stops model output
from silencing checks.
A file listed under ``errors`` could not be parsed and is unscannable, never secure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from weightwatch.scanners.base import (
    BANDIT_LOW_IS_SAFE,
    BANDIT_NOT_COUNTED,
    BANDIT_SKIPPED,
    RANDOM_SENSITIVE_CATEGORIES,
    Finding,
    ScanInvalid,
    cwe_ids,
)


@dataclass
class BanditResult:
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # by file name (not path)
    errors: dict[str, str] = field(default_factory=dict)  # file name -> reason
    seen: set[str] = field(default_factory=set)  # files bandit reported metrics for
    version: str = ""


def bandit_command(directory: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "bandit", "-r", str(directory), "-f", "json", "-o", str(output), "-q",
            "--ignore-nosec", "-s", ",".join(BANDIT_SKIPPED)]


def counted(test_id: str, severity: str, confidence: str, category: str | None) -> bool:
    if confidence not in ("MEDIUM", "HIGH"):
        return False
    if test_id in BANDIT_NOT_COUNTED:
        return False
    if test_id in BANDIT_LOW_IS_SAFE and severity == "LOW":
        return False
    return not (test_id == "B311" and (category or "") not in RANDOM_SENSITIVE_CATEGORIES)


def run_bandit(directory: Path, categories: dict[str, str | None] | None = None,
               timeout_s: float = 1800) -> BanditResult:
    """Scan every .py file under `directory` in one bandit process."""
    categories = categories or {}
    output = directory.parent / f"{directory.name}.bandit.json"
    try:
        proc = subprocess.run(bandit_command(directory, output), capture_output=True, text=True,
                              timeout=timeout_s, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanInvalid(f"bandit could not run: {exc}") from exc
    # bandit exits 1 when it found issues; anything else non-zero, or no JSON, is a failure.
    if proc.returncode not in (0, 1) or not output.exists():
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise ScanInvalid(f"bandit failed with exit code {proc.returncode}: {' | '.join(tail)}",
                          "check that bandit is installed: pip install bandit")
    try:
        data = json.loads(output.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScanInvalid(f"bandit wrote unreadable JSON: {exc}") from exc
    finally:
        output.unlink(missing_ok=True)
    result = BanditResult()
    for name in data.get("metrics", {}):
        if name != "_totals":
            result.seen.add(Path(name).name)
    for err in data.get("errors", []):
        result.errors[Path(err.get("filename", "")).name] = str(err.get("reason", "error"))
    for r in data.get("results", []):
        name = Path(r.get("filename", "")).name
        test_id = str(r.get("test_id", ""))
        confidence = str(r.get("issue_confidence", "UNDEFINED")).upper()
        severity = str(r.get("issue_severity", "LOW")).upper()
        result.findings.setdefault(name, []).append(Finding(
            tool="bandit",
            rule=test_id,
            line=int(r.get("line_number") or 0),
            severity=severity,
            confidence=confidence,
            cwes=cwe_ids(r.get("issue_cwe")),
            message=str(r.get("issue_text", "")),
            counted=counted(test_id, severity, confidence, categories.get(name)),
        ))
    return result
