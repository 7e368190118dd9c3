"""The SQLite store: commits, analyses (keyed by analyser fingerprint), reports, the HTTP cache and
one row per run. WAL mode and a busy timeout let several processes share one data directory."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dailydiff.common.secrets import scrub
from dailydiff.errors import StoreError
from dailydiff.models import Analysis, Commit, DayReport, RunSummary
from dailydiff.store.migrations import MIGRATIONS

DB_NAME = "dailydiff.sqlite3"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _now_precise() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


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

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Delivery:
        repo, date, language, target, publisher, state, content_hash, owner, claimed, detail, *rest = row
        attempts, version, updated = rest
        return cls(str(repo), dt.date.fromisoformat(str(date)), str(language), str(target), str(publisher),
                   str(state), str(content_hash), str(owner), dt.datetime.fromisoformat(str(claimed)),
                   str(detail), int(str(attempts)), int(str(version)), dt.datetime.fromisoformat(str(updated)))  # fmt: skip


@dataclass(frozen=True)
class EndpointFacts:
    """What was learnt about an LLM endpoint and model: how it holds answers to a schema, its context."""

    response_mode: str | None = None
    context_window: int | None = None


@dataclass(frozen=True)
class StoredReport:
    repo: str
    date: dt.date
    language: str
    failed: int
    total: int
    report: DayReport


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 60000")
            self._open_shared()
        except (sqlite3.DatabaseError, OSError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise StoreError(
                f"cannot open the store at {path}: {problem}", "check --data-dir and the file's permissions"
            ) from None

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

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        return cls(data_dir / DB_NAME)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in db.execute("SELECT name FROM migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, _now()))

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM migrations ORDER BY name")]

    # commits -------------------------------------------------------------------------------------

    def save_commits(self, commits: Iterable[Commit]) -> None:
        rows = [
            (
                c.repo,
                c.sha,
                c.committed_at.astimezone(dt.UTC).isoformat(),
                zlib.compress(c.model_dump_json().encode(), 1),
            )
            for c in commits
        ]
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT INTO commits (repo, sha, committed_at, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (repo, sha) DO UPDATE SET committed_at = excluded.committed_at, data = excluded.data",
                rows,
            )

    def get_commit(self, repo: str, sha: str) -> Commit | None:
        row = self._db.execute("SELECT data FROM commits WHERE repo = ? AND sha = ?", (repo, sha)).fetchone()
        return Commit.model_validate_json(zlib.decompress(row[0])) if row else None

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
                found[(sha, fingerprint)] = Analysis.model_validate_json(data)
        return found

    def save_analysis(self, repo: str, sha: str, analysis: Analysis) -> None:
        self.save_analyses(repo, [(sha, analysis)])

    def save_analyses(self, repo: str, items: Iterable[tuple[str, Analysis]]) -> None:
        rows = [
            (repo, sha, a.fingerprint, a.analyzer, a.status.value, scrub(a.model_dump_json()), _now())
            for sha, a in items
        ]
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT INTO analyses (repo, sha, fingerprint, analyzer, status, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, sha, fingerprint) DO UPDATE SET "
                "analyzer = excluded.analyzer, status = excluded.status, data = excluded.data, "
                "created_at = excluded.created_at",
                rows,
            )

    def count_analyses(self, repo: str | None = None) -> int:
        if repo is None:
            return int(self._db.execute("SELECT COUNT(*) FROM analyses").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM analyses WHERE repo = ?", (repo,)).fetchone()[0])

    # reports -------------------------------------------------------------------------------------

    def save_report(self, report: DayReport) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO reports (repo, date, language, timezone, failed, total, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, date, language) DO UPDATE SET "
                "timezone = excluded.timezone, failed = excluded.failed, total = excluded.total, "
                "data = excluded.data, updated_at = excluded.updated_at",
                (
                    report.repo,
                    report.date.isoformat(),
                    report.language,
                    report.timezone,
                    report.stats.failed + report.stats.fallback,
                    report.stats.total,
                    scrub(report.model_dump_json()),
                    _now(),
                ),
            )

    def get_report(self, repo: str, date: dt.date, language: str) -> DayReport | None:
        row = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        ).fetchone()
        return DayReport.model_validate_json(row[0]) if row else None

    def list_reports(self, repo: str | None = None) -> list[tuple[str, dt.date, str]]:
        sql = "SELECT repo, date, language FROM reports"
        args: tuple[str, ...] = ()
        if repo is not None:
            sql += " WHERE repo = ?"
            args = (repo,)
        rows = self._db.execute(sql + " ORDER BY repo, date DESC, language", args)
        return [(r, dt.date.fromisoformat(d), lang) for r, d, lang in rows]

    def iter_reports(self, repo: str | None = None) -> Iterator[DayReport]:
        for r, d, lang in self.list_reports(repo):
            report = self.get_report(r, d, lang)
            if report is not None:
                yield report

    def data_version(self) -> int:
        """Changes whenever another connection (another process, or another Store) commits a write."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def report_rows(self) -> list[tuple[str, dt.date, str, str]]:
        """(repo, date, language, JSON text) of every stored report, unparsed (callers hash and reuse)."""
        rows = self._db.execute(
            "SELECT repo, date, language, data FROM reports ORDER BY repo, date DESC, language"
        )
        return [(r, dt.date.fromisoformat(d), lang, data) for r, d, lang, data in rows]

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
        with self._tx() as db:
            db.execute(
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
                    _now(),
                ),
            )

    # what an LLM endpoint can do (negotiated on first use, so the next run does not ask again) ------

    def llm_endpoint(self, endpoint: str, model: str) -> EndpointFacts | None:
        row = self._db.execute(
            "SELECT response_mode, context_window FROM llm_endpoints WHERE endpoint = ? AND model = ?",
            (endpoint, model),
        ).fetchone()
        return None if row is None else EndpointFacts(response_mode=row[0], context_window=row[1])

    def save_llm_endpoint(self, endpoint: str, model: str, facts: EndpointFacts) -> None:
        """Store what is known; a field left None keeps the value stored before."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO llm_endpoints (endpoint, model, response_mode, context_window, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (endpoint, model) DO UPDATE SET "
                "response_mode = COALESCE(excluded.response_mode, llm_endpoints.response_mode), "
                "context_window = COALESCE(excluded.context_window, llm_endpoints.context_window), "
                "updated_at = excluded.updated_at",
                (endpoint, model, facts.response_mode, facts.context_window, _now()),
            )

    # the delivery ledger: a delivery is claimed before it is sent ---------------------------------

    _LEDGER_COLUMNS = (
        "repo, date, language, target, publisher, state, content_hash, claim_owner, claimed_at, detail, "
        "attempts, version, updated_at"
    )

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
    ) -> bool:
        """Take the delivery for ``owner`` (state ``sending``); True when this call won it. ``seen`` is the
        row the caller decided on (None: there was none). The claim is one atomic statement — an insert
        that a unique key refuses, or an update conditional on the row's version — so of two processes
        deciding on the same row, one wins and the other gets False."""
        now = _now_precise()
        with self._tx() as db:
            if seen is None:
                cursor = db.execute(
                    f"INSERT INTO delivery_ledger ({self._LEDGER_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, '', 1, 1, ?) "
                    "ON CONFLICT (repo, date, language, target) DO NOTHING",
                    (repo, date.isoformat(), language, target, publisher, content_hash, owner, now, now),
                )
            else:
                cursor = db.execute(
                    "UPDATE delivery_ledger SET state = 'sending', publisher = ?, content_hash = ?, "
                    "claim_owner = ?, claimed_at = ?, attempts = attempts + 1, version = version + 1, "
                    "updated_at = ? WHERE repo = ? AND date = ? AND language = ? AND target = ? AND version = ?",
                    (publisher, content_hash, owner, now, now, repo, date.isoformat(), language, target,
                     seen.version),
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
    ) -> bool:
        """Record the outcome of a claimed delivery (``delivered`` or ``failed``); False when the claim
        was no longer ours (another process took it over as stale)."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE delivery_ledger SET state = ?, content_hash = ?, detail = ?, version = version + 1, "
                "updated_at = ? WHERE repo = ? AND date = ? AND language = ? AND target = ? "
                "AND claim_owner = ? AND state = 'sending'",
                (
                    state,
                    content_hash,
                    scrub(detail),
                    _now_precise(),
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
        command = scrub(command)  # e.g. a git URL's user:password never reaches the store
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')", (command, _now())
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, summary: RunSummary | dict[str, object]) -> None:
        text = scrub(
            summary.model_dump_json() if isinstance(summary, RunSummary) else json.dumps(summary, default=str)
        )
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (_now(), status, text, run_id),
            )

    def runs(self) -> list[dict[str, object]]:
        cursor = self._db.execute(
            "SELECT id, command, started_at, finished_at, status, summary FROM runs ORDER BY id"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
