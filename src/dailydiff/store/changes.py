"""The analysed commits of a dated window, page by page: what the MCP tool ``list_changes`` (web/changes.py)
and ``get_commit`` read.

The rows come from the search index's ``search_docs`` (one per repository, commit and language, current
whenever its report is): the filters that are columns there (repository, days, level, change type, the
literal part of a path glob) are the query's; the exact path glob, and what only the report holds (the
author, the risks), are checked on the commit read from its day's report. One language per repository:
the preferred one when the repository has commits in it, else the first, so that a commit is listed once.

Order: newest day first, then commit time, then repository and sha — a total order, so that a cursor (the
last row's key) resumes exactly where a page ended, whatever was stored meanwhile on older days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase  # the search's own glob: a path matches as store/search.py matches it
from typing import TYPE_CHECKING, Any

from dailydiff.store.search import SearchFilters, _where

if TYPE_CHECKING:  # the data model (pydantic): where a stored report is read
    from dailydiff.models import DayReport, ReportCommit

KEY = ("date", "committed_at", "repo", "sha")
BATCH = 200  # rows read at a time while a check only the report can make (author, agent) skips some


@dataclass(frozen=True)
class Change:
    """One listed commit: its row's key and the commit as its day's report holds it."""

    repo: str
    date: dt.date
    language: str
    committed_at: str
    commit: ReportCommit
    report_url: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.date.isoformat(), self.committed_at, self.repo, self.commit.sha)


def _languages(db: Any, prefer: str) -> list[tuple[str, str]]:
    """(repository, language) listed for each repository: ``prefer`` when it has commits in it."""
    seen: dict[str, set[str]] = {}
    for repo, language in db.execute("SELECT DISTINCT repo, language FROM search_docs").fetchall():
        seen.setdefault(str(repo), set()).add(str(language))
    return [(repo, prefer if prefer in langs else min(langs)) for repo, langs in sorted(seen.items())]


def _after(cursor: Sequence[str]) -> tuple[str, list[Any]]:
    """The rows after ``cursor`` (a row's KEY) in the listing's order."""
    day, at, repo, sha = cursor
    return (
        "(d.date < ? OR (d.date = ? AND d.committed_at < ?) OR (d.date = ? AND d.committed_at = ? AND "
        "(d.repo > ? OR (d.repo = ? AND d.sha > ?))))",
        [day, day, at, day, at, repo, repo, sha],
    )


def _rows(
    db: Any, filters: SearchFilters, prefer: str, cursor: Sequence[str] | None, limit: int
) -> list[Any]:
    pairs = _languages(db, prefer)
    if not pairs:
        return []
    clauses, args = _where(filters, "d.")
    clauses.append("(" + " OR ".join("(d.repo = ? AND d.language = ?)" for _ in pairs) + ")")
    args += [v for pair in pairs for v in pair]
    if cursor:
        clause, more = _after(cursor)
        clauses.append(clause)
        args += more
    sql = (
        "SELECT d.repo, d.sha, d.language, d.date, d.committed_at, d.paths FROM search_docs d WHERE "
        + " AND ".join(clauses)
        + f" ORDER BY d.date DESC, d.committed_at DESC, d.repo, d.sha LIMIT {int(limit)}"
    )
    return list(db.execute(sql, args).fetchall())


def _report(
    db: Any, key: tuple[str, str, str], cache: dict[tuple[str, str, str], DayReport | None]
) -> DayReport | None:
    from dailydiff.models import DayReport

    if key not in cache:
        row = db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?", key
        ).fetchone()
        try:
            cache[key] = DayReport.model_validate_json(row[0]) if row else None
        except ValueError:  # a report this version cannot read is left out, as the index leaves it out
            cache[key] = None
    return cache[key]


def iter_changes(
    db: Any, filters: SearchFilters, prefer: str, cursor: Sequence[str] | None = None,
    keep: Callable[[ReportCommit], bool] | None = None,
) -> Iterator[Change]:  # fmt: skip
    """The commits within ``filters`` after ``cursor``, in the listing's order, that ``keep`` keeps; read
    BATCH rows at a time (the caller stops when its page is full)."""
    reports: dict[tuple[str, str, str], DayReport | None] = {}
    after = list(cursor) if cursor else None
    while True:
        rows = _rows(db, filters, prefer, after, BATCH)
        for repo, sha, language, day, committed_at, paths in rows:
            after = [str(day), str(committed_at), str(repo), str(sha)]
            if filters.path_glob and not any(
                fnmatchcase(p, filters.path_glob) for p in str(paths).split("\n") if p
            ):
                continue
            report = _report(db, (repo, str(day), language), reports)
            commit = _commit_in(report, sha)
            if commit is None or (keep is not None and not keep(commit)):
                continue
            yield Change(str(repo), dt.date.fromisoformat(str(day)), str(language), str(committed_at), commit,
                         report.repo_url if report else None)  # fmt: skip
        if len(rows) < BATCH:
            return


def _commit_in(report: DayReport | None, sha: str) -> ReportCommit | None:
    return next((c for c in report.commits if c.sha == sha), None) if report else None


def find_change(db: Any, sha: str, repo: str | None, prefer: str) -> list[Change]:
    """The stored commits whose sha starts with ``sha`` (in ``repo`` when given), one per repository and
    commit, in the preferred language where it is stored."""
    filters = SearchFilters(repos=(repo,) if repo else ())
    clauses, args = _where(filters, "")
    clauses.append("sha LIKE ?")
    args.append(sha.lower().replace("%", "").replace("_", "") + "%")
    rows = db.execute(
        "SELECT repo, sha, language, date, committed_at FROM search_docs WHERE " + " AND ".join(clauses)
        + " ORDER BY repo, sha, language LIMIT 50", args
    ).fetchall()  # fmt: skip
    chosen: dict[tuple[str, str], Any] = {}
    for row in rows:
        key = (str(row[0]), str(row[1]))
        if key not in chosen or row[2] == prefer:
            chosen[key] = row
    reports: dict[tuple[str, str, str], DayReport | None] = {}
    found: list[Change] = []
    for repo_name, full, language, day, committed_at in chosen.values():
        report = _report(db, (repo_name, str(day), language), reports)
        commit = _commit_in(report, full)
        if commit is not None and report is not None:
            found.append(Change(str(repo_name), dt.date.fromisoformat(str(day)), str(language),
                                str(committed_at), commit, report.repo_url))  # fmt: skip
    return found
