"""Hub snapshots in the journal's SQLite file (`$WEIGHTWATCH_HOME/journal.sqlite`), in our own tables.

A snapshot is written page by page: each page's models and the cursor to the next page are committed
in one transaction, so a snapshot interrupted at any point (network, 429s, Ctrl-C) keeps every page it
finished, and the next `adoption snapshot` with the same parameters continues from the saved cursor.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from weightwatch.ecosystem.models import HubModel
from weightwatch.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,        -- ISO 8601 UTC; the reference time for "created in the last 12 months"
  finished_at TEXT,
  params_json TEXT NOT NULL,       -- endpoint, authors, limit, since, sort, expand
  status TEXT NOT NULL,            -- running | interrupted | finished
  cursor TEXT,                     -- JSON: which listing, and the path+query of its next page
  pages INTEGER NOT NULL DEFAULT 0 -- pages fetched so far (all listings)
);
CREATE TABLE IF NOT EXISTS hub_models (
  snapshot_id INTEGER NOT NULL,
  model_id TEXT NOT NULL,
  author TEXT,
  downloads_30d INTEGER,
  downloads_all_time INTEGER,
  likes INTEGER,
  created_at TEXT,
  library TEXT,
  pipeline_tag TEXT,
  tags_json TEXT NOT NULL,
  base_models_json TEXT NOT NULL,
  base_model_relation TEXT,
  license TEXT,
  params INTEGER,
  card_json TEXT NOT NULL,
  listing INTEGER NOT NULL DEFAULT 0,  -- which listing (author) of the snapshot brought it
  PRIMARY KEY (snapshot_id, model_id)
);
CREATE TABLE IF NOT EXISTS hub_cards (  -- README bodies read with `adoption snapshot --cards`
  snapshot_id INTEGER NOT NULL,
  model_id TEXT NOT NULL,
  card_text TEXT NOT NULL,              -- "" when the model has no README
  fetched_at TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, model_id)
);
"""


def journal_file() -> Path:
    """The journal file; `weightwatch.config.journal_path()` decides where it lives."""
    from weightwatch.config import journal_path

    return journal_path()


class SnapshotRow(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    params: dict[str, Any]
    status: str
    cursor: dict[str, Any] | None
    pages: int
    models: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    d = datetime.fromisoformat(value)
    return d if d.tzinfo else d.replace(tzinfo=UTC)


class SnapshotStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else journal_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------------
    def create(self, params: dict[str, Any], started_at: datetime | None = None) -> int:
        started = (started_at or datetime.now(UTC)).isoformat(timespec="seconds")
        cur = self.db.execute(
            "INSERT INTO hub_snapshots (started_at, params_json, status, cursor) VALUES (?, ?, 'running', ?)",
            (started, json.dumps(params, sort_keys=True), json.dumps({"listing": 0, "next": None})),
        )
        self.db.commit()
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def resumable(self, params: dict[str, Any]) -> SnapshotRow | None:
        """The latest unfinished snapshot taken with exactly these parameters, if any."""
        row = self.db.execute(
            "SELECT id FROM hub_snapshots WHERE params_json = ? AND status IN ('running', 'interrupted') "
            "ORDER BY id DESC LIMIT 1", (json.dumps(params, sort_keys=True),),
        ).fetchone()
        return self.get(int(row["id"])) if row else None

    def add_page(self, snapshot_id: int, models: list[HubModel], cursor: dict[str, Any], listing: int) -> None:
        """Store one page's models and the cursor to the next page, atomically."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO hub_models (snapshot_id, model_id, author, downloads_30d, "
                "downloads_all_time, likes, created_at, library, pipeline_tag, tags_json, base_models_json, "
                "base_model_relation, license, params, card_json, listing) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(snapshot_id, m.model_id, m.author, m.downloads_30d, m.downloads_all_time, m.likes,
                  m.created_at.isoformat() if m.created_at else None, m.library, m.pipeline_tag,
                  json.dumps(m.tags), json.dumps(m.base_models), m.base_model_relation, m.license, m.params,
                  json.dumps(m.card, default=str, sort_keys=True), listing) for m in models],
            )
            self.db.execute("UPDATE hub_snapshots SET cursor = ?, pages = pages + 1, status = 'running' "
                            "WHERE id = ?", (json.dumps(cursor), snapshot_id))

    def set_cursor(self, snapshot_id: int, cursor: dict[str, Any]) -> None:
        with self.db:
            self.db.execute("UPDATE hub_snapshots SET cursor = ? WHERE id = ?", (json.dumps(cursor), snapshot_id))

    def mark(self, snapshot_id: int, status: str) -> None:
        with self.db:
            if status == "finished":
                self.db.execute("UPDATE hub_snapshots SET status = ?, finished_at = ?, cursor = NULL WHERE id = ?",
                                (status, _now(), snapshot_id))
            else:
                self.db.execute("UPDATE hub_snapshots SET status = ? WHERE id = ?", (status, snapshot_id))

    # --- reading ---------------------------------------------------------------------------------
    def _row(self, r: sqlite3.Row) -> SnapshotRow:
        n = self.db.execute("SELECT COUNT(*) FROM hub_models WHERE snapshot_id = ?", (r["id"],)).fetchone()[0]
        started = _dt(r["started_at"])
        assert started is not None
        return SnapshotRow(id=r["id"], started_at=started, finished_at=_dt(r["finished_at"]),
                           params=json.loads(r["params_json"]), status=r["status"],
                           cursor=json.loads(r["cursor"]) if r["cursor"] else None, pages=r["pages"], models=n)

    def get(self, snapshot_id: int) -> SnapshotRow:
        # an id beyond SQLite's integers names no snapshot (binding it raised OverflowError: 'internal error')
        r = None if not -2**63 <= snapshot_id < 2**63 else self.db.execute(
            "SELECT * FROM hub_snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if r is None:
            raise UserError(f"there is no Hub snapshot {snapshot_id} in {self.path}",
                            "list them with: weightwatch adoption report --list")
        return self._row(r)

    def snapshots(self, status: str | None = None) -> list[SnapshotRow]:
        if status:
            rows = self.db.execute("SELECT * FROM hub_snapshots WHERE status = ? ORDER BY id", (status,))
        else:
            rows = self.db.execute("SELECT * FROM hub_snapshots ORDER BY id")
        return [self._row(r) for r in rows.fetchall()]

    def resolve(self, ref: str | int | None = "latest") -> SnapshotRow:
        """A snapshot by id, or the latest finished one ('latest' / None)."""
        if ref is None or ref == "latest":
            r = self.db.execute("SELECT * FROM hub_snapshots WHERE status = 'finished' ORDER BY id DESC LIMIT 1"
                                ).fetchone()
            if r is None:
                raise UserError(f"no finished Hub snapshot in {self.path} yet",
                                "take one with: weightwatch adoption snapshot (needs access to the Hugging Face Hub)")
            return self._row(r)
        try:
            return self.get(int(ref))
        except ValueError:
            raise UserError(f"'{ref}' is not a snapshot id", "give a number or 'latest'") from None

    def models(self, snapshot_id: int) -> list[HubModel]:
        """The snapshot's models, each with its README body when `--cards` read it."""
        rows = self.db.execute("SELECT * FROM hub_models WHERE snapshot_id = ? ORDER BY model_id",
                               (snapshot_id,)).fetchall()
        cards = self.cards(snapshot_id)
        out = [self._model(r) for r in rows]
        for m in out:
            m.card_text = cards.get(m.model_id)
        return out

    def cards(self, snapshot_id: int) -> dict[str, str]:
        rows = self.db.execute("SELECT model_id, card_text FROM hub_cards WHERE snapshot_id = ?", (snapshot_id,))
        return {r["model_id"]: r["card_text"] for r in rows.fetchall()}

    def add_card(self, snapshot_id: int, model_id: str, text: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO hub_cards (snapshot_id, model_id, card_text, fetched_at) "
                            "VALUES (?, ?, ?, ?)", (snapshot_id, model_id, text, _now()))

    def count(self, snapshot_id: int, listing: int | None = None) -> int:
        if listing is None:
            q = self.db.execute("SELECT COUNT(*) FROM hub_models WHERE snapshot_id = ?", (snapshot_id,))
        else:
            q = self.db.execute("SELECT COUNT(*) FROM hub_models WHERE snapshot_id = ? AND listing = ?",
                                (snapshot_id, listing))
        return int(q.fetchone()[0])

    def find_model(self, model_id: str) -> HubModel | None:
        """The model's row in the latest finished snapshot that holds it (case-insensitive id)."""
        r = self.db.execute(
            "SELECT m.* FROM hub_models m JOIN hub_snapshots s ON s.id = m.snapshot_id "
            "WHERE lower(m.model_id) = lower(?) AND s.status = 'finished' ORDER BY s.id DESC LIMIT 1",
            (model_id,),
        ).fetchone()
        return self._model(r) if r else None

    @staticmethod
    def _model(r: sqlite3.Row) -> HubModel:
        return HubModel(
            model_id=r["model_id"], author=r["author"], downloads_30d=r["downloads_30d"],
            downloads_all_time=r["downloads_all_time"], likes=r["likes"], created_at=_dt(r["created_at"]),
            library=r["library"], pipeline_tag=r["pipeline_tag"], tags=json.loads(r["tags_json"]),
            base_models=json.loads(r["base_models_json"]), base_model_relation=r["base_model_relation"],
            license=r["license"], params=r["params"], card=json.loads(r["card_json"]),
        )
