"""Exports: every response of a run with its prompt, target fingerprint, label or status and scores.

jsonl keeps nested values (messages, meta, scores) as JSON; csv and parquet carry them as JSON text
columns so that every format has the same flat columns. Parquet needs pyarrow (the `parquet` extra).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal

from weightwatch.datafiles import format_name, written_whole
from weightwatch.errors import MissingDependency, UserError
from weightwatch.report.summary import prompt_text
from weightwatch.types import RunSummary, ScoredSample

Format = Literal["jsonl", "csv", "parquet"]
FORMATS = ("jsonl", "csv", "parquet")

COLUMNS = ["run_id", "target", "target_id", "model", "model_sha256", "probe", "item_id", "variant", "sample_index",
           "status", "label", "value", "scorer", "topic", "language", "condition", "prompt", "response",
           "reasoning", "error", "finish_reason", "prompt_tokens", "completion_tokens", "ttft_s", "total_s",
           "messages", "params", "meta", "scores", "digest"]
NESTED = {"messages", "params", "meta", "scores"}


def export_record(ss: ScoredSample, run_id: str, summary: RunSummary | None = None) -> dict[str, Any]:
    s = ss.sample
    c = s.completion
    meta = s.planned.meta or {}
    fp = None
    if summary is not None:
        fp = next((t.fingerprint for t in summary.targets if t.label == s.target_label), None)
    primary = next((sc for sc in ss.scores if sc.label is not None), ss.scores[0] if ss.scores else None)
    scoring_error = ss.scoring_error
    return {
        "run_id": run_id,
        "target": s.target_label,
        "target_id": s.key.target_id,
        "model": fp.name if fp else None,
        "model_sha256": fp.sha256 if fp else None,
        "probe": s.key.probe,
        "item_id": s.key.item_id,
        "variant": s.key.variant,
        "sample_index": s.key.sample_index,
        # a sample whose scoring raised carries an "error" score: no verdict, the reason in `error`
        "status": "error" if c.error else ("scoring_error" if scoring_error else "scored" if ss.scores
                                           else "unscored"),
        "label": primary.label if primary else None,
        "value": primary.value if primary else None,
        "scorer": primary.scorer if primary else None,
        "topic": meta.get("topic"),
        "language": meta.get("language"),
        "condition": meta.get("condition") or meta.get("arm"),
        "prompt": prompt_text(ss),
        "response": c.text,
        "reasoning": c.reasoning,
        "error": c.error or (f"scoring failed: {scoring_error}" if scoring_error else None),
        "finish_reason": c.finish_reason,
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "ttft_s": c.ttft_s,
        "total_s": c.total_s,
        "messages": [m.model_dump() for m in s.planned.request.messages],
        "params": s.planned.request.params(),
        "meta": meta,
        "scores": [sc.model_dump(exclude={"sample_digest"}) for sc in ss.scores],
        "digest": s.key.digest(),
    }


def _records(journal: Any, run_id: str) -> Iterator[dict[str, Any]]:
    try:
        summary: RunSummary | None = journal.summary(run_id)
    except UserError:
        summary = None  # an unfinished run still exports its responses
    for ss in journal.scored_samples(run_id):
        if ss.sample.key.probe == "judge":
            continue
        yield export_record(ss, run_id, summary)


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False, default=str) if k in NESTED else v) for k, v in rec.items()}


def export_run(journal: Any, run_id: str, fmt: str, path: Path | None) -> int:
    """Write every response of run `run_id` ('latest' or an id prefix) to `path` (None: standard output, for
    `weightwatch export RUN -o - | jq`); returns the row count."""
    fmt = format_name(fmt, FORMATS, "export format")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise MissingDependency("pyarrow", "parquet") from exc
    run_id = journal.resolve_run(run_id)
    records = _records(journal, run_id)
    if path is None:
        if fmt == "parquet":
            return _write_parquet(records, sys.stdout.buffer)
        stream = sys.stdout
        n = _write_jsonl(records, stream) if fmt == "jsonl" else _write_csv(records, stream)
        stream.flush()
        return n
    path = Path(path)
    if path.is_dir():
        path = path / f"weightwatch-{run_id}.{fmt}"
    with written_whole(path) as tmp:  # stopped half-way, it leaves no half export under the user's name
        if fmt == "parquet":
            return _write_parquet(records, tmp)
        with tmp.open("w", encoding="utf-8", newline="" if fmt == "csv" else None) as fh:
            return _write_jsonl(records, fh) if fmt == "jsonl" else _write_csv(records, fh)


def _write_jsonl(records: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    n = 0
    for rec in records:
        fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def _write_csv(records: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    writer = csv.DictWriter(fh, fieldnames=COLUMNS)
    writer.writeheader()
    n = 0
    for rec in records:
        writer.writerow(_flat(rec))
        n += 1
    return n


def _write_parquet(records: Iterator[dict[str, Any]], where: Path | IO[bytes]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [_flat(r) for r in records]
    schema = pa.schema([
        (c, pa.int64() if c in ("sample_index", "prompt_tokens", "completion_tokens")
         else pa.float64() if c in ("value", "ttft_s", "total_s") else pa.string())
        for c in COLUMNS])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), where)
    return len(rows)
