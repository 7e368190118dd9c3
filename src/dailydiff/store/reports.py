"""Commits, their analyses, the day reports and the digests: what the store keeps of each day."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dailydiff.common.secrets import scrub
from dailydiff.errors import LeaseLostError, StoreFullError
from dailydiff.kinds import AnalysisStatus
from dailydiff.store import search
from dailydiff.store.base import UPSERT_ROWS, StoreBase, problem_in
from dailydiff.store.database import now_text

if TYPE_CHECKING:  # the data model (pydantic) is imported where a record is read, not to open the store
    from dailydiff.models import Analysis, Commit, DayReport, Usage

log = logging.getLogger("dailydiff.store")
# Stored reports whose parsed form reports_between remembers (a range's days each look at the next month).
PARSED_REPORTS = 64


# Commits whose JSON is at least this long are compressed on another thread (below it, the hand-over costs
# more than compressing here).
COMPRESS_AWAY_BYTES = 64 * 1024


def _compressed(rows: list[tuple[str, str, str, bytes]]) -> list[tuple[str, str, str, bytes]]:
    """The commits' rows with their JSON compressed (level 1: a month of patches is megabytes)."""
    return [(repo, sha, at, zlib.compress(data, 1)) for repo, sha, at, data in rows]


@dataclass(frozen=True)
class StoredReport:
    repo: str
    date: dt.date
    language: str
    failed: int
    total: int
    report: DayReport


class ReportStore(StoreBase):
    """Commits, their analyses, the day reports and the digests: what the store keeps of each day."""

    # commits -------------------------------------------------------------------------------------

    def save_commits(self, commits: Iterable[Commit]) -> None:
        """Insert or update commits; one stored as it is now is left as it is (a re-run reads the same history:
        reading it back costs less than compressing it again). Many patches (a backfill's day) are compressed
        on another thread while this one goes on (zlib lets go of the interpreter): they are written before
        the store's next write, its next read of commits or its close (``_write_pending``)."""
        self._write_pending()
        commits = list(commits)
        stored: dict[tuple[str, str], bytes] = {}
        for repo in {c.repo for c in commits}:
            shas = [c.sha for c in commits if c.repo == repo]
            rows = self._rows_in(
                "SELECT sha, data FROM commits WHERE repo = ? AND sha IN ({marks})", shas, (repo,)
            )
            stored.update(((repo, sha), zlib.decompress(data)) for sha, data in rows)
        rows = []
        for c in commits:
            data = c.model_dump_json().encode()
            if stored.get((c.repo, c.sha)) != data:
                rows.append((c.repo, c.sha, c.committed_at.astimezone(dt.UTC).isoformat(), data))
        if sum(len(row[3]) for row in rows) < COMPRESS_AWAY_BYTES:
            self._upsert("commits", ("repo", "sha", "committed_at", "data"), 2, _compressed(rows))
        else:
            self._compress_away(_compressed, rows)

    def get_commit(self, repo: str, sha: str) -> Commit | None:
        from dailydiff.models import Commit

        self._write_pending()

        row = self._db.execute("SELECT data FROM commits WHERE repo = ? AND sha = ?", (repo, sha)).fetchone()
        return self._load(Commit, zlib.decompress(row[0]), "commit") if row else None

    def find_commits(self, repo: str, prefix: str, limit: int = 2) -> list[Commit]:
        """The stored commits of ``repo`` whose sha starts with ``prefix`` (hex, lower case), at most ``limit``."""
        from dailydiff.models import Commit

        self._write_pending()

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
        from dailydiff.models import Analysis

        with self._tx():
            rows = self._db.execute(
                "SELECT sha, fingerprint, data FROM analyses WHERE repo = ? AND sha = ?", (repo, sha)
            ).fetchall()
            self._keep_spent(
                repo, [(str(s), str(f), self._load(Analysis, d, "analysis")) for s, f, d in rows]
            )
            cursor = self._db.execute("DELETE FROM analyses WHERE repo = ? AND sha = ?", (repo, sha))
        return int(cursor.rowcount or 0)

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
        from dailydiff.models import Usage

        shas, fingerprints = list(shas), list(fingerprints)
        total = Usage()
        if not shas or not fingerprints:
            return total
        fp_marks = ",".join("?" * len(fingerprints))
        for row in self._rows_in(
            "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost), 0) "
            f"FROM spent_usage WHERE repo = ? AND sha IN ({{marks}}) AND fingerprint IN ({fp_marks})",
            shas,
            (repo,),
            fingerprints,
        ):
            total = total + Usage(
                prompt_tokens=int(row[0]), completion_tokens=int(row[1]), cost=float(row[2])
            )
        return total

    def count_commits(self) -> int:
        self._write_pending()
        return int(self._db.execute("SELECT COUNT(*) FROM commits").fetchone()[0])

    # analyses ------------------------------------------------------------------------------------

    def get_analyses(
        self, repo: str, shas: Iterable[str], fingerprints: Iterable[str]
    ) -> dict[tuple[str, str], Analysis]:
        """Stored analyses of these commits under any of these fingerprints, keyed (sha, fingerprint)."""
        from dailydiff.models import Analysis

        rows = self._analysis_rows("sha, fingerprint, data", repo, shas, fingerprints)
        return {(sha, fingerprint): self._load(Analysis, data, "analysis") for sha, fingerprint, data in rows}

    def unstored_analyses(
        self, repo: str, shas: Iterable[str], fingerprints: Iterable[str]
    ) -> tuple[set[str], set[str]]:
        """Of these commits, under any of these fingerprints: those with no good stored analysis (status ok),
        and those with none at all (the first analysis saved of one replaces nothing: ``save_analysis``
        ``new``); told without reading one."""
        shas = list(shas)
        held = self._analysis_rows("DISTINCT sha, status", repo, shas, fingerprints)
        good = {sha for sha, status in held if status == AnalysisStatus.OK.value}
        return set(shas) - good, set(shas) - {sha for sha, _ in held}

    def _analysis_rows(self, columns: str, repo: str, shas: Iterable[str],
                       fingerprints: Iterable[str]) -> list[Sequence[Any]]:  # fmt: skip
        """``columns`` of the stored analyses of these commits under any of these fingerprints, asked 500
        commits at a time."""
        fingerprints = list(fingerprints)
        if not fingerprints:
            return []
        fp_marks = ",".join("?" * len(fingerprints))
        return self._rows_in(
            f"SELECT {columns} FROM analyses WHERE repo = ? AND sha IN ({{marks}}) AND fingerprint IN ({fp_marks})",
            list(shas),
            (repo,),
            fingerprints,
        )

    def save_analysis(self, repo: str, sha: str, analysis: Analysis, *, new: bool = False) -> None:
        self.save_analyses(repo, [(sha, analysis)], new=new)

    def save_analyses(self, repo: str, items: Iterable[tuple[str, Analysis]], *, new: bool = False) -> None:
        """Store analyses; one that replaces another under the same key (a failed answer asked again) keeps
        what the replaced one cost in ``spent_usage``. ``new``: the caller knows none is stored under these
        keys (``unstored_analyses`` said so, and the unit writing them is its own), so none is looked for."""
        rows = [
            (repo, sha, a.fingerprint, a.analyzer, a.status.value, scrub(a.model_dump_json()), now_text())
            for sha, a in items
        ]
        columns = ("repo", "sha", "fingerprint", "analyzer", "status", "data", "created_at")
        replaced = [] if new else self._replaced(repo, rows)
        if not replaced:
            self._upsert("analyses", columns, 3, rows, fenced=True)
            return
        with self._tx(fenced=True):
            for start in range(0, len(rows), UPSERT_ROWS):
                self._upsert("analyses", columns, 3, rows[start : start + UPSERT_ROWS])
            self._keep_spent(repo, replaced)

    def _replaced(self, repo: str, rows: Sequence[tuple[str, ...]]) -> list[tuple[str, str, Analysis]]:
        """The stored analyses that these rows would overwrite with something else."""
        from dailydiff.models import Analysis

        new = {(row[1], row[2]): row[5] for row in rows}
        found: list[tuple[str, str, Analysis]] = []
        shas = sorted({sha for sha, _ in new})
        for sha, fingerprint, data in self._rows_in(
            "SELECT sha, fingerprint, data FROM analyses WHERE repo = ? AND sha IN ({marks})", shas, (repo,)
        ):
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
                    raise _IndexEndedTransaction(problem_in(exc)) from None
                raise exc from None  # not the index: the connection to the server
            self._warn_index(f"it cannot be written ({problem_in(exc)})")
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
            problem = f"it cannot be read ({problem_in(exc)})"
        if problem:
            self._warn_index(problem)

    def _warn_index(self, problem: str) -> None:
        if not self._index_warned:
            self._index_warned = True
            log.warning("the search index of the store at %s: %s; the reports are stored, search is not up to "
                        "date: `dailydiff store reindex` rebuilds it", self.location, problem)  # fmt: skip

    def get_report(self, repo: str, date: dt.date, language: str) -> DayReport | None:
        from dailydiff.models import DayReport

        row = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        ).fetchone()
        return self._load(DayReport, row[0], "report") if row else None

    def report_shas(self, repo: str, date: dt.date, language: str, limit: int) -> list[str]:
        """The shas of a stored day's first ``limit`` commits, read from its JSON without building the day
        (a command asks before its work starts; a row that is not a day's JSON is read as ``get_report``
        reads it, and its error is the same)."""
        row = self._db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        ).fetchone()
        if row is None:
            return []
        try:
            shas = [commit["sha"] for commit in json.loads(row[0])["commits"][:limit]]
        except (ValueError, TypeError, KeyError, IndexError):
            shas = []
        if all(isinstance(sha, str) for sha in shas) and shas:
            return shas
        from dailydiff.models import DayReport

        return [c.sha for c in self._load(DayReport, row[0], "report").commits[:limit]]

    def day_settings(self, repo: str, language: str, dates: Sequence[dt.date]) -> dict[dt.date, str]:
        """The digest of the settings and templates each of these days' files were last written with
        (``record_day_settings``); a day without one (stored before it was kept) is left out."""
        if not dates:
            return {}
        marks = ", ".join("?" for _ in dates)
        rows = self._db.execute(
            f"SELECT date, settings_digest FROM reports WHERE repo = ? AND language = ? AND date IN ({marks}) "
            "AND settings_digest IS NOT NULL",
            (repo, language, *(d.isoformat() for d in dates)),
        )
        return {dt.date.fromisoformat(d): digest for d, digest in rows}

    def record_day_settings(self, repo: str, date: dt.date, language: str, digest: str) -> None:
        """The digest of the settings and templates the day's files were written with, beside its report."""
        with self._tx(fenced=True):
            self._db.execute(
                "UPDATE reports SET settings_digest = ? WHERE repo = ? AND date = ? AND language = ?",
                (digest, repo, date.isoformat(), language),
            )

    def reports_between(
        self,
        repo: str,
        language: str,
        first: dt.date,
        last: dt.date,
        *,
        text: re.Pattern[str] | None = None,
        word: str | None = None,
    ) -> list[DayReport]:
        """The stored reports of ``repo`` in ``language`` from ``first`` to ``last``, oldest first; with
        ``text``, only those whose stored text it matches (a cheap look that spares reading the others); with
        ``word`` (ASCII letters), only those whose stored text holds it in any case (the database looks: the
        others are not even read). A text read before is not parsed again: the reports returned are shared,
        to be copied (``model_copy``), never changed."""
        sql = "SELECT data FROM reports WHERE repo = ? AND language = ? AND date >= ? AND date <= ?"
        args = [repo, language, first.isoformat(), last.isoformat()]
        if word is not None:
            sql += f" AND data {self._db.dialect.like_any_case} ?"
            args.append(f"%{word}%")
        rows = self._db.execute(sql + " ORDER BY date", args)
        return [self._parsed_report(data) for (data,) in rows if text is None or text.search(data)]

    def _parsed_report(self, data: str) -> DayReport:
        """A stored report's text parsed, remembered by its text (the last ``PARSED_REPORTS``)."""
        from dailydiff.models import DayReport

        parsed = self._parsed_reports
        report: DayReport | None = parsed.get(data)
        if report is None:
            report = parsed[data] = self._load(DayReport, data, "report")
            if len(parsed) > PARSED_REPORTS:
                del parsed[next(iter(parsed))]
        return report

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

    def last_report_days(self, before: dt.date) -> dict[tuple[str, str], dt.date]:
        """(repo, language) → the day of its last report before ``before``, for every repository at once (a
        plan of thousands asks once)."""
        rows = self._db.execute(
            "SELECT repo, language, MAX(date) FROM reports WHERE date < ? GROUP BY repo, language",
            (before.isoformat(),),
        )
        return {(str(repo), str(lang)): dt.date.fromisoformat(str(day)) for repo, lang, day in rows}

    def report_days_since(self, first: dt.date) -> dict[tuple[str, str], set[dt.date]]:
        """(repo, language) → the days of its reports from ``first`` on, for every repository at once."""
        days: dict[tuple[str, str], set[dt.date]] = {}
        for repo, day, lang in self._db.execute(
            "SELECT repo, date, language FROM reports WHERE date >= ?", (first.isoformat(),)
        ):
            days.setdefault((str(repo), str(lang)), set()).add(dt.date.fromisoformat(str(day)))
        return days

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
        """``report_rows`` for the given (repo, date, language) keys only (those still stored), in their order:
        one query per UPSERT_ROWS keys, not one per key (a site build reads its reports in batches)."""
        wanted = [(repo, date.isoformat(), language) for repo, date, language in keys]
        found: dict[tuple[str, str, str], str] = {}
        for start in range(0, len(wanted), UPSERT_ROWS):
            batch = wanted[start : start + UPSERT_ROWS]
            values = ", ".join(["(?, ?, ?)"] * len(batch))
            rows = self._db.execute(
                "SELECT r.repo, r.date, r.language, r.data FROM reports r "
                f"JOIN (VALUES {values}) AS k ON r.repo = k.column1 AND r.date = k.column2 "
                "AND r.language = k.column3",
                [value for key in batch for value in key],
            )
            found.update({(repo, date, language): str(data) for repo, date, language, data in rows})
        return [
            (repo, dt.date.fromisoformat(date), language, found[repo, date, language])
            for repo, date, language in wanted
            if (repo, date, language) in found
        ]

    def reports_on(self, date: dt.date, language: str) -> dict[str, DayReport]:
        """Every repository's report of ``date``: in ``language`` when it has one, else its first language
        (a repository configured with another language is in a digest all the same). One query, and only the
        report chosen is parsed (a digest-day read the key of every stored report, then one a repository)."""
        rows = self._db.execute(
            "SELECT repo, language, data FROM reports WHERE date = ?", (date.isoformat(),)
        )
        chosen: dict[str, tuple[str, str]] = {}
        for repo, lang, data in rows:
            held = chosen.get(repo)
            if held is None or (held[0] != language and (lang == language or lang < held[0])):
                chosen[repo] = (str(lang), str(data))
        from dailydiff.models import DayReport

        return {repo: self._load(DayReport, data, "report") for repo, (_, data) in sorted(chosen.items())}

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

    # release notes of tags -----------------------------------------------------------------------------

    def save_release(
        self, repo: str, tag: str, language: str, audience: str, date: dt.date, data: str
    ) -> None:
        """A tag's release notes (their JSON), the newest kept."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO releases (repo, tag, language, audience, date, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, tag, language, audience) DO UPDATE SET "
                "date = excluded.date, data = excluded.data, updated_at = excluded.updated_at",
                (repo, tag, language, audience, date.isoformat(), scrub(data), now_text()),
            )

    def release_rows(self) -> list[tuple[str, str, str, str, str]]:
        """(repo, tag, language, audience, JSON) of every stored release's notes."""
        rows = self._db.execute("SELECT repo, tag, language, audience, data FROM releases ORDER BY repo, tag")
        return [(str(r), str(t), str(lang), str(a), str(d)) for r, t, lang, a, d in rows]


class _IndexEndedTransaction(Exception):  # a signal to save the reports again, without the index
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
