"""The store: commits, analyses (keyed by analyser fingerprint), reports, the HTTP cache, deliveries, one
row per run, and the units of shared plans.

One class, ``Store``, written once in portable SQL, over a ``Database``: a connection to SQLite
(``store/sqlite.py``, the default, no server) or PostgreSQL (``store/postgres.py``, for teams and many
machines). A backend translates placeholders, runs transactions and migrations, and turns its driver's
errors into ``StoreError``s; where the SQL of the two differs, the difference is a field of ``Dialect``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from dailydiff.common.private import warn_if_exposed
from dailydiff.common.secrets import scrub
from dailydiff.common.storeurl import USERINFO_RE, is_postgres
from dailydiff.errors import LeaseLostError, SearchIndexError, StoreError, StoreFullError
from dailydiff.models import Analysis, Commit, DayReport, ReportCommit, RunSummary, Usage
from dailydiff.settings import HasStore
from dailydiff.store import changes, search, vectors
from dailydiff.store.database import Database, OnSlow, now_precise, now_text
from dailydiff.store.postgres import Limits, PostgresDatabase
from dailydiff.store.sqlite import DB_NAME, SQLiteDatabase

log = logging.getLogger("dailydiff.store")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    immutable: bool


@dataclass(frozen=True)
class Delivery:
    """A row of the delivery ledger: the delivery of one report (repo, date, language) to one target."""

    repo: str
    date: dt.date
    language: str
    target: str
    publisher: str
    state: str  # "sending" (claimed by claim_owner at claimed_at), "delivered" or "failed"
    content_hash: str
    claim_owner: str
    claimed_at: dt.datetime
    detail: str
    attempts: int
    version: int
    updated_at: dt.datetime
    resends: int = 0  # how many times --force sent it again after it was delivered

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Delivery:
        repo, date, language, target, publisher, state, content_hash, owner, claimed, detail, *rest = row
        attempts, version, updated, resends = rest
        return cls(str(repo), dt.date.fromisoformat(str(date)), str(language), str(target), str(publisher),
                   str(state), str(content_hash), str(owner), dt.datetime.fromisoformat(str(claimed)),
                   str(detail), int(str(attempts)), int(str(version)), dt.datetime.fromisoformat(str(updated)),
                   int(str(resends)))  # fmt: skip


@dataclass(frozen=True)
class EndpointFacts:
    """What was learnt about an LLM endpoint and model: how it holds answers to a schema, its context,
    whether it streams (False: it answers a streamed request with one JSON body); and what a run measured
    there (the concurrency limit it found, the fastest first token and prompt tokens a second it saw), with
    when (``measured_at``, aware UTC; set by the store when a limit is saved)."""

    response_mode: str | None = None
    context_window: int | None = None
    streams: bool | None = None
    concurrency_limit: int | None = None
    concurrency_ceiling: int | None = None  # the most the server admits at once, where a run found it
    latency: float | None = None
    prompt_rate: float | None = None
    measured_at: dt.datetime | None = None


@dataclass(frozen=True)
class FailingTarget:
    """A delivery target that failed on every one of its newest ``days`` days (the ledger's rows)."""

    repo: str
    target: str
    publisher: str
    days: int
    since: dt.date
    last: dt.date
    detail: str


@dataclass(frozen=True)
class StoredReport:
    repo: str
    date: dt.date
    language: str
    failed: int
    total: int
    report: DayReport


@dataclass(frozen=True)
class Claim:
    """A unit a worker holds until its lease runs out (unless renewed)."""

    plan: str
    unit: str
    worker: str
    attempt: int  # 1 for a first claim; more when taken over from a worker whose lease ran out
    previous_worker: str | None  # whose lease ran out, on a takeover
    token: int = 0  # the fencing token: grows on every claim of the unit, whatever the plan

    @property
    def fence(self) -> str:
        """What a delivery claimed under this unit claim records (``delivery_ledger.fence``)."""
        return f"{self.unit}#{self.token}"


# The unit claim the current task works for (a shared plan's worker sets it around a unit; asyncio tasks
# and threads started from there inherit it). While it is set, every write for the unit — analyses,
# report, delivery claims — first checks, in the same transaction, that the claim still holds.
FENCE: ContextVar[Claim | None] = ContextVar("dailydiff_fence", default=None)


@dataclass(frozen=True)
class UnitState:
    unit: str
    state: str  # "pending", "running", "done", "failed"
    worker: str | None
    attempts: int
    detail: str


class Store:
    """Everything dailydiff keeps. Open one with ``dailydiff.store.open_store(settings)`` (or ``Store.open``
    for a SQLite data directory, ``Store.connect`` for a path or URL)."""

    def __init__(self, db: Database | Path) -> None:
        # Store(path): a SQLite file, as before there were two backends.
        self._db: Database = SQLiteDatabase(db) if isinstance(db, Path) else db
        # The search index was found wanting (said once), or checked after the first stored report.
        self._index_warned = self._index_checked = False

    @classmethod
    def open(cls, data_dir: Path, on_slow: OnSlow | None = None) -> Store:
        """The SQLite store of a data directory. ``on_slow``: told in one line before a slow migration of
        it starts (a rebuild of the search index after an upgrade), as for ``connect``."""
        return cls(SQLiteDatabase(data_dir / DB_NAME, on_slow))

    @classmethod
    def connect(
        cls, location: str | Path, limits: Limits | None = None, on_slow: OnSlow | None = None
    ) -> Store:
        """A store by location: a ``postgresql://`` URL or keyword DSN (waiting at most as ``limits``
        say), or the path of a SQLite file. ``on_slow``: told in one line (the location without a password)
        before a slow migration starts; nothing when none is pending."""
        text = str(location)
        if isinstance(location, str) and is_postgres(text):
            return cls(PostgresDatabase(text, limits, on_slow))
        return cls(SQLiteDatabase(Path(text), on_slow))

    @property
    def location(self) -> str:
        return self._db.location

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self, fenced: bool = False) -> Iterator[Database]:
        """A write transaction; yields the database (``with self._tx() as db: db.execute(…)``). ``fenced``:
        a write for the unit of ``FENCE`` (when one is set), made only while its claim still holds."""
        with self._db.transaction():
            claim = FENCE.get() if fenced else None
            if claim is not None:
                self._check_fence(claim)
            yield self._db

    def _check_fence(self, claim: Claim) -> None:
        row = self._db.execute(
            _FENCE_SQL + self._db.dialect.share_row, (claim.unit, claim.worker, claim.token)
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
        if len(unique) > _UPSERT_ROWS:
            with self._tx(fenced):
                for start in range(0, len(unique), _UPSERT_ROWS):
                    self._upsert(table, columns, keys, unique[start : start + _UPSERT_ROWS])
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
            sql = f"WITH fence AS ({_FENCE_SQL}{self._db.dialect.share_row}) {sql}"
            params = [claim.unit, claim.worker, claim.token, *params]
        cursor = self._db.execute(sql, params)
        if claim is not None and cursor.rowcount < len(unique):
            self._check_fence(claim)  # the claim no longer holds: nothing was written

    def check_fence(self) -> None:
        """Raise LeaseLostError when the current task works for a unit claim that no longer holds (before
        an expensive step such as an LLM request)."""
        claim = FENCE.get()
        if claim is not None:
            self._check_fence(claim)

    def clock(self) -> dt.datetime:
        """Now, by the store's clock (PostgreSQL's ``now``): what every worker's leases and claims are judged by."""
        value = self._db.execute(f"SELECT {self._db.dialect.now}").fetchone()[0]
        return dt.datetime.fromtimestamp(float(value), dt.UTC)

    def _load(self, model: type[M], data: str | bytes, what: str) -> M:
        """Rows become models here; a row this version cannot read is a store error, not a crash."""
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

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM migrations ORDER BY name")]

    # commits -------------------------------------------------------------------------------------

    def save_commits(self, commits: Iterable[Commit]) -> None:
        """Insert or update commits; one stored as it is now is left as it is (a re-run reads the same history:
        reading it back costs less than compressing it again)."""
        commits = list(commits)
        stored: dict[tuple[str, str], bytes] = {}
        for repo in {c.repo for c in commits}:
            shas = [c.sha for c in commits if c.repo == repo]
            for start in range(0, len(shas), 500):
                chunk = shas[start : start + 500]
                rows = self._db.execute(
                    f"SELECT sha, data FROM commits WHERE repo = ? AND sha IN ({','.join('?' * len(chunk))})",
                    (repo, *chunk),
                )
                stored.update(((repo, sha), zlib.decompress(data)) for sha, data in rows)
        rows = []
        for c in commits:
            data = c.model_dump_json().encode()
            if stored.get((c.repo, c.sha)) != data:
                rows.append(
                    (c.repo, c.sha, c.committed_at.astimezone(dt.UTC).isoformat(), zlib.compress(data, 1))
                )
        self._upsert("commits", ("repo", "sha", "committed_at", "data"), 2, rows)

    def get_commit(self, repo: str, sha: str) -> Commit | None:
        row = self._db.execute("SELECT data FROM commits WHERE repo = ? AND sha = ?", (repo, sha)).fetchone()
        return self._load(Commit, zlib.decompress(row[0]), "commit") if row else None

    def find_commits(self, repo: str, prefix: str, limit: int = 2) -> list[Commit]:
        """The stored commits of ``repo`` whose sha starts with ``prefix`` (hex, lower case), at most ``limit``."""
        if not re.fullmatch(r"[0-9a-f]{4,40}", prefix):
            return []
        rows = self._db.execute(
            "SELECT data FROM commits WHERE repo = ? AND sha >= ? AND sha < ? ORDER BY sha LIMIT ?",
            (repo, prefix, prefix + "g", limit),
        ).fetchall()
        return [self._load(Commit, zlib.decompress(row[0]), "commit") for row in rows]

    def forget_analyses(self, repo: str, sha: str) -> int:
        """Drop every stored analysis of one commit (``report --reanalyze``): the next build asks again. What
        they cost stays spent (``spent_usage``)."""
        with self._tx():
            rows = self._db.execute(
                "SELECT sha, fingerprint, data FROM analyses WHERE repo = ? AND sha = ?", (repo, sha)
            ).fetchall()
            self._keep_spent(
                repo, [(str(s), str(f), self._load(Analysis, d, "analysis")) for s, f, d in rows]
            )
            cursor = self._db.execute("DELETE FROM analyses WHERE repo = ? AND sha = ?", (repo, sha))
        return int(getattr(cursor, "rowcount", 0) or 0)

    def _keep_spent(self, repo: str, replaced: Iterable[tuple[str, str, Analysis]]) -> None:
        """Record what analyses that are being replaced or dropped cost (inside the caller's transaction)."""
        now = now_text()
        for sha, fingerprint, analysis in replaced:
            usage = analysis.usage
            if usage.prompt_tokens or usage.completion_tokens or usage.cost:
                self._db.execute(
                    "INSERT INTO spent_usage (repo, sha, fingerprint, prompt_tokens, completion_tokens, cost, "
                    "replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (repo, sha, fingerprint, usage.prompt_tokens, usage.completion_tokens, usage.cost, now),
                )

    def spent_usage(self, repo: str, shas: Iterable[str], fingerprints: Iterable[str]) -> Usage:
        """Tokens and cost of these commits' analyses (by these fingerprints) that were since replaced."""
        shas, fingerprints = list(shas), list(fingerprints)
        total = Usage()
        if not shas or not fingerprints:
            return total
        fp_marks = ",".join("?" * len(fingerprints))
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            row = self._db.execute(
                "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
                f"COALESCE(SUM(cost), 0) FROM spent_usage WHERE repo = ? AND sha IN ({','.join('?' * len(chunk))}) "
                f"AND fingerprint IN ({fp_marks})",
                (repo, *chunk, *fingerprints),
            ).fetchone()
            total = total + Usage(
                prompt_tokens=int(row[0]), completion_tokens=int(row[1]), cost=float(row[2])
            )
        return total

    def count_commits(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM commits").fetchone()[0])

    # analyses ------------------------------------------------------------------------------------

    def get_analyses(
        self, repo: str, shas: Iterable[str], fingerprints: Iterable[str]
    ) -> dict[tuple[str, str], Analysis]:
        """Stored analyses of these commits under any of these fingerprints, keyed (sha, fingerprint)."""
        shas, fingerprints = list(shas), list(fingerprints)
        found: dict[tuple[str, str], Analysis] = {}
        if not shas or not fingerprints:
            return found
        fp_marks = ",".join("?" * len(fingerprints))
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT sha, fingerprint, data FROM analyses WHERE repo = ? AND sha IN ({marks}) "
                f"AND fingerprint IN ({fp_marks})",
                (repo, *chunk, *fingerprints),
            )
            for sha, fingerprint, data in rows:
                found[(sha, fingerprint)] = self._load(Analysis, data, "analysis")
        return found

    def save_analysis(self, repo: str, sha: str, analysis: Analysis) -> None:
        self.save_analyses(repo, [(sha, analysis)])

    def save_analyses(self, repo: str, items: Iterable[tuple[str, Analysis]]) -> None:
        """Store analyses; one that replaces another under the same key (a failed answer asked again) keeps
        what the replaced one cost in ``spent_usage``."""
        rows = [
            (repo, sha, a.fingerprint, a.analyzer, a.status.value, scrub(a.model_dump_json()), now_text())
            for sha, a in items
        ]
        columns = ("repo", "sha", "fingerprint", "analyzer", "status", "data", "created_at")
        replaced = self._replaced(repo, rows)
        if not replaced:
            self._upsert("analyses", columns, 3, rows, fenced=True)
            return
        with self._tx(fenced=True):
            for start in range(0, len(rows), _UPSERT_ROWS):
                self._upsert("analyses", columns, 3, rows[start : start + _UPSERT_ROWS])
            self._keep_spent(repo, replaced)

    def _replaced(self, repo: str, rows: Sequence[tuple[str, ...]]) -> list[tuple[str, str, Analysis]]:
        """The stored analyses that these rows would overwrite with something else."""
        new = {(row[1], row[2]): row[5] for row in rows}
        found: list[tuple[str, str, Analysis]] = []
        shas = sorted({sha for sha, _ in new})
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            stored = self._db.execute(
                f"SELECT sha, fingerprint, data FROM analyses WHERE repo = ? AND sha IN ({','.join('?' * len(chunk))})",
                (repo, *chunk),
            )
            for sha, fingerprint, data in stored:
                key = (str(sha), str(fingerprint))
                if key in new and new[key] != data:
                    found.append((*key, self._load(Analysis, data, "analysis")))
        return found

    def count_analyses(self, repo: str | None = None) -> int:
        if repo is None:
            return int(self._db.execute("SELECT COUNT(*) FROM analyses").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM analyses WHERE repo = ?", (repo,)).fetchone()[0])

    # reports -------------------------------------------------------------------------------------

    def save_report(self, report: DayReport) -> None:
        self.save_reports([report])

    def save_reports(self, reports: Iterable[DayReport]) -> None:
        """Save reports in ONE transaction (a bulk import pays one commit, not one a report), each with its
        rows of the search index — unless the index cannot be written: see ``_index``."""
        reports = list(reports)
        try:
            with self._tx(fenced=True):
                for report in reports:
                    # the index is current whenever the report is (unless it is damaged)
                    self._index(report, rebuilt=self._insert_report(report))
        except _IndexEndedTransaction as lost:  # SQLite undid the whole transaction: the reports, without it
            with self._tx(fenced=True):
                for report in reports:
                    self._insert_report(report)
            self._warn_index(f"it cannot be written ({lost.problem})")
        self._check_index_once()

    def _insert_report(self, report: DayReport) -> bool:
        """The report's row; returns whether its commits (what its rows of the search index are made of)
        differ from the stored report's, if any (a re-run's report differs in its run and its date only)."""
        key = (report.repo, report.date.isoformat(), report.language)
        data = scrub(report.model_dump_json())
        stored = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?", key
        ).fetchone()
        self._db.execute(
            "INSERT INTO reports (repo, date, language, timezone, failed, total, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, date, language) DO UPDATE SET "
            "timezone = excluded.timezone, failed = excluded.failed, total = excluded.total, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (*key, report.timezone, report.stats.failed + report.stats.fallback, report.stats.total, data,
             now_text()),
        )  # fmt: skip
        return stored is None or json.loads(stored[0]).get("commits") != json.loads(data)["commits"]

    def _index(self, report: DayReport, *, rebuilt: bool = True) -> None:
        """The report's rows of the search index, in the report's transaction under a savepoint: an index
        that cannot be written (damaged, a table dropped) is derived data, never a reason to lose the
        report — it is left as it is, with one warning per open store naming the command that rebuilds it.
        (A damaged FTS5 table can make SQLite undo the whole transaction: then the reports are saved again
        without the index.) A report whose commits are the stored ones' (``rebuilt`` false) keeps its rows
        while the index holds one for each of its commits."""
        self._db.execute("SAVEPOINT search_index")
        try:
            if rebuilt or not search.indexed(self._db, report):
                search.index_report(self._db, report)
        except (StoreFullError, LeaseLostError):
            raise
        except Exception as exc:
            try:
                self._db.execute("ROLLBACK TO SAVEPOINT search_index")
            except Exception:
                if self._db.dialect.name == "sqlite":
                    raise _IndexEndedTransaction(_problem(exc)) from None
                raise exc from None  # not the index: the connection to the server
            self._warn_index(f"it cannot be written ({_problem(exc)})")
        self._db.execute("RELEASE SAVEPOINT search_index")

    def _check_index_once(self) -> None:
        """Once per open store (a command's), after its first stored report: days the index lacks (its rows
        were deleted) are said in one warning, not found out by a search that silently misses them."""
        if self._index_checked or self._index_warned:
            return
        self._index_checked = True
        try:
            problem = search.health(self._db)
        except (StoreFullError, LeaseLostError):
            raise
        except Exception as exc:
            problem = f"it cannot be read ({_problem(exc)})"
        if problem:
            self._warn_index(problem)

    def _warn_index(self, problem: str) -> None:
        if not self._index_warned:
            self._index_warned = True
            log.warning("the search index of the store at %s: %s; the reports are stored, search is not up to "
                        "date: `dailydiff store reindex` rebuilds it", self.location, problem)  # fmt: skip

    def get_report(self, repo: str, date: dt.date, language: str) -> DayReport | None:
        row = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        ).fetchone()
        return self._load(DayReport, row[0], "report") if row else None

    def reports_between(
        self, repo: str, language: str, first: dt.date, last: dt.date, *, text: re.Pattern[str] | None = None
    ) -> list[DayReport]:
        """The stored reports of ``repo`` in ``language`` from ``first`` to ``last``, oldest first; with
        ``text``, only those whose stored text it matches (a cheap look that spares reading the others)."""
        rows = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND language = ? AND date >= ? AND date <= ? ORDER BY date",
            (repo, language, first.isoformat(), last.isoformat()),
        )
        return [
            self._load(DayReport, data, "report") for (data,) in rows if text is None or text.search(data)
        ]

    def list_reports(self, repo: str | None = None) -> list[tuple[str, dt.date, str]]:
        sql = "SELECT repo, date, language FROM reports"
        args: tuple[str, ...] = ()
        if repo is not None:
            sql += " WHERE repo = ?"
            args = (repo,)
        rows = self._db.execute(sql + " ORDER BY repo, date DESC, language", args)
        return sorted(
            ((r, dt.date.fromisoformat(d), lang) for r, d, lang in rows),
            key=lambda row: (row[0], -row[1].toordinal(), row[2]),
        )

    def iter_reports(self, repo: str | None = None) -> Iterator[DayReport]:
        for r, d, lang in self.list_reports(repo):
            report = self.get_report(r, d, lang)
            if report is not None:
                yield report

    def data_version(self) -> int:
        """Changes whenever another connection (another process, or another Store) commits a write."""
        return self._db.data_version()

    def report_rows(self) -> list[tuple[str, dt.date, str, str]]:
        """(repo, date, language, JSON text) of every stored report, unparsed (callers hash and reuse)."""
        rows = self._db.execute("SELECT repo, date, language, data FROM reports")
        # Sorted here, not by the database: PostgreSQL may collate text differently from SQLite.
        return sorted(
            ((r, dt.date.fromisoformat(d), lang, data) for r, d, lang, data in rows),
            key=lambda row: (row[0], -row[1].toordinal(), row[2]),
        )

    def report_stamps(self) -> list[tuple[str, dt.date, str, str]]:
        """(repo, date, language, updated_at) of every stored report, without its data: a cheap watermark
        (the static site compares it with the one its last build saw)."""
        rows = self._db.execute("SELECT repo, date, language, updated_at FROM reports")
        return [(r, dt.date.fromisoformat(d), lang, str(at)) for r, d, lang, at in rows]

    def report_rows_of(self, keys: Iterable[tuple[str, dt.date, str]]) -> list[tuple[str, dt.date, str, str]]:
        """``report_rows`` for the given (repo, date, language) keys only (those still stored)."""
        out = []
        for repo, date, language in keys:
            row = self._db.execute(
                "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?",
                (repo, date.isoformat(), language),
            ).fetchone()
            if row is not None:
                out.append((repo, date, language, str(row[0])))
        return out

    # http cache ----------------------------------------------------------------------------------

    def http_get(self, key: str) -> CachedResponse | None:
        row = self._db.execute(
            "SELECT status, headers, body, etag, last_modified, immutable FROM http_cache WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        status, headers, body, etag, last_modified, immutable = row
        return CachedResponse(
            status, json.loads(headers), zlib.decompress(body), etag, last_modified, bool(immutable)
        )

    def http_put(self, key: str, response: CachedResponse) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO http_cache (key, etag, last_modified, status, headers, body, immutable, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, status = excluded.status, headers = excluded.headers, "
                "body = excluded.body, immutable = excluded.immutable, stored_at = excluded.stored_at",
                (
                    key,
                    response.etag,
                    response.last_modified,
                    response.status,
                    json.dumps(response.headers),
                    zlib.compress(response.body, 1),
                    int(response.immutable),
                    now_text(),
                ),
            )

    # what an LLM endpoint can do (negotiated on first use, so the next run does not ask again) ------

    def llm_endpoint(self, endpoint: str, model: str) -> EndpointFacts | None:
        row = self._db.execute(
            "SELECT response_mode, context_window, streams, concurrency_limit, concurrency_ceiling, latency, "
            "prompt_rate, measured_at "
            "FROM llm_endpoints WHERE endpoint = ? AND model = ?",
            (endpoint, model),
        ).fetchone()
        if row is None:
            return None
        mode, window, streams, limit, ceiling, latency, rate, measured = row

        def number(value: object) -> float | None:  # derived data: a damaged field is no fact, not an error
            return float(value) if isinstance(value, int | float) and value > 0 else None

        when: dt.datetime | None = None
        try:
            when = dt.datetime.fromisoformat(str(measured)) if measured else None
        except ValueError:
            when = None
        return EndpointFacts(
            response_mode=mode if isinstance(mode, str) else None,
            context_window=int(window) if isinstance(window, int) and window > 0 else None,
            streams=None if streams is None else bool(streams),
            concurrency_limit=int(limit) if isinstance(limit, int) and limit > 0 else None,
            concurrency_ceiling=int(ceiling) if isinstance(ceiling, int) and ceiling > 0 else None,
            latency=number(latency),
            prompt_rate=number(rate),
            measured_at=when if when is not None and when.tzinfo is not None else None,
        )

    def save_llm_endpoint(self, endpoint: str, model: str, facts: EndpointFacts) -> None:
        """Store what is known; a field left None keeps the value stored before. A concurrency limit is
        stamped with the store's time (``measured_at``)."""
        measured = now_text() if facts.concurrency_limit else None
        streams = None if facts.streams is None else int(facts.streams)
        with self._tx() as db:
            db.execute(
                "INSERT INTO llm_endpoints (endpoint, model, response_mode, context_window, streams, "
                "concurrency_limit, concurrency_ceiling, latency, prompt_rate, measured_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (endpoint, model) DO UPDATE SET "
                "response_mode = COALESCE(excluded.response_mode, llm_endpoints.response_mode), "
                "context_window = COALESCE(excluded.context_window, llm_endpoints.context_window), "
                "streams = COALESCE(excluded.streams, llm_endpoints.streams), "
                "concurrency_limit = COALESCE(excluded.concurrency_limit, llm_endpoints.concurrency_limit), "
                "concurrency_ceiling = COALESCE(excluded.concurrency_ceiling, llm_endpoints.concurrency_ceiling), "
                "latency = COALESCE(excluded.latency, llm_endpoints.latency), "
                "prompt_rate = COALESCE(excluded.prompt_rate, llm_endpoints.prompt_rate), "
                "measured_at = COALESCE(excluded.measured_at, llm_endpoints.measured_at), "
                "updated_at = excluded.updated_at",
                (endpoint, model, facts.response_mode, facts.context_window, streams, facts.concurrency_limit,
                 facts.concurrency_ceiling, facts.latency, facts.prompt_rate, measured, now_text()),
            )  # fmt: skip

    # daily digests across repositories -----------------------------------------------------------

    def save_digest(self, name: str, date: dt.date, language: str, fingerprint: str, data: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO digests (name, date, language, fingerprint, data, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name, date, language) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "data = excluded.data, updated_at = excluded.updated_at",
                (name, date.isoformat(), language, fingerprint, scrub(data), now_text()),
            )

    def get_digest(self, name: str, date: dt.date, language: str) -> tuple[str, str] | None:
        """(fingerprint, JSON) of a stored digest."""
        row = self._db.execute(
            "SELECT fingerprint, data FROM digests WHERE name = ? AND date = ? AND language = ?",
            (name, date.isoformat(), language),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def list_digests(self) -> list[tuple[str, dt.date, str]]:
        rows = self._db.execute("SELECT name, date, language FROM digests")
        return sorted(((n, dt.date.fromisoformat(d), lang) for n, d, lang in rows),
                      key=lambda row: (row[0], -row[1].toordinal(), row[2]))  # fmt: skip

    def digest_stamps(self) -> list[tuple[str, dt.date, str, str]]:
        """(name, date, language, updated_at) of every stored digest, without its data."""
        rows = self._db.execute("SELECT name, date, language, updated_at FROM digests")
        return [(n, dt.date.fromisoformat(d), lang, str(at)) for n, d, lang, at in rows]

    # the delivery ledger: a delivery is claimed before it is sent ---------------------------------

    _LEDGER_COLUMNS = (
        "repo, date, language, target, publisher, state, content_hash, claim_owner, claimed_at, detail, "
        "attempts, version, updated_at, resends"
    )
    _LEDGER_CLAIM_COLUMNS = _LEDGER_COLUMNS + ", fence"

    def delivery(self, repo: str, date: dt.date, language: str, target: str) -> Delivery | None:
        row = self._db.execute(
            f"SELECT {self._LEDGER_COLUMNS} FROM delivery_ledger "
            "WHERE repo = ? AND date = ? AND language = ? AND target = ?",
            (repo, date.isoformat(), language, target),
        ).fetchone()
        return Delivery.from_row(row) if row else None

    def deliveries(self, repo: str, date: dt.date, language: str) -> dict[str, Delivery]:
        """target -> its ledger row, for one report."""
        rows = self._db.execute(
            f"SELECT {self._LEDGER_COLUMNS} FROM delivery_ledger WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        )
        return {row[3]: Delivery.from_row(row) for row in rows}

    def failing_targets(self, days: int) -> list[FailingTarget]:
        """The delivery targets whose newest ``days`` (or more) days all failed, per repository (a digest
        is ``digest:<name>``): how many days in a row, since when, and the last failure's detail. A streak
        is its target's: the publisher's name at one address (the ledger's target, a fingerprint of it);
        another address has a streak of its own. A day on which nothing was tried for the target (no row:
        not configured, or built by a machine with another address; a day skipped as empty) neither
        continues nor ends it."""
        rows = self._db.execute(
            "SELECT repo, target, publisher, date, state, detail FROM delivery_ledger "
            "WHERE state IN ('delivered', 'failed') AND sent = 1 ORDER BY repo, target, date DESC"
        )
        found: list[FailingTarget] = []
        # Per target, its days newest first: whether anything was delivered that day, else a failure's detail
        # (a day reported in two languages is one day; one delivered is a day the target worked).
        days_of: dict[tuple[str, str, str], dict[str, str | None]] = {}
        for repo, target, publisher, date, state, detail in rows:
            day = days_of.setdefault((str(repo), str(target), str(publisher)), {})
            if state != "failed":
                day[str(date)] = None
            else:
                day.setdefault(str(date), str(detail))
        streak: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for key, outcomes in days_of.items():
            for date, detail in outcomes.items():  # in the order the rows came: newest first
                if detail is None:
                    break
                streak.setdefault(key, []).append((date, detail))
        for (repo, target, publisher), failed in streak.items():
            if days > 0 and len(failed) >= days:
                (newest, detail), since = failed[0], failed[-1][0]
                found.append(FailingTarget(repo, target, publisher, len(failed), dt.date.fromisoformat(since),
                                           dt.date.fromisoformat(newest), detail))  # fmt: skip
        return found

    def claim_delivery(
        self,
        repo: str,
        date: dt.date,
        language: str,
        target: str,
        *,
        publisher: str,
        content_hash: str,
        owner: str,
        seen: Delivery | None,
        resends: int = 0,
    ) -> bool:
        """Take the delivery for ``owner`` (state ``sending``); True when this call won it. ``seen`` is the
        row the caller decided on (None: there was none). The claim is one atomic statement — an insert
        that a unique key refuses, or an update conditional on the row's version — so of two processes
        deciding on the same row, one wins and the other gets False. Under a unit claim (``FENCE``) the
        delivery is claimed only while the unit's claim holds, and records its token: taking the unit over
        makes this delivery claim stale at once. ``resends``: how many times it has been sent again by
        ``--force`` after it was delivered, this sending included. Times are the store's clock."""
        claim = FENCE.get()
        fence = claim.fence if claim is not None else ""
        with self._tx(fenced=True) as db:
            now = self.clock().isoformat(timespec="microseconds")
            if seen is None:
                cursor = db.execute(
                    f"INSERT INTO delivery_ledger ({self._LEDGER_CLAIM_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, '', 1, 1, ?, ?, ?) "
                    "ON CONFLICT (repo, date, language, target) DO NOTHING",
                    (
                        repo,
                        date.isoformat(),
                        language,
                        target,
                        publisher,
                        content_hash,
                        owner,
                        now,
                        now,
                        resends,
                        fence,
                    ),
                )
            else:
                cursor = db.execute(
                    "UPDATE delivery_ledger SET state = 'sending', publisher = ?, content_hash = ?, "
                    "claim_owner = ?, claimed_at = ?, attempts = attempts + 1, version = version + 1, "
                    "updated_at = ?, resends = ?, fence = ? WHERE repo = ? AND date = ? AND language = ? "
                    "AND target = ? AND version = ?",
                    (publisher, content_hash, owner, now, now, resends, fence, repo, date.isoformat(), language,
                     target, seen.version),
                )  # fmt: skip
            return cursor.rowcount == 1

    def finish_delivery(
        self,
        repo: str,
        date: dt.date,
        language: str,
        target: str,
        *,
        owner: str,
        state: str,
        content_hash: str,
        detail: str,
        sent: bool = True,
    ) -> bool:
        """Record the outcome of a claimed delivery (``delivered`` or ``failed``); False when the claim
        was no longer ours (another process took it over as stale). ``sent``: False when nothing was tried
        (``delivered`` under skip_empty). What was sent must be recorded: a connection lost meanwhile (a
        server restart) is made again and the record tried once more (it is conditional on the claim, so
        doing it twice is harmless)."""
        args = (repo, date, language, target, owner, state, content_hash, detail, sent)
        try:
            return self._finish_delivery(*args)
        except StoreFullError:
            raise
        except StoreError:
            return self._finish_delivery(*args)

    def _finish_delivery(
        self,
        repo: str,
        date: dt.date,
        language: str,
        target: str,
        owner: str,
        state: str,
        content_hash: str,
        detail: str,
        sent: bool,
    ) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE delivery_ledger SET state = ?, content_hash = ?, detail = ?, sent = ?, "
                "version = version + 1, updated_at = ? WHERE repo = ? AND date = ? AND language = ? AND target = ? "
                "AND claim_owner = ? AND state = 'sending'",
                (
                    state,
                    content_hash,
                    scrub(detail),
                    int(sent),
                    self.clock().isoformat(timespec="microseconds"),
                    repo,
                    date.isoformat(),
                    language,
                    target,
                    owner,
                ),
            )
            return cursor.rowcount == 1

    # runs ----------------------------------------------------------------------------------------

    def start_run(self, command: str) -> int:
        command = scrub(
            USERINFO_RE.sub(r"\1***@", command)
        )  # a git URL's user:password never reaches the store
        with self._tx():
            row = self._db.execute(
                "INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running') RETURNING id",
                (command, now_text()),
            ).fetchone()
            return int(row[0])

    def finish_run(self, run_id: int, status: str, summary: RunSummary | dict[str, object]) -> None:
        text = scrub(
            summary.model_dump_json() if isinstance(summary, RunSummary) else json.dumps(summary, default=str)
        )
        with self._tx():
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (now_text(), status, text, run_id),
            )

    def runs(self) -> list[dict[str, object]]:
        cursor = self._db.execute(
            "SELECT id, command, started_at, finished_at, status, summary FROM runs ORDER BY id"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # units of shared plans (workers claim them with leases) ------------------------------------------
    # A unit (a repository-day, a digest-day) is one row of unit_claims whatever plans name it; `units`
    # says which plan names which unit, in which order. Lease times are the store's clock.

    def plan_units(
        self, plan: str, units: Sequence[str], needs: Mapping[str, Sequence[str]] | None = None
    ) -> int:
        """Add the units of ``plan`` that are not there yet (every worker of a plan calls this with the same
        units; the first one creates them); ``needs``: unit → the units it waits for. When nothing of the
        plan is pending or running (its last run is over: a unit waits only for units not settled yet, so
        none waits for ever), its units that failed are pending again: running a plan again retries them,
        while a worker joining a run under way leaves its failures alone. Returns how many units the plan
        has."""
        now = now_text()
        with self._tx() as db:
            busy = db.execute(
                "SELECT COUNT(*) FROM units u JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? "
                "AND c.state IN ('pending', 'running')",
                (plan,),
            ).fetchone()[0]
            if units:
                db.executemany(
                    "INSERT INTO units (plan, unit, position, state, updated_at) VALUES (?, ?, ?, 'pending', ?) "
                    "ON CONFLICT (plan, unit) DO NOTHING",
                    [(plan, unit, position, now) for position, unit in enumerate(units)],
                )
                db.executemany(
                    "INSERT INTO unit_claims (unit, state, updated_at) VALUES (?, 'pending', ?) "
                    "ON CONFLICT (unit) DO NOTHING",
                    [(unit, now) for unit in units],
                )
            pairs = [(unit, need) for unit, wanted in (needs or {}).items() for need in wanted]
            if pairs:
                db.executemany(
                    "INSERT INTO unit_needs (unit, needs) VALUES (?, ?) ON CONFLICT DO NOTHING", pairs
                )
            if not busy:
                db.execute(
                    "UPDATE unit_claims SET state = 'pending', worker = NULL, lease_until = NULL, updated_at = ? "
                    "WHERE state = 'failed' AND unit IN (SELECT unit FROM units WHERE plan = ?)",
                    (now, plan),
                )
            return int(db.execute("SELECT COUNT(*) FROM units WHERE plan = ?", (plan,)).fetchone()[0])

    def claim_unit(self, plan: str, worker: str, lease: float) -> Claim | None:
        """The next unit of ``plan`` nobody holds — pending (and every unit it needs settled: done or failed;
        it is built from what they left and names what is missing), or running under
        a lease that ran out (its worker died or froze) — now held by ``worker`` for ``lease`` seconds with
        a new fencing token; None when every unit is done, failed, held or waiting. Taking a unit over
        makes the delivery claims its old worker made under it stale at once."""
        now = self._db.dialect.now
        with self._tx() as db:
            row = db.execute(
                "SELECT c.unit, c.worker, c.attempts, c.token, c.state FROM units u "
                "JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? "
                f"AND (c.state = 'pending' OR (c.state = 'running' AND c.lease_until < {now})) "
                "AND NOT EXISTS (SELECT 1 FROM unit_needs n JOIN unit_claims d ON d.unit = n.needs "
                "WHERE n.unit = c.unit AND d.state NOT IN ('done', 'failed')) "
                "ORDER BY u.position LIMIT 1" + db.dialect.lock_row,
                (plan,),
            ).fetchone()
            if row is None:
                return None
            unit, previous, attempts, token, state = row
            token = int(token)
            db.execute(
                f"UPDATE unit_claims SET state = 'running', worker = ?, token = ?, lease_until = {now} + ?, "
                "attempts = attempts + 1, updated_at = ? WHERE unit = ?",
                (worker, token + 1, lease, now_text(), unit),
            )
            if state == "running":
                self._give_back_deliveries(f"{unit}#{token}", f"interrupted: {previous} lost the unit")
        return Claim(
            plan, unit, worker, int(attempts) + 1, previous if state == "running" else None, token + 1
        )

    def _give_back_deliveries(self, fence: str, why: str) -> None:
        """The delivery claims made under a unit claim that no longer holds: failed, so the next claimant
        sends them (inside the caller's transaction)."""
        self._db.execute(
            "UPDATE delivery_ledger SET state = 'failed', detail = ?, version = version + 1, updated_at = ? "
            "WHERE fence = ? AND state = 'sending'",
            (why, now_precise(), fence),
        )

    def renew_unit(self, claim: Claim, lease: float) -> bool:
        """Extend the lease; False when the unit is no longer this claim's (its lease ran out and another
        worker took it over)."""
        now = self._db.dialect.now
        with self._tx() as db:
            cursor = db.execute(
                f"UPDATE unit_claims SET lease_until = {now} + ? WHERE unit = ? AND worker = ? AND token = ? "
                "AND state = 'running'",
                (lease, claim.unit, claim.worker, claim.token),
            )
            return bool(cursor.rowcount)

    def complete_unit(self, claim: Claim, detail: str = "") -> bool:
        return self._finish_unit(claim, "done", detail)

    def fail_unit(self, claim: Claim, detail: str) -> bool:
        return self._finish_unit(claim, "failed", detail)

    def release_unit(self, claim: Claim) -> bool:
        """Give a held unit back (a worker stopping early): it is pending again, for any worker; a delivery
        still claimed under it is recorded as interrupted."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE unit_claims SET state = 'pending', worker = NULL, lease_until = NULL, updated_at = ? "
                "WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'",
                (now_text(), claim.unit, claim.worker, claim.token),
            )
            if cursor.rowcount:
                self._give_back_deliveries(claim.fence, f"interrupted: {claim.worker} stopped")
            return bool(cursor.rowcount)

    def _finish_unit(self, claim: Claim, state: str, detail: str) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE unit_claims SET state = ?, detail = ?, lease_until = NULL, updated_at = ? "
                "WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'",
                (state, scrub(detail), now_text(), claim.unit, claim.worker, claim.token),
            )
            return bool(cursor.rowcount)

    def unit_states(self, plan: str) -> list[UnitState]:
        rows = self._db.execute(
            "SELECT c.unit, c.state, c.worker, c.attempts, c.detail FROM units u "
            "JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? ORDER BY u.position",
            (plan,),
        )
        return [UnitState(*row) for row in rows]

    # the full-text index (store/search.py) -------------------------------------------------------

    def search_candidates(
        self, query: Sequence[str], filters: search.SearchFilters, limit: int
    ) -> list[search.SearchDoc]:
        with self._reading_index():
            return search.candidates(self._db, query, filters, limit)

    def search_term_counts(self, query: Sequence[str]) -> tuple[int, dict[str, int]]:
        with self._reading_index():
            return search.term_counts(self._db, query)

    def search_repos(self) -> list[str]:
        with self._reading_index():
            return search.repos(self._db)

    def search_type_counts(self, change_types: Sequence[str]) -> dict[str, int]:
        with self._reading_index():
            return search.type_counts(self._db, change_types)

    def search_span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day the search index holds a commit of (None when it holds none)."""
        with self._reading_index():
            return search.span(self._db)

    def search_health(self) -> str:
        """What is known to be wrong with the search index ('' for nothing), cheaply: a table missing, or
        stored days with commits it does not hold."""
        with self._reading_index():
            return search.health(self._db)

    def list_changes(self, filters: search.SearchFilters, prefer: str, cursor: Sequence[str] | None = None,
                     keep: Callable[[ReportCommit], bool] | None = None) -> Iterator[changes.Change]:  # fmt: skip
        """The analysed commits within ``filters``, newest first, after ``cursor`` (store/changes.py)."""
        return changes.iter_changes(self._db, filters, prefer, cursor, keep)

    def find_change(self, sha: str, repo: str | None, prefer: str) -> list[changes.Change]:
        return changes.find_change(self._db, sha, repo, prefer)

    # vectors beside the index (store/vectors.py, search/hybrid.py) ------------------------------------

    def vector_rows(self) -> list[tuple[str, str, str, str, str, str, str | None]]:
        if not {"search_vectors", "search_embedded"} <= set(self._db.tables()):
            with self._tx() as db:
                vectors.ensure(db)
        return vectors.rows(self._db)

    def vectors_missing(self) -> int:
        return vectors.missing(self._db)

    def stored_vector_keys(self, keys: Iterable[str]) -> set[str]:
        return vectors.stored_keys(self._db, keys)

    def save_vectors(self, model: str, items: Sequence[tuple[str, Sequence[float]]],
                     links: Sequence[tuple[str, str, str, str]]) -> None:  # fmt: skip
        """Vectors and which rows have them, in one transaction (a batch: an interrupted run resumes)."""
        with self._tx() as db:
            vectors.put(db, model, items)
            vectors.link(db, links)

    def nearest_vectors(self, query: Sequence[float], model: str, filters: search.SearchFilters,
                        limit: int) -> list[tuple[str, str, str, float]]:  # fmt: skip
        return vectors.nearest(self._db, query, model, filters, limit)

    def search_docs(
        self, keys: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], search.SearchDoc]:
        return vectors.docs(self._db, keys)

    @contextmanager
    def _reading_index(self) -> Iterator[None]:
        """A read of the search index: an error of the index itself (damaged, dropped) is a
        SearchIndexError naming `dailydiff store reindex`; one of the store (its server gone) is itself."""
        try:
            yield
        except (SearchIndexError, StoreFullError):
            raise
        except Exception as exc:
            try:
                self._db.execute("SELECT COUNT(*) FROM reports").fetchone()  # the store itself answers
            except Exception:
                raise exc from None
            raise SearchIndexError(
                f"the search index of the store at {self.location} cannot be read ({_problem(exc)})",
                "rebuild it from the stored reports: dailydiff store reindex",
            ) from None

    def check(self) -> list[str]:
        """`dailydiff store check`: what is damaged — the store itself (SQLite's integrity check), reports
        this version cannot read, and what is derived: the search index against a fresh one, cached answers
        that are not JSON. Empty when all is well."""
        found: list[str] = []
        if self._db.dialect.name == "sqlite":
            verdict = [str(row[0]) for row in self._db.execute("PRAGMA quick_check").fetchall()]
            if verdict != ["ok"]:
                found.append(
                    f"the store file is damaged ({'; '.join(verdict[:3])}): restore it from a backup"
                )
        unreadable = 0
        for (data,) in self._db.execute("SELECT data FROM reports").fetchall():
            try:
                DayReport.model_validate_json(data)
            except ValueError:
                unreadable += 1
        if unreadable:
            found.append(f"{unreadable} stored report(s) cannot be read by this version")
        try:
            found += search.problems(self._db)
            answers = self._db.execute("SELECT data FROM search_answers").fetchall()
        except (StoreFullError, LeaseLostError):
            raise
        except Exception as exc:
            found.append(f"the search index cannot be read ({_problem(exc)})")
            answers = []
        bad = sum(not _is_json(data) for (data,) in answers)
        if bad:
            found.append(f"{bad} cached answer(s) of `dailydiff ask` are not readable")
        return found

    def answer(self, key: str) -> str | None:
        row = self._db.execute("SELECT data FROM search_answers WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def save_answer(self, key: str, data: str) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO search_answers (key, data, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
                (key, scrub(data), now_text()),
            )

    def reindex_search(self) -> int:
        """Build the index again from every stored report, whatever state it is in (tables dropped and made
        anew), and drop cached answers that are not readable; returns the rows indexed."""
        with self._tx():
            count = search.recreate_index(self._db)
            vectors.clear(
                self._db
            )  # which row has which vector is found again; the vectors stay, by their text
            for key, data in self._db.execute("SELECT key, data FROM search_answers").fetchall():
                if not _is_json(data):
                    self._db.execute("DELETE FROM search_answers WHERE key = ?", (key,))
        self._index_warned = self._index_checked = False
        return count

    # copying a whole store (`dailydiff store copy`) ----------------------------------------------

    def copy_to(
        self,
        target: Store,
        batch: int = 500,
        progress: Callable[[str, int], None] | None = None,
        conflicts: list[str] | None = None,
    ) -> dict[str, int]:
        """Every row of every table into ``target`` (same schema: both are migrated by this version). Rows
        already there are kept, so an interrupted copy resumes by running it again; a row there that differs
        from ours is resolved and named in ``conflicts`` (a delivery recorded as delivered beats one that
        failed; of two differing reports or digests the newer is kept; a differing run is added under a new
        id). Each batch is one transaction with the table's numbering brought up to date, so a copy killed
        at any point leaves a store every command can use. Returns the number of rows read per table."""
        counts: dict[str, int] = {}
        notes = conflicts if conflicts is not None else []
        # The search index is derived from the reports: rebuilt in the target, never copied (its backing
        # differs between SQLite and PostgreSQL).
        mine = {t for t in self._db.tables() if t != "migrations" and not t.startswith(search.TABLE_PREFIX)}
        theirs = set(target._db.tables())
        for table in sorted(mine):
            if table not in theirs:
                raise StoreError(
                    f"{target.location} has no table {table!r}", "open it with this dailydiff first"
                )
            counts[table] = 0
            for columns, rows in self._db.iter_rows(table, batch):
                target._copy_batch(table, columns, rows, notes)
                counts[table] += len(rows)
                if progress is not None:
                    progress(table, counts[table])
        target.reindex_search()
        return counts

    def _copy_batch(
        self, table: str, columns: list[str], rows: list[tuple[object, ...]], notes: list[str]
    ) -> None:
        names, marks = ", ".join(columns), ", ".join("?" * len(columns))
        keys, compared = _COPY_KEYS.get(table, ()), _COMPARED.get(table, ())
        with self._tx() as db:
            differing = self._differing(table, columns, rows, keys, compared) if compared else []
            db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)
            db.after_copy(table)  # in the batch's transaction: numbering is never behind the rows
            for ours, theirs in differing:
                notes.append(self._resolve(table, columns, keys, ours, theirs))

    def _differing(
        self,
        table: str,
        columns: list[str],
        rows: list[tuple[object, ...]],
        keys: tuple[str, ...],
        compared: tuple[str, ...],
    ) -> list[tuple[dict[str, object], dict[str, object]]]:
        """(the incoming row, the row here) for every incoming row whose key is here with other contents."""
        incoming = {
            tuple(row[columns.index(k)] for k in keys): dict(zip(columns, row, strict=True)) for row in rows
        }
        found: list[tuple[dict[str, object], dict[str, object]]] = []
        key_list = list(incoming)
        marks = "(" + ", ".join("?" * len(keys)) + ")"
        for start in range(0, len(key_list), 200):
            chunk = key_list[start : start + 200]
            cursor = self._db.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE ({', '.join(keys)}) IN "
                f"(VALUES {', '.join([marks] * len(chunk))})",
                [value for key in chunk for value in key],
            )
            for row in cursor.fetchall():
                here = dict(
                    zip(columns, (bytes(v) if isinstance(v, memoryview) else v for v in row), strict=True)
                )
                ours = incoming[tuple(here[k] for k in keys)]
                if any(_plain(ours[c]) != _plain(here[c]) for c in compared):
                    found.append((ours, here))
        return found

    def _resolve(
        self,
        table: str,
        columns: list[str],
        keys: tuple[str, ...],
        ours: dict[str, object],
        here: dict[str, object],
    ) -> str:
        """Resolve one differing row (inside the batch's transaction); returns the line that names it."""
        what = f"{table} " + " ".join(str(ours[k]) for k in keys)
        where = " AND ".join(f"{k} = ?" for k in keys)
        key_values = [here[k] for k in keys]

        def take_ours() -> None:
            rest = [c for c in columns if c not in keys]
            self._db.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in rest)} WHERE {where}",
                             [ours[c] for c in rest] + key_values)  # fmt: skip

        if table == "delivery_ledger":
            if ours["state"] == "delivered" and here["state"] != "delivered":
                take_ours()
                return f"{what}: delivered in the source, {here['state']} here: recorded as delivered (not sent again)"
            return f"{what}: {ours['state']} in the source, {here['state']} here: kept this store's"
        if table == "runs":
            rest = [c for c in columns if c != "id"]
            new_id = self._db.execute(
                f"INSERT INTO runs ({', '.join(rest)}) VALUES ({', '.join('?' * len(rest))}) RETURNING id",
                [ours[c] for c in rest],
            ).fetchone()[0]
            return (f"run {ours['id']} differs ({ours['command']} at {ours['started_at']} in the source, "
                    f"{here['command']} at {here['started_at']} here): the source's is added as run {new_id}")  # fmt: skip
        # reports, digests: the newer one stands
        if str(ours["updated_at"]) > str(here["updated_at"]):
            take_ours()
            return f"{what} differs: took the source's (updated {ours['updated_at']}; this store's {here['updated_at']})"
        return f"{what} differs: kept this store's (updated {here['updated_at']}; the source's {ours['updated_at']})"

    def table_counts(self) -> dict[str, int]:
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in sorted(self._db.tables())
            if table != "migrations" and not table.startswith(search.TABLE_PREFIX)
        }


class _IndexEndedTransaction(Exception):  # a signal to save the reports again, without the index
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _problem(exc: BaseException) -> str:
    """A driver's error in one line (the driver's own words, not the store error made of them)."""
    inner = exc.__context__ if isinstance(exc, StoreError) and exc.__context__ is not None else exc
    return scrub(" ".join(str(inner).split()))[:200]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# The row of a unit claim that still holds (its fencing token): what a fenced write checks.
_FENCE_SQL = "SELECT 1 FROM unit_claims WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'"
# Rows per upsert statement: within SQLite's 32766 and PostgreSQL's 65535 parameters at 7 columns.
_UPSERT_ROWS = 500

# How `copy_to` knows a row again (a table's primary key) and what makes two versions of it differ.
_COPY_KEYS: dict[str, tuple[str, ...]] = {
    "reports": ("repo", "date", "language"),
    "digests": ("name", "date", "language"),
    "runs": ("id",),
    "delivery_ledger": ("repo", "date", "language", "target"),
}
_COMPARED: dict[str, tuple[str, ...]] = {
    "reports": ("data",),
    "digests": ("data",),
    "runs": ("command", "started_at"),
    "delivery_ledger": ("state", "content_hash"),
}


def _plain(value: object) -> object:
    return bytes(value) if isinstance(value, memoryview) else value


def store_location(settings: HasStore) -> str | Path:
    """Where the settings keep the store: ``[store] url`` (env DAILYDIFF_STORE_URL), else the SQLite file of
    the data directory."""
    if settings.store.url:
        return settings.store.url
    warn_if_exposed(settings.data_path)
    return settings.data_path / DB_NAME


def open_store(settings: HasStore, on_slow: OnSlow | None = None) -> Store:
    store = settings.store
    limits = Limits(store.lock_timeout, store.statement_timeout, store.reconnect_seconds)
    return Store.connect(store_location(settings), limits, on_slow)
