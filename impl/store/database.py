"""The CCF's SQLite database: WAL, ``synchronous=FULL``, foreign keys, one transaction per call.

A service call runs inside :meth:`Database.transaction`; it commits when the block ends normally and
rolls back on any exception, so a refused or crashed request leaves all or nothing of its writes
(SQLite's WAL with ``synchronous=FULL`` makes a committed transaction survive a power loss). Calls are
serialised by one lock around one connection: simple, and plenty for a reference CCF.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from impl.lifecycle import Closable
from impl.store.schema import SCHEMA, SCHEMA_VERSION

SqlValue = None | int | str | bytes
_BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be used (wrong schema version, closed, nested transaction)."""


def epoch(moment: datetime) -> int:
    """Seconds since the epoch of an aware datetime (naive datetimes are a programming error)."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Transaction:
    """Parameterised statements inside one open transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[SqlValue] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self._connection.execute(sql, parameters).rowcount

    def insert(self, sql: str, parameters: Sequence[SqlValue] = ()) -> int:
        """Run an INSERT; the rowid of the new row."""
        row_id = self._connection.execute(sql, parameters).lastrowid
        assert row_id is not None
        return row_id

    def rows(self, sql: str, parameters: Sequence[SqlValue] = ()) -> list[sqlite3.Row]:
        return self._connection.execute(sql, parameters).fetchall()

    def row(self, sql: str, parameters: Sequence[SqlValue] = ()) -> sqlite3.Row | None:
        found: sqlite3.Row | None = self._connection.execute(sql, parameters).fetchone()
        return found


class Database(Closable):
    """One SQLite file holding a CCF's state; ``path`` is created with the schema when new."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._in_transaction = False
        self._connection: sqlite3.Connection | None = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )
        self._connection.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}",
        ):
            self._connection.execute(pragma)
        try:
            self._create_or_check_schema()
        except BaseException:
            self.close()
            raise

    def _create_or_check_schema(self) -> None:
        with self.transaction() as tx:
            exists = tx.row("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
            if exists is None:
                for statement in SCHEMA:
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                return
            found = tx.row("SELECT version FROM schema_version")
            if found is None or found["version"] != SCHEMA_VERSION:
                version = None if found is None else found["version"]
                raise StoreError(f"database schema version {version}, this code needs {SCHEMA_VERSION}")

    def pragma(self, name: str) -> SqlValue:
        """The value of a PRAGMA (for checks and tests), e.g. ``journal_mode``."""
        if name not in ("journal_mode", "synchronous", "foreign_keys"):
            raise ValueError(f"pragma {name!r} is not readable here")
        with self._lock:
            value: SqlValue = self._open().execute(f"PRAGMA {name}").fetchone()[0]
            return value

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """An immediate (write-locking) transaction: commit on success, rollback on any exception."""
        with self._lock:
            if self._in_transaction:
                raise StoreError("transactions do not nest: one per service call")
            connection = self._open()
            connection.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield Transaction(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            finally:
                self._in_transaction = False

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the database is closed")
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
