"""SQLite, the default backend: one file in the data directory, no server. WAL mode and a busy timeout let
several processes share one data directory (on a local disk: a network file system is not safe for several
writers — use PostgreSQL for that)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dailydiff.common.private import create_private_file, private_dir
from dailydiff.errors import IO_ERRNOS, StoreError, StoreFullError
from dailydiff.store.database import Dialect, OnSlow, announce_slow, check_not_newer, now_text
from dailydiff.store.migrations import MIGRATIONS, script_for

DB_NAME = "dailydiff.sqlite3"
SQLITE = Dialect(name="sqlite", now="((julianday('now') - 2440587.5) * 86400.0)", lock_row="")
_FULL_HINT = "free some space and run the same command again; what was analysed is stored"


class SQLiteDatabase:
    dialect = SQLITE
    search_index_rebuilt = False  # once an opening (store/migrations.py)

    def __init__(self, path: Path, on_slow: OnSlow | None = None, *, checked: bool = False) -> None:
        """``checked``: this process opened the store already (``beside``): its schema is not looked at again."""
        self.path = path
        self.location = str(path)
        self._on_slow = on_slow  # told once, before a slow migration starts
        # One connection, used by the engine's loop and by delivery threads: a transaction must not
        # interleave with another thread's statements ("cannot start a transaction within a transaction").
        self._lock = threading.RLock()
        try:
            private_dir(path.parent)
            create_private_file(path)  # SQLite gives its -wal and -shm files the database file's mode
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc, "cannot open") from None
        try:
            self._db.execute("PRAGMA busy_timeout = 60000")
            if checked:
                self._db.execute("PRAGMA synchronous = NORMAL")
            else:
                self._refuse_newer()
                self._open_shared()
        except StoreError:
            self._db.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            raise self._error(exc, "cannot open") from None

    def beside(self) -> SQLiteDatabase:
        """The same file on a connection of its own, for another thread's statements while this one's run (a
        hybrid search's vectors beside its words, search/hybrid.py). Not this connection: the lock above
        serialises its statements, not the reading of their cursors, and one thread reading a cursor while
        another runs a statement on the same connection can deadlock Python's sqlite3 (one thread holds the
        connection's mutex and waits for the GIL, the other holds the GIL and waits for the mutex)."""
        return SQLiteDatabase(self.path, checked=True)

    def _error(self, exc: BaseException, doing: str = "cannot use") -> BaseException:
        """The user-facing error for a driver error, or the error itself when it is a bug of ours."""
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if isinstance(exc, OSError):
            problem = exc.strerror or str(exc)
            if exc.errno in IO_ERRNOS:
                return StoreFullError(f"{doing} the store at {self.location}: {problem}", _FULL_HINT)
            return StoreError(f"{doing} the store at {self.location}: {problem}",
                              "check --data-dir and the file's permissions")  # fmt: skip
        if primary in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
            return StoreFullError(f"cannot write the store at {self.location}: {exc}", _FULL_HINT)
        if primary in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StoreError(f"{self.location} is not a dailydiff store, or it is damaged ({exc})",
                              "use another --data-dir, or restore the file from a backup")  # fmt: skip
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(f"the store at {self.location} stayed locked by another process ({exc})",
                              "wait for the other dailydiff to finish, then run the same command again")  # fmt: skip
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            return StoreError(f"{doing} the store at {self.location}: {exc}",
                              "check --data-dir and the file's permissions")  # fmt: skip
        return exc

    def _refuse_newer(self) -> None:
        """Before anything is written: a store from a newer version is left exactly as it is."""
        has_table = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        ).fetchone()
        if has_table:
            check_not_newer(
                (row[0] for row in self._db.execute("SELECT name FROM migrations")), self.location
            )

    def _open_shared(self) -> None:
        # Switching a new database to WAL takes an exclusive lock and does not wait on the busy timeout:
        # when several processes or threads open a fresh store at once, the losers retry for a while.
        deadline = time.monotonic() + 60
        delay = 0.01
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        while True:
            applied = {row[0] for row in self._db.execute("SELECT name FROM migrations")}
            check_not_newer(applied, self.location)
            pending = [(name, step) for name, step in MIGRATIONS if name not in applied]
            if not pending:
                return
            announce_slow(self, applied, self._on_slow)
            self._on_slow = None  # said once, however many steps follow (or retries after a busy lock)
            name, step = pending[0]
            record = f"INSERT INTO migrations (name, applied_at) VALUES ('{name}', '{now_text()}');"
            try:
                if isinstance(step, str):
                    # One script, one transaction: executescript runs it as SQLite parses it (a trigger's
                    # body, a ';' in a string), and the record commits with it or not at all.
                    self._db.executescript(
                        f"BEGIN IMMEDIATE;\n{script_for(step, SQLITE.name)};\n{record}\nCOMMIT;"
                    )
                else:
                    with self.transaction():
                        # Another process may have applied it while this one waited for the lock: a rebuild
                        # of the search index is not made again (only to be rolled back) while everyone waits.
                        if self._db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                            continue
                        step(self)
                        self._db.execute(record)
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                done = {row[0] for row in self._db.execute("SELECT name FROM migrations")}
                if name not in done:  # not another process applying it at the same moment
                    raise

    # the Database protocol ------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            try:
                self._db.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            try:
                self.execute("COMMIT")
            except StoreError:  # e.g. a full disk at COMMIT: the transaction is still open; end it
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def data_version(self) -> int:
        return int(self.execute("PRAGMA data_version").fetchone()[0])

    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(row[0] for row in rows)

    def iter_rows(self, table: str, batch: int) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        cursor = self.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(batch):
            yield columns, rows

    def after_copy(self, table: str) -> None:
        """AUTOINCREMENT follows the largest id inserted, even an explicit one: nothing to do."""

    def close(self) -> None:
        self._db.close()


__all__ = ["DB_NAME", "SQLITE", "SQLiteDatabase", "now_text"]
