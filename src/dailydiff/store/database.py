"""The seam between the store and a database backend: one connection (``Database``), what differs between
the SQL of the backends (``Dialect``), and what every backend does the same way when it opens a store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dailydiff.errors import StoreError
from dailydiff.store.migrations import MIGRATIONS, SlowStep

# Told, before a slow migration starts, what it does (one line: the store's location, what is done and for how
# many reports); supplied by whoever talks to the user (the CLI), which may print it or not (--quiet).
OnSlow = Callable[[str], None]


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def now_precise() -> str:
    """To the microsecond: the delivery ledger orders claims by it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL of the backends (besides placeholders, which a backend translates)."""

    name: str  # "sqlite" or "postgresql" (also the key of migrations.DIALECT_WORDS)
    now: str  # an SQL expression: seconds since the epoch by the store's clock (a lease's clock)
    lock_row: str  # appended to the SELECT that picks a unit to claim (its table is ``c``)
    share_row: str = ""  # appended to the SELECT that checks a fencing token: holds the row until commit
    # Run by the worker that plans a shared plan's units (nothing of it pending or running yet): fresh table
    # statistics, so that each claim's query is planned for the rows there are now (see ledger.plan_units).
    analyse_units: str = ""
    like_any_case: str = "LIKE"  # a LIKE that takes ASCII letters in any case (SQLite's LIKE does)


class Database(Protocol):
    """One connection to a backend. SQL uses ``?`` placeholders; the backend translates."""

    dialect: Dialect
    location: str  # for messages: a path, or a URL without its password
    search_index_rebuilt: bool  # by a migration, once an opening

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; the result iterates rows and has fetchone/fetchall/description/rowcount."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction; writers are serialised (SQLite: BEGIN IMMEDIATE)."""

    def data_version(self) -> int:
        """Changes whenever another connection commits a write (may change more often, never less)."""

    def tables(self) -> list[str]: ...

    def iter_rows(self, table: str, batch: int) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """Every row of ``table`` in batches, with the column names."""

    def after_copy(self, table: str) -> None:
        """Bring auto-numbering up to date after rows were copied in with their ids."""

    def beside(self) -> Database:
        """The same store on a connection of its own, for another thread's statements."""

    def close(self) -> None: ...


def check_not_newer(applied: Iterable[str], location: str) -> None:
    """A store that recorded a migration this version does not know was written by a newer version: refuse
    it before anything is written (the file stays byte for byte as it was)."""
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise StoreError(
            f"this store ({location}) was written by a newer dailydiff (migration {unknown[-1]})",
            "upgrade, or use another --data-dir",
        )


def announce_slow(db: Database, applied: Collection[str], on_slow: OnSlow | None) -> None:
    """Before the pending migrations of an existing store run: when one of them is slow (a ``SlowStep``) and
    there are reports for it to go through, tell ``on_slow`` in one line. A new store, an empty one, or one
    with only quick migrations pending: nothing is said."""
    if on_slow is None or not applied:  # no migration recorded yet: a new store, built empty
        return
    doing = [step.does for name, step in MIGRATIONS if name not in applied and isinstance(step, SlowStep)]
    if not doing:
        return
    reports = int(db.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    if reports:
        what = " and ".join(dict.fromkeys(doing))  # two rebuilds pending: said once
        count = f"{reports} report{'s' if reports > 1 else ''}"
        on_slow(f"upgrading the store at {db.location}: {what} (once, {count})…")
