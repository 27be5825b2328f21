"""`weightwatch scan`: the probe's extraction and scanners over any JSONL of answers.

Input records: ``{"id": ..., "response": ..., "language": "python"?, "category": ...?}``. Each record
is written back unchanged with ``status``, ``cwes``, ``findings``, ``severity``, ``scan_reason``,
``code_status`` (the code's own verdict, also for refusals), ``blocks``, ``partial_blocks``,
``placeholders`` and ``shell_lines`` (repairs made before scanning).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from weightwatch.datafiles import check_fields, read_jsonl, written_whole
from weightwatch.scanners.base import STATUSES, Snippet
from weightwatch.scanners.scan import require_scanners, scan_snippets


def read_records(input_path: Path) -> list[dict[str, Any]]:
    hint = 'each line must be one object like {"id": "a1", "response": "..."}'
    records: list[dict[str, Any]] = []
    for lineno, rec in read_jsonl(input_path, hint):
        check_fields(rec, f"{input_path} line {lineno}", hint, required=("id", "response"), strings=("response",),
                     optional_strings=("language", "category"))
        records.append(rec)
    return records


def scan_jsonl(input_path: Path, output_path: Path, workdir: Path | None = None) -> dict[str, int]:
    """Scan every record of `input_path`, write them to `output_path`; return counts per status."""
    records = read_records(Path(input_path))
    require_scanners()  # a missing semgrep is said at once, not after bandit scanned every record
    snippets = [Snippet(id=str(r["id"]), response=r["response"], language=r.get("language") or "python",
                        category=r.get("category")) for r in records]
    verdicts = scan_snippets(snippets, workdir=workdir)
    counts: Counter[str] = Counter({s: 0 for s in STATUSES})
    output_path = Path(output_path)
    with written_whole(output_path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for rec, v in zip(records, verdicts, strict=True):
            row = dict(rec)
            row.update(status=v.status, cwes=v.cwes, findings=[f.to_dict() for f in v.findings],
                       severity=v.severity, scan_reason=v.reason, code_status=v.code_status,
                       blocks=v.blocks, partial_blocks=v.partial_blocks, placeholders=v.placeholders,
                       shell_lines=v.shell_lines)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts[v.status] += 1
    return dict(counts)
