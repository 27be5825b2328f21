"""A journal written by the previous schema (version 1, a real one: tests/engine/fixtures/journal_v1.sql was
dumped from a run of weightwatch at commit ae67f04) opens, is migrated in place, keeps every row, and its
answers are reused by a new run: the request hash did not change under it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.engine.scripted import ScriptedTarget
from weightwatch.api import run
from weightwatch.engine.journal import MIGRATIONS, SCHEMA_VERSION, Journal
from weightwatch.errors import UserError

FIXTURE = Path(__file__).parent / "fixtures" / "journal_v1.sql"


def _v1_journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path)
    db.executescript(FIXTURE.read_text("utf-8"))
    db.close()
    return path


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def test_migrations_are_numbered_in_order_up_to_the_schema_version() -> None:
    versions = [v for v, _ in MIGRATIONS]
    assert versions == sorted(versions) and versions == list(range(2, SCHEMA_VERSION + 1))


def test_a_version_1_journal_is_migrated_and_keeps_everything(tmp_path: Path) -> None:
    path = _v1_journal(tmp_path)
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    assert "columns_json" not in _columns(raw, "score_marks")
    before = {t: raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("runs", "targets", "run_targets", "samples", "run_samples", "scores", "score_marks")}
    raw.close()
    assert before["samples"] == 4 and before["scores"] == 4

    j = Journal(path)
    try:
        assert j.schema_version() == SCHEMA_VERSION == 2
        assert "columns_json" in _columns(j.db, "score_marks")
        after = {t: j.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in before}
        assert after == before
        run_id = j.resolve_run("latest")
        summary = j.summary(run_id)  # the stored summary of the old run still reads
        assert next(m for m in summary.metrics("sanity") if m.name == "accuracy").value == 1.0
        rows = list(j.scored_samples(run_id))
        assert len(rows) == 4 and all(r.scores for r in rows)
        assert all(r.columns is None for r in rows)  # written before drill-down columns were stored
    finally:
        j.close()
    # opening again is a no-op
    j = Journal(path)
    assert j.schema_version() == SCHEMA_VERSION
    j.close()


def test_a_new_run_reuses_the_answers_of_a_version_1_journal(tmp_path: Path) -> None:
    path = _v1_journal(tmp_path)
    target = ScriptedTarget()
    outcome = run(["sanity"], [target], journal_file=path, config={})
    assert sum(target.calls.values()) == 0  # every sample key matched: nothing asked again
    assert outcome.reused_samples == 4
    # the new run stored the probe's drill-down columns of the old samples: a report needs only the journal
    j = Journal(path)
    try:
        rows = list(j.scored_samples(outcome.run_id))
    finally:
        j.close()
    assert len(rows) == 4 and all(r.columns and "expected" in r.columns for r in rows)


def test_a_journal_from_a_newer_weightwatch_is_refused_with_one_line(tmp_path: Path) -> None:
    path = _v1_journal(tmp_path)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(UserError, match="newer weightwatch"):
        Journal(path)
