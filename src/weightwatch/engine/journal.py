"""The journal: every completion, score and run in one SQLite file (WAL mode).

One row per sample key (target fingerprint, probe, item, variant, sample index, generation
parameters) in `samples`; a run lists the samples it covers in `run_samples`. A sample is written
(and committed) the moment its completion arrives, so a run killed at any point loses nothing that
had finished, and re-running the same command skips it. Schema: see docs/journal.md.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from weightwatch.engine import runlock
from weightwatch.errors import UserError
from weightwatch.types import (
    Completion,
    Fingerprint,
    PlannedRequest,
    RunSummary,
    Sample,
    SampleKey,
    Score,
    ScoredSample,
)

SCHEMA_VERSION = 2  # the version this code writes: SCHEMA (version 1) plus every migration below

# Version 1, as first released. Never edit it: a change to the schema is a new numbered migration.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,            -- running | finished | failed | interrupted
  command TEXT,
  params_json TEXT NOT NULL,       -- probes, targets, size, samples, seed, options
  summary_json TEXT                -- the RunSummary, written when the run finishes
);
CREATE TABLE IF NOT EXISTS targets (
  target_id TEXT PRIMARY KEY,      -- Fingerprint.id()
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  fingerprint_json TEXT NOT NULL,
  first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_targets (
  run_id TEXT NOT NULL,
  label TEXT NOT NULL,             -- what the user called the target in this run
  target_id TEXT NOT NULL,
  info_json TEXT NOT NULL,         -- TargetInfo: fingerprint, defaults, price
  PRIMARY KEY (run_id, label)
);
CREATE TABLE IF NOT EXISTS samples (
  digest TEXT PRIMARY KEY,         -- SampleKey.digest()
  target_id TEXT NOT NULL,
  probe TEXT NOT NULL,
  item_id TEXT NOT NULL,
  variant TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  params_hash TEXT NOT NULL,
  target_label TEXT NOT NULL,
  planned_json TEXT NOT NULL,      -- PlannedRequest: messages, parameters, probe metadata
  completion_json TEXT NOT NULL,   -- Completion: text, reasoning, tokens, timings, error
  text TEXT,                       -- the answer (copied out for easy querying)
  reasoning TEXT,
  error TEXT,                      -- NULL when the sample succeeded
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  ttft_s REAL,
  total_s REAL,
  created_at REAL NOT NULL         -- unix time the completion was journaled
);
CREATE INDEX IF NOT EXISTS samples_by_target_probe ON samples (target_id, probe);
CREATE TABLE IF NOT EXISTS run_samples (
  run_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (run_id, digest)
);
CREATE TABLE IF NOT EXISTS scores (
  digest TEXT NOT NULL,
  scorer TEXT NOT NULL,
  scorer_version TEXT NOT NULL,
  label TEXT,
  value REAL,
  details_json TEXT NOT NULL,
  PRIMARY KEY (digest, scorer, scorer_version)
);
CREATE TABLE IF NOT EXISTS score_marks (
  digest TEXT NOT NULL,            -- this sample has been scored by this probe version
  probe TEXT NOT NULL,
  probe_version TEXT NOT NULL,
  PRIMARY KEY (digest, probe, probe_version)
);
"""


# (version, statements): applied in order, each in one transaction, to a journal whose meta.schema_version is
# lower. Version 2: the drill-down columns a probe computes for a sample when it scores it, stored with the
# score mark, so a report of an old run needs only the journal (never today's probe code).
MIGRATIONS: list[tuple[int, tuple[str, ...]]] = [
    (2, ("ALTER TABLE score_marks ADD COLUMN columns_json TEXT",)),
]


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RunRow(BaseModel):
    run_id: str
    created_at: str
    finished_at: str | None
    status: str
    command: str | None
    params: dict[str, Any]
    samples: int  # samples of the run that are in the journal (finished, or failed after retries)
    planned: int = 0  # samples the run covers, finished or not (an interrupted run has fewer `samples`)


class Journal:
    """Thin, synchronous access to the journal database. Use one instance per thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process
            self.db.execute("PRAGMA busy_timeout=30000")
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')")
            self._migrate()
            self.settle_stale_runs()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"the journal {self.path} cannot be opened: {exc}",
                            "move it away or point WEIGHTWATCH_HOME elsewhere") from exc

    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        """Bring a journal written by an earlier weightwatch up to SCHEMA_VERSION (one transaction per step)."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise UserError(f"the journal {self.path} was written by a newer weightwatch (schema {current}, "
                            f"this one reads up to {SCHEMA_VERSION})", "upgrade weightwatch")
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if self.schema_version() < version:  # another process may have migrated meanwhile
                    for sql in statements:
                        self.db.execute(sql)
                    self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            current = version

    def close(self) -> None:
        self.db.close()

    # -- runs -----------------------------------------------------------------------------------
    @staticmethod
    def params_json(params: dict[str, Any]) -> str:
        """A run's parameters as `runs.params_json` stores them (what a resumed run must match exactly)."""
        return json.dumps(params, default=str)

    def run_lock(self, params: dict[str, Any]) -> runlock.RunLock:
        """The lock of a run plan (runlock.py): held by the process running it, beside this journal."""
        return runlock.RunLock(self.path.parent, runlock.plan_key(self.params_json(params)))

    def settle_stale_runs(self) -> list[str]:
        """Mark 'interrupted' every 'running' run whose plan lock no process holds: its process was killed
        (SIGKILL, power loss) before it could say so. Such a run resumes like any interrupted one."""
        rows = self.db.execute("SELECT run_id, params_json FROM runs WHERE status = 'running'").fetchall()
        stale = [r[0] for r in rows if not runlock.is_held(self.path.parent, runlock.plan_key(r[1]))]
        for run_id in stale:
            try:
                self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = COALESCE(finished_at, ?) "
                                "WHERE run_id = ? AND status = 'running'", (utcnow(), run_id))
            except sqlite3.OperationalError:  # a read-only journal, or busy: shown as it is
                return []
        return stale

    def start_run(self, run_id: str, command: str, params: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO runs (run_id, created_at, status, command, params_json) VALUES (?, ?, 'running', ?, ?)",
            (run_id, utcnow(), command, self.params_json(params)),
        )

    def finish_run(self, run_id: str, summary: RunSummary | None, status: str = "finished") -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary_json = COALESCE(?, summary_json) WHERE run_id = ?",
            (utcnow(), status, summary.model_dump_json() if summary else None, run_id),
        )

    def find_resumable(self, params: dict[str, Any]) -> str | None:
        """The newest unfinished run with exactly these parameters (a re-run after a crash)."""
        row = self.db.execute(
            "SELECT run_id FROM runs WHERE status IN ('running', 'interrupted', 'failed') AND params_json = ? "
            "ORDER BY created_at DESC LIMIT 1",
            (self.params_json(params),),
        ).fetchone()
        return row[0] if row else None

    def reopen_run(self, run_id: str) -> None:
        self.db.execute("UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?", (run_id,))

    def _run_rows(self, where: str, args: tuple[Any, ...]) -> list[RunRow]:
        """Rows of `runs` matching `where` (SQL after FROM runs r), newest first, with their sample counts."""
        rows = self.db.execute(
            "SELECT r.run_id, r.created_at, r.finished_at, r.status, r.command, r.params_json, "
            "(SELECT COUNT(*) FROM run_samples s JOIN samples x ON x.digest = s.digest WHERE s.run_id = r.run_id), "
            "(SELECT COUNT(*) FROM run_samples s WHERE s.run_id = r.run_id) "
            f"FROM runs r {where}", args,
        ).fetchall()
        return [RunRow(run_id=r[0], created_at=r[1], finished_at=r[2], status=r[3], command=r[4],
                       params=json.loads(r[5]), samples=r[6], planned=r[7]) for r in rows]

    def runs(self, limit: int = 50) -> list[RunRow]:
        return self._run_rows("ORDER BY r.created_at DESC LIMIT ?", (limit,))

    def resolve_run(self, ref: str) -> str:
        """'latest', a full run id, or an unambiguous prefix of one."""
        if ref == "latest":
            row = self.db.execute(
                "SELECT run_id FROM runs WHERE summary_json IS NOT NULL ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
            if row is None:
                unfinished = self.unfinished_after(None)
                if unfinished:
                    raise UserError(f"there is no finished run in the journal yet; {unfinished_text(unfinished)}",
                                    f"journal: {self.path}")
                raise UserError("there is no finished run in the journal yet",
                                f"run 'weightwatch audit' first (journal: {self.path})")
            return str(row[0])
        ref = ref.strip()
        if not ref:
            raise UserError("no run given", "give a run id (or a unique prefix) or 'latest'; list runs with "
                            "'weightwatch runs'")
        rows = self.db.execute("SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? LIMIT 2",
                               (len(ref), ref)).fetchall()  # a prefix, literally (no LIKE wildcards)
        if not rows:
            raise UserError(f"no run '{ref}' in the journal {self.path}", "list runs with 'weightwatch runs'")
        if len(rows) > 1:
            raise UserError(f"'{ref}' matches several runs", "give more characters of the run id")
        return str(rows[0][0])

    def unfinished_after(self, run_id: str | None) -> list[RunRow]:
        """Runs without a summary (still running, or stopped) created after `run_id` (None: all), newest first:
        what 'latest' passed over."""
        after = self.run_created_at(run_id) if run_id is not None else ""
        return self._run_rows("WHERE r.summary_json IS NULL AND r.created_at > ? ORDER BY r.created_at DESC",
                              (after,))

    def summary(self, run_id: str) -> RunSummary:
        row = self.db.execute("SELECT summary_json, status, command FROM runs WHERE run_id = ?",
                              (run_id,)).fetchone()
        if row is None:
            raise UserError(f"no run '{run_id}' in the journal", "list runs with 'weightwatch runs'")
        if row[0] is None:
            resume = f"resume it with: {row[2]}" if row[2] else "re-run the same command to resume and finish it"
            if row[1] == "running":
                raise UserError(f"run {run_id} has no summary yet: it is still running", "wait for it to finish")
            raise UserError(f"run {run_id} has no summary: it stopped before finishing (status: {row[1]})", resume)
        try:
            return RunSummary.model_validate_json(row[0])
        except ValidationError as exc:  # written by another weightwatch version (or edited by hand)
            from weightwatch import __version__

            try:
                version = json.loads(row[0]).get("weightwatch_version") or "an unknown version"
            except (ValueError, AttributeError):
                version = "an unknown version"
            errors = exc.errors()
            first: dict[str, Any] = dict(errors[0]) if errors else {}
            where = ".".join(str(x) for x in first.get("loc", ())) or "?"
            again = f"re-run its command to summarise its journaled samples anew: {row[2]}" if row[2] else \
                "re-run its command to summarise its journaled samples anew"
            raise UserError(f"the summary of run {run_id} (written by weightwatch {version}) cannot be read by "
                            f"weightwatch {__version__}: {exc.error_count()} problem(s), first: {where}: "
                            f"{first.get('msg', '?')}", again) from None

    def run_created_at(self, run_id: str) -> str:
        row = self.db.execute("SELECT created_at FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UserError(f"no run '{run_id}' in the journal", "list runs with 'weightwatch runs'")
        return str(row[0])

    def run_params(self, run_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT params_json FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    # -- targets ----------------------------------------------------------------------------------
    def put_target(self, run_id: str, label: str, fingerprint: Fingerprint, info_json: str) -> str:
        tid = fingerprint.id()
        self.db.execute(
            "INSERT INTO targets (target_id, kind, name, fingerprint_json, first_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(target_id) DO UPDATE SET fingerprint_json = excluded.fingerprint_json",
            (tid, fingerprint.kind, fingerprint.name, fingerprint.model_dump_json(), utcnow()),
        )
        self.db.execute("INSERT OR REPLACE INTO run_targets (run_id, label, target_id, info_json) VALUES (?, ?, ?, ?)",
                        (run_id, label, tid, info_json))
        return tid

    def run_targets(self, run_id: str) -> list[tuple[str, str, str]]:
        """(label, target_id, info_json) of every target of a run, in the order they were added."""
        rows = self.db.execute(
            "SELECT label, target_id, info_json FROM run_targets WHERE run_id = ? ORDER BY rowid", (run_id,)
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- samples ----------------------------------------------------------------------------------
    def finished_digests(self, digests: Iterable[str]) -> set[str]:
        """Which of these samples are already journaled without error."""
        done: set[str] = set()
        batch: list[str] = []

        def flush() -> None:
            if batch:
                marks = ",".join("?" * len(batch))
                rows = self.db.execute(
                    f"SELECT digest FROM samples WHERE error IS NULL AND digest IN ({marks})", batch
                ).fetchall()
                done.update(r[0] for r in rows)
                batch.clear()

        for d in digests:
            batch.append(d)
            if len(batch) >= 500:
                flush()
        flush()
        return done

    def completion(self, digest: str) -> Completion | None:
        """The journaled completion of one sample, if it finished without error."""
        row = self.db.execute("SELECT completion_json FROM samples WHERE digest = ? AND error IS NULL",
                              (digest,)).fetchone()
        return Completion.model_validate_json(row[0]) if row else None

    def target_totals(self, run_id: str, label: str) -> tuple[int, int, int, int]:
        """(samples, failed samples, prompt tokens, completion tokens) of one target of a run."""
        row = self.db.execute(
            "SELECT COUNT(*), SUM(error IS NOT NULL), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(completion_tokens), 0) FROM run_samples r JOIN samples s ON s.digest = r.digest "
            "JOIN run_targets rt ON rt.run_id = r.run_id AND rt.target_id = s.target_id "
            "WHERE r.run_id = ? AND rt.label = ?",
            (run_id, label),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)

    def link_samples(self, run_id: str, digests: Iterable[str]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR IGNORE INTO run_samples (run_id, digest) VALUES (?, ?)",
                            ((run_id, d) for d in digests))
        self.db.execute("COMMIT")

    def put_sample(self, run_id: str | None, key: SampleKey, target_label: str, planned: PlannedRequest,
                   completion: Completion) -> str:
        """Journal one finished (or finally failed) sample and commit at once (`run_id` None: a judge answer
        outside any run, e.g. `weightwatch judge censorship --judge`, kept for the next same request)."""
        digest = key.digest()
        c = completion
        self.db.execute("BEGIN")
        self.db.execute(
            "INSERT OR REPLACE INTO samples (digest, target_id, probe, item_id, variant, sample_index, params_hash, "
            "target_label, planned_json, completion_json, text, reasoning, error, prompt_tokens, completion_tokens, "
            "ttft_s, total_s, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (digest, key.target_id, key.probe, key.item_id, key.variant, key.sample_index, key.params_hash,
             target_label, planned.model_dump_json(), c.model_dump_json(), c.text, c.reasoning, c.error,
             c.prompt_tokens, c.completion_tokens, c.ttft_s, c.total_s, time.time()),
        )
        if run_id is not None:
            self.db.execute("INSERT OR IGNORE INTO run_samples (run_id, digest) VALUES (?, ?)", (run_id, digest))
        # a re-answered sample invalidates its old scores
        self.db.execute("DELETE FROM score_marks WHERE digest = ?", (digest,))
        self.db.execute("DELETE FROM scores WHERE digest = ?", (digest,))
        self.db.execute("COMMIT")
        return digest

    def samples(self, run_id: str, probe: str | None = None, target_label: str | None = None) -> list[Sample]:
        sql = ("SELECT s.target_id, s.probe, s.item_id, s.variant, s.sample_index, s.params_hash, s.planned_json, "
               "s.completion_json, s.created_at, rt.label FROM run_samples r "
               "JOIN samples s ON s.digest = r.digest "
               "JOIN run_targets rt ON rt.run_id = r.run_id AND rt.target_id = s.target_id "
               "WHERE r.run_id = ?")
        args: list[Any] = [run_id]
        if probe is not None:
            sql += " AND s.probe = ?"
            args.append(probe)
        if target_label is not None:
            sql += " AND rt.label = ?"
            args.append(target_label)
        sql += " ORDER BY rt.rowid, s.probe, s.item_id, s.variant, s.sample_index"
        out = []
        for r in self.db.execute(sql, args):
            key = SampleKey(target_id=r[0], probe=r[1], item_id=r[2], variant=r[3], sample_index=r[4],
                            params_hash=r[5])
            out.append(Sample(key=key, target_label=r[9], planned=PlannedRequest.model_validate_json(r[6]),
                              completion=Completion.model_validate_json(r[7]), created_at=r[8]))
        return out

    # -- scores -----------------------------------------------------------------------------------
    def unscored(self, samples: list[Sample], probe: str, probe_version: str) -> list[Sample]:
        marked = {
            r[0] for r in self.db.execute(
                "SELECT digest FROM score_marks WHERE probe = ? AND probe_version = ?", (probe, probe_version))
        }
        return [s for s in samples if s.key.digest() not in marked]

    def put_scores(self, scores: list[Score], probe: str, probe_version: str, digests: Iterable[str],
                   unmarked: Iterable[str] = ()) -> None:
        """Store the verdicts of one scoring pass, replacing every earlier verdict on those samples.

        A sample (digest) belongs to one probe, so its earlier scores and marks (another probe version or
        judge) are removed first: the journal holds exactly one current verdict per scorer and sample.
        `unmarked`: samples whose scores are stored without a score mark (their scoring raised, and the
        scores say "error"): the run's summary shows them, and the next scoring pass tries them again."""
        marked = list(dict.fromkeys(digests))
        cleared = list(dict.fromkeys([*marked, *unmarked]))
        self.db.execute("BEGIN")
        self.db.executemany("DELETE FROM scores WHERE digest = ?", ((d,) for d in cleared))
        self.db.executemany("DELETE FROM score_marks WHERE digest = ? AND probe = ?", ((d, probe) for d in cleared))
        self.db.executemany(
            "INSERT OR REPLACE INTO scores (digest, scorer, scorer_version, label, value, details_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((s.sample_digest, s.scorer, s.scorer_version, s.label, s.value, json.dumps(s.details, default=str))
             for s in scores),
        )
        self.db.executemany("INSERT OR IGNORE INTO score_marks (digest, probe, probe_version) VALUES (?, ?, ?)",
                            ((d, probe, probe_version) for d in marked))
        self.db.execute("COMMIT")

    def put_columns(self, probe: str, probe_version: str, columns: dict[str, dict[str, Any]]) -> None:
        """Store the drill-down columns of scored samples (digest -> columns) with their score marks."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "UPDATE score_marks SET columns_json = ? WHERE digest = ? AND probe = ? AND probe_version = ?",
            ((json.dumps(cols, default=str, ensure_ascii=False), d, probe, probe_version)
             for d, cols in columns.items()),
        )
        self.db.execute("COMMIT")

    def columns_for(self, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored drill-down columns of these samples (only those that have them)."""
        out: dict[str, dict[str, Any]] = {}
        batch = list(digests)
        for i in range(0, len(batch), 500):
            part = batch[i:i + 500]
            marks = ",".join("?" * len(part))
            for r in self.db.execute(
                f"SELECT digest, columns_json FROM score_marks WHERE columns_json IS NOT NULL AND digest IN ({marks})",
                part,
            ):
                out[r[0]] = json.loads(r[1])
        return out

    def scores_for(self, digests: Iterable[str]) -> dict[str, list[Score]]:
        out: dict[str, list[Score]] = {}
        batch = list(digests)
        for i in range(0, len(batch), 500):
            part = batch[i:i + 500]
            marks = ",".join("?" * len(part))
            for r in self.db.execute(
                "SELECT digest, scorer, scorer_version, label, value, details_json FROM scores "
                f"WHERE digest IN ({marks})",
                part,
            ):
                out.setdefault(r[0], []).append(Score(sample_digest=r[0], scorer=r[1], scorer_version=r[2],
                                                       label=r[3], value=r[4], details=json.loads(r[5])))
        return out

    def scored_samples(self, run_id: str, probe: str | None = None) -> Iterator[ScoredSample]:
        samples = self.samples(run_id, probe=probe)
        digests = [s.key.digest() for s in samples]
        scores = self.scores_for(digests)
        columns = self.columns_for(digests)
        for s, d in zip(samples, digests, strict=True):
            yield ScoredSample(sample=s, scores=scores.get(d, []), columns=columns.get(d))


def unfinished_text(runs: list[RunRow], newer: bool = False) -> str:
    """One clause on the newest of `runs` (runs without a summary): what state it is in and how to resume it."""
    r = runs[0]
    state = ("is still running" if r.status == "running" else f"stopped before finishing (status: {r.status})")
    more = f" ({len(runs) - 1} more unfinished run(s): 'weightwatch runs')" if len(runs) > 1 else ""
    resume = f"resume it with: {r.command}" if r.command else "re-run its command to resume it"
    done = f"{r.samples} of {r.planned} sample(s) done so far"
    return f"run {r.run_id}{', newer,' if newer else ''} {state} with {done}; {resume}{more}"
