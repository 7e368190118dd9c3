"""PostgreSQL, for teams and many machines: ``[store] url = "postgresql://…"`` or a keyword DSN
``"host=… dbname=…"`` (or DAILYDIFF_STORE_URL).

Driver: psycopg 3 (``pip install 'dailydiff[postgres]'``), imported only when such a store is opened. The
URL's password never leaves this module: every message names the store by its redacted URL, and any text
a driver error carries is scrubbed.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from dailydiff.common import storeurl
from dailydiff.common.secrets import scrub
from dailydiff.errors import StoreError, StoreFullError
from dailydiff.store.database import Dialect, OnSlow, announce_slow, check_not_newer, now_text
from dailydiff.store.migrations import MIGRATIONS, script_for

POSTGRES = Dialect(
    name="postgresql",
    now="EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION",
    lock_row=" FOR UPDATE OF c SKIP LOCKED",
    share_row=" FOR SHARE",
    # A night's hundreds of new units, planned on statistics of before them (none, in a new store), made
    # every claim a nested loop over all units × all claims: 40-50 ms a claim at 500 units, O(n²) (a
    # role that does not own the tables is skipped with a warning, not an error).
    analyse_units="ANALYZE units, unit_claims, unit_needs",
    like_any_case="ILIKE",
)
# One pool per process: a closed Store gives its connection back, the next one opened on the same URL (a
# delivery's worker thread, the lease heartbeat, a digest) takes it instead of connecting and authenticating
# again. Opening a store checks its schema with one query; only a store that lacks a migration is migrated.
_POOL_SIZE = 8
_pool: dict[tuple[str, Any], list[Any]] = {}
_pool_lock = threading.Lock()
# One outage per store and process: when this process first lost its connection to a store (monotonic
# seconds), until a connection is made again. Every connection of the process waits out the same outage, so
# ``reconnect_seconds`` bounds the whole outage, not each store call (a run's many calls, each with a window
# of its own, once waited minutes for a server that was not coming back).
_outages: dict[str, float] = {}
_MIGRATION_LOCK = 0x64_61_69_6C_79  # pg_advisory_xact_lock key: one migrating process at a time
_CONNECT_HINT = "check [store] url (or DAILYDIFF_STORE_URL) and that the server is running"
log = logging.getLogger("dailydiff.store")
_FULL_HINT = (
    "free some space on the database server and run the same command again; what was analysed is stored"
)


# The stores this process has reached once: a new connection to one that fails is an outage (waited out
# under reconnect_seconds), not a wrong URL.
_reached: set[str] = set()


def _outage_started(url: str) -> float | None:
    with _pool_lock:
        return _outages.get(url)


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """Our SQL's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


@dataclass(frozen=True)
class Limits:
    """How long the store waits: for a lock another session holds (``lock_timeout``), for one statement
    (``statement_timeout``), and for the server to come back after the connection was lost (``reconnect``),
    in seconds ([store] settings)."""

    lock_timeout: float = 10.0
    statement_timeout: float = 300.0
    reconnect: float = 60.0


class PostgresDatabase:
    dialect = POSTGRES
    search_index_rebuilt = False  # once an opening (store/migrations.py)

    def __init__(self, url: str, limits: Limits | None = None, on_slow: OnSlow | None = None, *,
                 checked: bool = False) -> None:  # fmt: skip
        """``checked``: the store's schema was checked by this process already (``beside``): not again."""
        try:
            address = storeurl.parse(url)
        except storeurl.StoreURLError as exc:
            raise StoreError(str(exc), _CONNECT_HINT) from None
        self.location = address.shown
        self._url = url
        self.limits = limits or Limits()
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                "a PostgreSQL store needs the psycopg driver",
                "pip install 'dailydiff[postgres]' (or 'psycopg[binary]')",
            ) from None
        self._psycopg = psycopg
        self._lock = threading.RLock()  # one connection: a transaction must not interleave across threads
        self._depth = 0  # transactions open on the connection (a lost connection is not retried inside one)
        self._db: Any = self._take()
        if self._db is None:
            try:
                self._db = self._connect()
            except psycopg.Error as exc:
                if _outage_started(url) is None and url not in _reached:
                    raise self._error(exc, "cannot connect to") from None
                # The server is away (already known, or found now by a new connection of a process that had
                # reached it): this connection waits out the same outage.
                self._reconnect()
            else:
                self._came_back()
        try:
            if not checked:
                self._check_schema(on_slow)
        except BaseException:
            self._db.close()
            raise

    def beside(self) -> PostgresDatabase:
        """The same store on a session of its own, for another thread's reads while this one's run: on one
        connection they would wait for each other (``execute`` holds it), on two the server runs them side by
        side (a hybrid search's vectors beside its words, search/hybrid.py)."""
        return PostgresDatabase(self._url, self.limits, checked=True)

    def _take(self) -> Any:
        """An idle connection of this process's pool to the same store, or None."""
        with _pool_lock:
            idle = _pool.get((self._url, self.limits), [])
            while idle:
                connection = idle.pop()
                if not connection.closed and connection.info.transaction_status == _IDLE:
                    return connection
                connection.close()
        return None

    def _check_schema(self, on_slow: OnSlow | None) -> None:
        """Refuse a store a newer version has written to; migrate one that lacks a migration (under the
        migration lock; a slow one is announced before the lock is waited for). A store that is up to date
        costs one query."""
        try:
            applied = [row[0] for row in self.execute("SELECT name FROM migrations")]
        except self._psycopg.errors.UndefinedTable:  # a new store
            applied = []
        check_not_newer(applied, self.location)
        if {name for name, _ in MIGRATIONS} - set(applied):
            announce_slow(self, applied, on_slow)
            self._migrate()

    def _connect(self, timeout: float = 30.0) -> Any:
        # Every statement of a session under the same limits: a lock held elsewhere or a stuck statement
        # ends in one line instead of a silent wait.
        options = (
            f"-c lock_timeout={int(self.limits.lock_timeout * 1000)} "
            f"-c statement_timeout={int(self.limits.statement_timeout * 1000)}"
        )
        return self._psycopg.connect(self._url, autocommit=True, connect_timeout=max(2, math.ceil(timeout)),
                                     application_name="dailydiff", options=options)  # fmt: skip

    def _broken(self) -> bool:
        return bool(self._db.closed or self._db.broken)

    def _reconnect(self) -> None:
        """The server went away (a restart, a fail-over): connect again, backing off, until
        ``limits.reconnect`` seconds after this process first lost the store (one deadline for the whole
        outage, shared by every connection); past it, one try and the error that ends the command."""
        now = time.monotonic()
        with _pool_lock:
            started = _outages.setdefault(self._url, now)
        if started == now:
            log.warning("lost the connection to the store at %s; reconnecting for up to reconnect_seconds %gs",
                        self.location, self.limits.reconnect)  # fmt: skip
        deadline = started + self.limits.reconnect
        delay = 0.2
        while True:
            try:
                if self._db is not None:
                    self._db.close()
                self._db = self._connect(deadline - time.monotonic())
            except self._psycopg.Error as exc:
                if time.monotonic() >= deadline:
                    raise self._gone(exc, time.monotonic() - started) from None
            else:
                self._came_back()
                return
            # the window is waited out whole: the last try is at the deadline itself
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 5.0)

    def _came_back(self) -> None:
        """A connection was made: the outage of this store, if there was one, is over."""
        with _pool_lock:
            _reached.add(self._url)
            ended = _outages.pop(self._url, None) is not None
        if ended:
            log.warning("reconnected to the store at %s", self.location)

    def _gone(self, exc: BaseException, waited: float) -> StoreError:
        return StoreError(
            f"the PostgreSQL store at {self.location} did not come back within reconnect_seconds "
            f"{self.limits.reconnect:g}s (unreachable for {waited:.0f}s): {self._text(exc)}",
            "start the database server (or raise [store] reconnect_seconds) and run the same command again; "
            "what was done before is stored",
        )

    def _text(self, exc: BaseException) -> str:
        """A driver error's text without the password: registered when the URL was parsed, it goes with
        the one scrub (a weak one, such as "postgres", only where it stands as a password)."""
        return scrub(storeurl.redact_url(" ".join(str(exc).split())))

    def _error(self, exc: BaseException, doing: str = "cannot use") -> BaseException:
        errors = self._psycopg.errors
        if isinstance(exc, errors.LockNotAvailable):
            return StoreError(
                f"the store at {self.location} is locked by another session: waited lock_timeout "
                f"{self.limits.lock_timeout:g}s",
                "find the session holding the lock (pg_stat_activity) and end it, or raise [store] lock_timeout; "
                "what was analysed is stored",
            )
        if isinstance(exc, errors.QueryCanceled):
            return StoreError(
                f"a statement on the store at {self.location} ran past statement_timeout "
                f"{self.limits.statement_timeout:g}s",
                "check the database server's load, or raise [store] statement_timeout; what was analysed is stored",
            )
        if isinstance(
            exc, errors.DiskFull | errors.OutOfMemory | errors.IoError | errors.InsufficientResources
        ):
            return StoreFullError(f"cannot write the store at {self.location}: {self._text(exc)}", _FULL_HINT)
        if isinstance(
            exc, self._psycopg.OperationalError | errors.InsufficientPrivilege | errors.InvalidCatalogName
        ):
            return StoreError(
                f"{doing} the PostgreSQL store at {self.location}: {self._text(exc)}", _CONNECT_HINT
            )
        return exc

    def _migrate(self) -> None:
        with self.transaction():
            # Another command may be upgrading the store, and a rebuild of the search index outlasts lock_timeout
            # (meant for a row another session holds): it is waited for as long as a statement may take.
            self.execute("SET LOCAL lock_timeout = 0")
            self.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            self.execute(f"SET LOCAL lock_timeout = {int(self.limits.lock_timeout * 1000)}")
            has_table = self.execute("SELECT to_regclass('migrations') IS NOT NULL").fetchone()[0]
            if has_table:  # refuse a newer store before anything is written
                check_not_newer(
                    (row[0] for row in self.execute("SELECT name FROM migrations")), self.location
                )
            self.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = {row[0] for row in self.execute("SELECT name FROM migrations")}
            for name, step in MIGRATIONS:
                if name in applied:
                    continue
                if isinstance(step, str):
                    self._run_script(script_for(step, POSTGRES.name))  # whole: PostgreSQL parses it
                else:
                    step(self)
                self.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, now_text()))

    def _run_script(self, script: str) -> None:
        """A script without parameters goes to the server as it is, several statements in one message."""
        try:
            self._db.execute(script.encode())
        except self._psycopg.Error as exc:
            raise self._error(exc) from None

    # the Database protocol ------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = (), *, binary: bool = False) -> Any:
        """``binary``: the rows in PostgreSQL's binary format (a ``bytea`` column is sent as its bytes, not
        as hex text twice their size that the client decodes: store/vectors.py reads 10,000 vectors so)."""
        with self._lock:
            return self._retrying(
                lambda: self._db.execute(_placeholders(sql), tuple(params), prepare=True, binary=binary)
            )

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        def run() -> None:
            with self._db.cursor() as cursor:
                cursor.executemany(_placeholders(sql), [tuple(row) for row in rows])

        with self._lock:
            self._retrying(run)

    def _retrying(self, statement: Any) -> Any:
        """Run one statement; outside a transaction, a connection the server dropped is made again and the
        statement run once more (inside one, the caller's transaction is lost: the error goes up)."""
        if self._depth == 0 and self._broken():
            self._reconnect()
        try:
            return statement()
        except self._psycopg.Error as exc:
            if self._depth == 0 and self._broken():
                self._reconnect()
                try:
                    return statement()
                except self._psycopg.Error as again:
                    raise self._error(again) from None
            raise self._error(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0 and self._broken():
                self._reconnect()
            self._depth += 1
            try:
                with self._begin():
                    yield
            except self._psycopg.Error as exc:  # raised at COMMIT (e.g. a serialisation failure)
                raise self._error(exc) from None
            finally:
                self._depth -= 1

    def _begin(self) -> Any:
        """The connection's transaction, entered. A connection the server dropped while it sat idle (a
        restart) is only found out by BEGIN: nothing of the caller's has run yet, so it is made again and
        BEGIN sent once more."""
        stack = ExitStack()
        try:
            stack.enter_context(self._db.transaction())
        except self._psycopg.Error as exc:
            if self._depth != 1 or not self._broken():
                raise self._error(exc) from None
            self._reconnect()
            stack.enter_context(self._db.transaction())
        return stack

    def data_version(self) -> int:
        # The next transaction id of the server: it moves whenever anyone commits a write (and sometimes
        # more often, which only costs a comparison of report hashes).
        return int(self.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::TEXT::BIGINT").fetchone()[0])

    def tables(self) -> list[str]:
        # The catalog, not information_schema.tables (the same tables: ordinary and partitioned ones the user
        # owns or holds a privilege on): its view costs 2.5-3.5 ms in a new connection, this 0.4 ms, and
        # `search` asks it every time.
        rows = self.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relnamespace = "
            "(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = current_schema()) "
            "AND c.relkind IN ('r', 'p') AND (pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, "
            "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))"
        )
        return sorted(row[0] for row in rows)

    def iter_rows(self, table: str, batch: int) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        # A server-side cursor, so a large table is never held in memory at once.
        with self._lock, self._db.transaction(), self._db.cursor(name=f"copy_{table}") as cursor:
            cursor.execute(f"SELECT * FROM {table}".encode())
            columns: list[str] | None = None
            while rows := cursor.fetchmany(batch):
                if columns is None:
                    columns = [d.name for d in cursor.description or ()]
                yield columns, [tuple(row) for row in rows]

    def after_copy(self, table: str) -> None:
        numbered = self.execute(
            "SELECT pg_get_serial_sequence(?, column_name) FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id' AND is_identity = 'YES'",
            (table, table),
        )
        for sequence in numbered:
            self.execute(
                f"SELECT setval(?, (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)", (sequence[0],)
            )

    def close(self) -> None:
        connection = self._db
        if not self._broken() and connection.info.transaction_status == _IDLE:
            with _pool_lock:
                idle = _pool.setdefault((self._url, self.limits), [])
                if len(idle) < _POOL_SIZE:
                    idle.append(connection)
                    return
        connection.close()


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (not imported: psycopg loads only with a PostgreSQL store)
