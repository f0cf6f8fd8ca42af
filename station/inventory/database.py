"""Storage through plain DB-API: SQLite by default, PostgreSQL (psycopg 3) by URL.

SQL is written once with `?` placeholders; PostgreSQL gets them as `%s`. Each thread keeps
its own connection (FastAPI runs sync endpoints in a thread pool), and every unit of work
is one explicit transaction. Writers on SQLite take the lock up front (BEGIN IMMEDIATE) so
the chain checks and the insert that follows them see the same state; PostgreSQL gets
the same guarantee from `SELECT ... FOR UPDATE` on the bench row (see `Tx.for_update`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from station.errors import ConfigError, StationError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


class StorageUnavailable(StationError):
    """The database could not be reached; the client should retry later (HTTP 503)."""


class Tx:
    """One transaction: run statements, fetch rows as tuples."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self._cursor = cursor
        self.dialect = dialect
        # Row locks only exist on PostgreSQL; SQLite's writer lock is taken by BEGIN IMMEDIATE.
        self.for_update = " FOR UPDATE" if dialect == "postgresql" else ""

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(params))

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), [tuple(row) for row in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def row(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        found = self.rows(sql, params)
        return found[0] if found else None


class Database:
    """A database named by URL: `sqlite:///path`, a bare path, or `postgresql://...`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._path: Path | None = None
        if url.startswith(POSTGRES_PREFIXES):
            self.dialect = "postgresql"
        elif url.startswith(SQLITE_PREFIX) or "://" not in url:
            self.dialect = "sqlite"
            self._path = Path(url.removeprefix(SQLITE_PREFIX))
        else:
            raise ConfigError(
                f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://..."
            )
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()

    def describe(self) -> str:
        """The URL without a password, for logs and messages."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self._path}"
        head, sep, tail = self.url.partition("@")
        if not sep or ":" not in head.split("//", 1)[-1]:
            return self.url
        scheme, _, user_pass = head.partition("//")
        return f"{scheme}//{user_pass.split(':', 1)[0]}:***@{tail}"

    def _connect(self) -> Any:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a record the server acknowledged must survive a power cut, because the
            # bench will never send it again.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        import psycopg  # only needed, and only imported, for PostgreSQL URLs

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StorageUnavailable(f"cannot connect to {self.describe()}: {exc}") from exc

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _forget(self, conn: Any) -> None:
        self._local.conn = None
        with self._lock:
            if conn in self._opened:
                self._opened.remove(conn)
        with contextlib.suppress(Exception):  # already broken; closing is best effort
            conn.close()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Tx]:
        """One transaction; committed when the block ends, rolled back on any exception."""
        conn = self._connection()
        if self.dialect == "sqlite":
            yield from self._sqlite_tx(conn, write)
        else:
            yield from self._postgres_tx(conn)

    def _sqlite_tx(self, conn: sqlite3.Connection, write: bool) -> Iterator[Tx]:
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"database busy or unreadable: {exc}") from exc
        try:
            yield Tx(conn.cursor(), "sqlite")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _postgres_tx(self, conn: Any) -> Iterator[Tx]:
        import psycopg

        try:
            with conn.transaction(), conn.cursor() as cursor:
                yield Tx(cursor, "postgresql")
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._forget(conn)
            raise StorageUnavailable(f"database connection lost: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            with contextlib.suppress(Exception):  # shutting down; nothing left to protect
                conn.close()
