# mypy: ignore-errors
"""A fake of psycopg2 (installed as ``psycopg2``): connections record how they were opened
(``psycopg2.connections``); cursors accept statements and return no rows."""

from __future__ import annotations

import sys
import types

connections: list[dict] = []


class Error(Exception):
    pass


class DatabaseError(Error):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InterfaceError(Error):
    pass


class ProgrammingError(DatabaseError):
    pass


class Cursor:
    def __init__(self, conn):
        self.connection = conn
        self.rowcount = 0
        self.description = None

    def execute(self, query, params=None):
        self.connection.statements.append((query, params))
        self.rowcount = 0

    def executemany(self, query, seq):
        for p in seq:
            self.execute(query, p)

    def fetchone(self):
        return None

    def fetchall(self):
        return []

    def fetchmany(self, size=None):
        return []

    def close(self):
        pass

    def __iter__(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Connection:
    def __init__(self, dsn=None, **kw):
        self.dsn = dsn
        self.kwargs = kw
        self.statements = []
        self.closed = 0
        self.autocommit = False
        connections.append({"dsn": dsn, **kw})

    def cursor(self, *a, **k):
        return Cursor(self)

    def commit(self):
        pass

    def rollback(self):
        pass

    def close(self):
        self.closed = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def connect(dsn=None, connection_factory=None, cursor_factory=None, **kwargs):
    return Connection(dsn, **kwargs)


class _Pool:
    def __init__(self, minconn=1, maxconn=1, *args, **kwargs):
        self._args, self._kwargs = args, kwargs
        connect(*args, **kwargs)

    def getconn(self, key=None):
        return connect(*self._args, **self._kwargs)

    def putconn(self, conn, key=None, close=False):
        pass

    def closeall(self):
        pass


def _sub(name, **attrs):
    mod = types.ModuleType("psycopg2." + name)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    globals()[name] = mod


_sub("pool", SimpleConnectionPool=_Pool, ThreadedConnectionPool=_Pool, AbstractConnectionPool=_Pool,
     PoolError=Error)
_sub("extras", RealDictCursor=Cursor, DictCursor=Cursor, NamedTupleCursor=Cursor, execute_values=lambda *a, **k: None)
_sub("extensions", connection=Connection, cursor=Cursor, ISOLATION_LEVEL_AUTOCOMMIT=0)
_sub("errors", **{k: v for k, v in dict(globals()).items() if isinstance(v, type) and issubclass(v, Exception)})
_sub("sql", SQL=lambda s: s, Identifier=lambda s: s, Literal=lambda s: s)
