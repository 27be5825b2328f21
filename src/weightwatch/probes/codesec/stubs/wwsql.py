"""A PostgreSQL stand-in for SQL tasks (standard library only): installed as ``wwsql`` in the sandbox.

``wwsql.pg_connection()`` is a psycopg2-style connection to one shared in-memory SQLite database
(``wwsql.database``, where the test creates its tables), with psycopg2's placeholders ``%s`` and
``%(name)s``, ``NOW()`` and ``DELETE ... USING`` translated for SQLite, cursors as context managers,
``commit``/``rollback`` and psycopg2's exception names.
Tests pass it to the answer's function (``delete_customer_orders(wwsql.pg_connection(), ...)``); the
answer's own ``import psycopg2`` gets the ``psycopg2`` fake.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

_db = sqlite3.connect(":memory:", check_same_thread=False)
Error = sqlite3.Error
DatabaseError = sqlite3.DatabaseError
IntegrityError = sqlite3.IntegrityError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
InterfaceError = sqlite3.InterfaceError


_DELETE_USING = re.compile(r"^\s*DELETE\s+FROM\s+(\w+)(?:\s+(?:AS\s+)?(?!USING\b)(\w+))?"
                           r"\s+USING\s+(.+?)\s+WHERE\s+(.*)$", re.IGNORECASE | re.DOTALL)


def _postgres_to_sqlite(query: str) -> str:
    """The PostgreSQL idioms SQLite lacks that answers use: NOW(), DELETE ... USING."""
    query = re.sub(r"\bNOW\(\)", "CURRENT_TIMESTAMP", query, flags=re.IGNORECASE)
    m = _DELETE_USING.match(query)
    if m:
        table, alias, using, cond = m.groups()
        name = alias or table
        query = (f"DELETE FROM {table} WHERE rowid IN (SELECT {name}.rowid FROM {table} {alias or ''}, {using} "
                 f"WHERE {cond.rstrip().rstrip(';')})")
    return query


def _translate(query: str, params: Any) -> tuple[str, Any]:
    query = _postgres_to_sqlite(query)
    if isinstance(params, dict):
        return re.sub(r"%\((\w+)\)s", r":\1", query).replace("%%", "%"), params
    if params is None:
        return query.replace("%%", "%"), ()
    return query.replace("%s", "?").replace("%%", "%"), tuple(params)


class Cursor:
    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self._cur = _db.cursor()

    def execute(self, query: Any, params: Any = None) -> None:
        q, p = _translate(str(query), params)
        self._cur.execute(q, p)

    def executemany(self, query: Any, seq: Any) -> None:
        for params in seq:
            self.execute(query, params)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    def fetchmany(self, size: int = 1) -> list[Any]:
        return self._cur.fetchmany(size)

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def description(self) -> Any:
        return self._cur.description

    def __iter__(self) -> Any:
        return iter(self._cur)

    def close(self) -> None:
        pass

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class Connection:
    closed = 0
    autocommit = False

    def cursor(self, *args: Any, **kwargs: Any) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        _db.commit()

    def rollback(self) -> None:
        _db.rollback()

    def close(self) -> None:
        self.closed = 1

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            _db.commit()
        else:
            _db.rollback()


def pg_connection() -> Connection:
    """A psycopg2-style connection to the shared SQLite database ``wwsql.database``."""
    return Connection()


database = _db
