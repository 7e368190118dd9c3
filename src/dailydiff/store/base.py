"""The store's base: a connection to its database (SQLite or PostgreSQL), transactions, the fence of a
shared plan's unit, and what every part of the store reads its rows with. ``Store`` (store/interface.py)
is made of the parts that build on it, one per concern."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from dailydiff.common.secrets import scrub
from dailydiff.common.storeurl import is_postgres
from dailydiff.errors import LeaseLostError, StoreError
from dailydiff.store.database import Database, OnSlow
from dailydiff.store.postgres import Limits, PostgresDatabase
from dailydiff.store.sqlite import DB_NAME, SQLiteDatabase


@dataclass(frozen=True)
class Claim:
    """A unit a worker holds until its lease runs out (unless renewed)."""

    plan: str
    unit: str
    worker: str
    attempt: int  # 1 for a first claim; more when taken over from a worker whose lease ran out
    previous_worker: str | None  # whose lease ran out, on a takeover
    token: int = 0  # the fencing token: grows on every claim of the unit, whatever the plan
    lease: float = 0.0  # seconds a claim or a renewal holds the unit for

    @property
    def fence(self) -> str:
        """What a delivery claimed under this unit claim records (``delivery_ledger.fence``)."""
        return f"{self.unit}#{self.token}"


FENCE: ContextVar[Claim | None] = ContextVar("dailydiff_fence", default=None)


if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")
Rows = list[tuple[Any, ...]]  # a table's rows, as written


class StoreBase:
    """The connection and what every part of the store shares."""

    def __init__(self, db: Database | Path) -> None:
        # Store(path): a SQLite file, as before there were two backends.
        self._db: Database = SQLiteDatabase(db) if isinstance(db, Path) else db
        # The search index was found wanting (said once), or checked after the first stored report.
        self._index_warned = self._index_checked = False
        # Stored report texts parsed, by their text (ReportStore.reports_between).
        self._parsed_reports: dict[str, Any] = {}
        # Commits being compressed on another thread, written before anything else (ReportStore.save_commits).
        self._pending_commits: Future[Rows] | None = None
        # That thread: the store's own, started on first use and ended with the store (a command whose store
        # is closed has no thread left running: cli/__init__.py ends it without tearing the modules down).
        self._compressor: ThreadPoolExecutor | None = None

    def _write_pending(self) -> None:
        """The commits compressed on another thread (``ReportStore.save_commits``), written now: before any
        other write, any read of commits, and the store's close."""
        pending, self._pending_commits = self._pending_commits, None
        if pending is not None:
            self._upsert("commits", ("repo", "sha", "committed_at", "data"), 2, pending.result())

    @classmethod
    def open(cls, data_dir: Path, on_slow: OnSlow | None = None) -> Self:
        """The SQLite store of a data directory. ``on_slow``: told in one line before a slow migration of
        it starts (a rebuild of the search index after an upgrade), as for ``connect``."""
        return cls(SQLiteDatabase(data_dir / DB_NAME, on_slow))

    @classmethod
    def connect(
        cls, location: str | Path, limits: Limits | None = None, on_slow: OnSlow | None = None
    ) -> Self:
        """A store by location: a ``postgresql://`` URL or keyword DSN (waiting at most as ``limits``
        say), or the path of a SQLite file. ``on_slow``: told in one line (the location without a password)
        before a slow migration starts; nothing when none is pending."""
        text = str(location)
        if isinstance(location, str) and is_postgres(text):
            return cls(PostgresDatabase(text, limits, on_slow))
        return cls(SQLiteDatabase(Path(text), on_slow))

    def beside(self) -> Self:
        """This store for another thread's statements alongside this one's, on a connection of its own: a
        PostgreSQL store's session runs them side by side with this one's on the server; a SQLite store's
        connection keeps each thread's cursors to itself (store/sqlite.py ``beside``). Closed by the caller
        when it is not ``self``."""
        return type(self)(self._db.beside())

    @property
    def location(self) -> str:
        return self._db.location

    def _compress_away(self, compress: Callable[[Rows], Rows], rows: Rows) -> None:
        """``compress(rows)`` on the store's thread: written by ``_write_pending``."""
        if self._compressor is None:
            self._compressor = ThreadPoolExecutor(1, thread_name_prefix="dailydiff-compress")
        self._pending_commits = self._compressor.submit(compress, rows)

    def close(self) -> None:
        try:
            self._write_pending()
        finally:
            if self._compressor is not None:
                self._compressor.shutdown()
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self, fenced: bool = False) -> Iterator[Database]:
        """A write transaction; yields the database (``with self._tx() as db: db.execute(…)``). ``fenced``:
        a write for the unit of ``FENCE`` (when one is set), made only while its claim still holds."""
        self._write_pending()
        with self._db.transaction():
            claim = FENCE.get() if fenced else None
            if claim is not None:
                self._check_fence(claim)
            yield self._db

    def _check_fence(self, claim: Claim) -> None:
        row = self._db.execute(
            FENCE_SQL + self._db.dialect.share_row, (claim.unit, claim.worker, claim.token)
        ).fetchone()
        if row is None:
            raise LeaseLostError(
                f"{claim.unit}: this worker's lease ran out and another worker took the unit over; "
                "nothing more is written for it here",
                "nothing to do: the other worker builds and delivers it",
            )

    def _upsert(
        self,
        table: str,
        columns: Sequence[str],
        keys: int,
        rows: Sequence[Sequence[object]],
        fenced: bool = False,
    ) -> None:
        """Insert or update ``rows`` of ``table`` (its key: the first ``keys`` columns) in ONE statement: one
        round trip, atomic without a transaction. ``fenced``: a write for the unit of ``FENCE`` (when one is
        set), made by the same statement only while the unit's claim holds (a lease lost: LeaseLostError).
        A batch too large for one statement's parameters is written in one transaction of several."""
        unique = list({tuple(row[:keys]): tuple(row) for row in rows}.values())  # a key twice: the last row
        if not unique:
            return
        if len(unique) > UPSERT_ROWS:
            with self._tx(fenced):
                for start in range(0, len(unique), UPSERT_ROWS):
                    self._upsert(table, columns, keys, unique[start : start + UPSERT_ROWS])
            return
        claim = FENCE.get() if fenced else None
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[keys:])
        picked = ", ".join(f"v.column{i + 1}" for i in range(len(columns)))
        values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * len(unique))
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked} FROM (VALUES {values}) AS v"
            # "WHERE true": SQLite's parser needs it before ON CONFLICT after a SELECT
            f"{', fence' if claim else ''} WHERE true ON CONFLICT ({', '.join(columns[:keys])}) DO UPDATE SET {updates}"
        )
        params = [value for row in unique for value in row]
        if claim is not None:
            sql = f"WITH fence AS ({FENCE_SQL}{self._db.dialect.share_row}) {sql}"
            params = [claim.unit, claim.worker, claim.token, *params]
        cursor = self._db.execute(sql, params)
        if claim is not None and cursor.rowcount < len(unique):
            self._check_fence(claim)  # the claim no longer holds: nothing was written

    def clock(self) -> dt.datetime:
        """Now, by the store's clock (PostgreSQL's ``now``): what every worker's leases and claims are judged by."""
        value = self._db.execute(f"SELECT {self._db.dialect.now}").fetchone()[0]
        return dt.datetime.fromtimestamp(float(value), dt.UTC)

    def _load(self, model: type[M], data: str | bytes, what: str) -> M:
        """Rows become models here; a row this version cannot read is a store error, not a crash (pydantic is
        imported by the models: a store that reads none, `search`'s, never imports it)."""
        from pydantic import ValidationError

        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the record"
            raise StoreError(
                f"this store ({self.location}) holds a {what} this dailydiff cannot read "
                f"({where}: {first['msg']}); it was probably written by a newer dailydiff",
                "upgrade, or use another --data-dir",
            ) from None

    def _rows_in(
        self, sql: str, values: Sequence[Any], before: Sequence[Any] = (), after: Sequence[Any] = ()
    ) -> list[Any]:
        """The rows of ``sql``, whose ``IN ({marks})`` lists ``values``, asked UPSERT_ROWS values at a time (within
        every database's number of parameters); ``before`` and ``after``: the parameters around the list."""
        rows: list[Any] = []
        for start in range(0, len(values), UPSERT_ROWS):
            chunk = values[start : start + UPSERT_ROWS]
            marks = ",".join("?" * len(chunk))
            rows += self._db.execute(sql.format(marks=marks), (*before, *chunk, *after)).fetchall()
        return rows

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM migrations ORDER BY name")]


def problem_in(exc: BaseException) -> str:
    """A driver's error in one line (the driver's own words, not the store error made of them)."""
    inner = exc.__context__ if isinstance(exc, StoreError) and exc.__context__ is not None else exc
    return scrub(" ".join(str(inner).split()))[:200]


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# The row of a unit claim that still holds (its fencing token): what a fenced write checks.
FENCE_SQL = "SELECT 1 FROM unit_claims WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'"
# Rows per upsert statement: within SQLite's 32766 and PostgreSQL's 65535 parameters at 7 columns.
UPSERT_ROWS = 500
