"""The store's full-text index over every reported commit: its title, pull request, paths, message and
analysis, in each language it was reported in.

One row per (repository, commit, language) in ``search_docs`` holds what a hit shows (title, summary,
link, level, change types, watch topics, paths) and, per field, the index terms of
``common.searchterms`` as text. The backend indexes those terms: SQLite an FTS5 table kept in step by
triggers, PostgreSQL a weighted ``tsvector`` column (GIN) and a trigram index (``pg_trgm``) on the paths
for path globs. A stored report replaces its day's rows in the same transaction, so the index is current
whenever a report is; ``m008_search`` builds it for a store written before it existed.

The backend finds candidates; ranking is done once, in ``dailydiff.search``, on the terms stored here, so
both backends rank alike.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dailydiff.common.secrets import scrub

if TYPE_CHECKING:  # the data model (pydantic): where a stored report is read, not to search
    from dailydiff.models import DayReport, ReportCommit

TABLE_PREFIX = "search_"  # every table of the index (SQLite's FTS5 keeps shadow tables search_fts_*)
FIELDS = ("f_title", "f_pr", "f_paths", "f_analysis", "f_body")
_SHOWN = ("repo", "sha", "language", "date", "committed_at", "level", "change_types", "topics", "paths",
          "title", "summary", "url", "pr_number", "pr_url")  # fmt: skip
COLUMNS = (*_SHOWN, *FIELDS)


# One statement per item (a trigger's body holds semicolons: nothing here is ever split on them). Both
# backends share the tables; each adds how it indexes the terms: SQLite an FTS5 table that triggers keep in
# step, PostgreSQL a weighted tsvector column and a trigram index on the paths.
def _shared(extra_column: str = "") -> list[str]:
    return [
        # `dailydiff ask`'s answers, keyed by what they were written from (question, retrieved commits,
        # model, prompt): the same question over the same history asks no LLM again.
        "CREATE TABLE search_answers (key TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL)",
        f"""CREATE TABLE search_docs (
            repo TEXT NOT NULL, sha TEXT NOT NULL, language TEXT NOT NULL, date TEXT NOT NULL,
            committed_at TEXT NOT NULL, level TEXT NOT NULL, change_types TEXT NOT NULL, topics TEXT NOT NULL,
            paths TEXT NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL, url TEXT NOT NULL,
            pr_number INTEGER, pr_url TEXT NOT NULL,
            f_title TEXT NOT NULL, f_pr TEXT NOT NULL, f_paths TEXT NOT NULL, f_analysis TEXT NOT NULL,
            f_body TEXT NOT NULL, {extra_column}
            PRIMARY KEY (repo, sha, language))""",
        "CREATE INDEX search_docs_by_day ON search_docs (repo, date, language)",
    ]


_NEW = ", ".join(f"new.{f}" for f in FIELDS)
_OLD = ", ".join(f"old.{f}" for f in FIELDS)
_INSERT = f"INSERT INTO search_fts (rowid, {', '.join(FIELDS)}) VALUES (new.rowid, {_NEW});"
_DELETE = (
    f"INSERT INTO search_fts (search_fts, rowid, {', '.join(FIELDS)}) VALUES ('delete', old.rowid, {_OLD});"
)
_SQLITE = [
    *_shared(),
    f"""CREATE VIRTUAL TABLE search_fts USING fts5({", ".join(FIELDS)},
        content = 'search_docs', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0')""",
    f"CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN {_INSERT} END",
    f"CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN {_DELETE} END",
    f"CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN {_DELETE} {_INSERT} END",
]
# Each row's term vector kept in the row, not in the TOAST table (see keep_terms_inline).
_TSV_INLINE = "ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE MAIN"
_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *_shared("tsv tsvector NOT NULL,"),
    _TSV_INLINE,
    "CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX search_docs_paths ON search_docs USING GIN (paths gin_trgm_ops)",
]
# The weights mirror dailydiff.search's field weights: a title counts most, a commit message least.
_TSV = (
    "setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B') || "
    "setweight(to_tsvector('simple', ?), 'B') || setweight(to_tsvector('simple', ?), 'C') || "
    "setweight(to_tsvector('simple', ?), 'D')"
)


@dataclass(frozen=True)
class SearchFilters:
    """What a search is limited to; empty means no limit."""

    repos: Sequence[str] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    change_types: Sequence[str] = ()
    levels: Sequence[str] = ()
    topics: Sequence[str] = ()
    path_glob: str = ""
    languages: Sequence[str] = ()


@dataclass(frozen=True)
class SearchDoc:
    repo: str
    sha: str
    language: str
    date: dt.date
    committed_at: str
    level: str
    change_types: list[str]
    topics: list[str]
    paths: list[str]
    title: str
    summary: str
    url: str
    pr_number: int | None
    pr_url: str
    fields: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # space-separated terms


def _bar(values: Iterable[str]) -> str:
    """``|a|b|``: a list a LIKE can test for one member of (``%|a|%``)."""
    items = [v for v in values if v]
    return "|" + "|".join(items) + "|" if items else ""


def _commit_fields(commit: ReportCommit) -> dict[str, str]:
    # what a day indexes: not loaded to open the store
    from dailydiff.common.searchterms import commit_index_texts, indexed_words

    texts = commit_index_texts(commit.message, commit.pr, commit.files, commit.analysis)
    return {field: indexed_words(text) for field, text in texts.items()}


def _row(report: DayReport, commit: ReportCommit) -> dict[str, Any]:
    analysis = commit.analysis
    paths = [f.path for f in commit.files]
    return {
        "repo": report.repo,
        "sha": commit.sha,
        "language": report.language,
        "date": report.date.isoformat(),
        "committed_at": commit.committed_at.isoformat(),
        "level": commit.level.value,
        "change_types": _bar(c.value for c in analysis.change_types) if analysis else "",
        "topics": _bar(commit.watch),
        "paths": "\n".join(paths),
        "title": commit.message.partition("\n")[0],
        "summary": analysis.summary if analysis else "",
        "url": commit.url or "",
        "pr_number": commit.pr.number if commit.pr else None,
        "pr_url": (commit.pr.url or "") if commit.pr else "",
        **_commit_fields(commit),
    }


def create_index(db: Any) -> None:
    """The tables of the index, in the backend's dialect (a migration step)."""
    for statement in _POSTGRES if db.dialect.name == "postgresql" else _SQLITE:
        db.execute(statement)


def indexed(db: Any, report: DayReport) -> bool:
    """Whether the index holds a row for each of the report's commits under its day, and no other."""
    rows = db.execute(
        "SELECT sha FROM search_docs WHERE repo = ? AND date = ? AND language = ?",
        (report.repo, report.date.isoformat(), report.language),
    )
    return sorted(sha for (sha,) in rows) == sorted(c.sha for c in report.commits)


def index_report(db: Any, report: DayReport) -> None:
    """Replace the rows of the report's day with its commits (inside the caller's transaction)."""
    db.execute(
        "DELETE FROM search_docs WHERE repo = ? AND date = ? AND language = ?",
        (report.repo, report.date.isoformat(), report.language),
    )
    rows = [
        {k: scrub(v) if isinstance(v, str) else v for k, v in _row(report, c).items()} for c in report.commits
    ]
    if not rows:
        return
    names = ", ".join(COLUMNS)
    marks = ", ".join("?" * len(COLUMNS))
    values = [[row[c] for c in COLUMNS] for row in rows]
    # A commit already indexed under another day (the same language reported in another timezone) moves
    # to this one: the latest report of it wins.
    update = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in ("repo", "sha", "language"))
    conflict = "ON CONFLICT (repo, sha, language) DO UPDATE SET " + update
    if db.dialect.name == "postgresql":
        values = [[*v, *(row[f] for f in FIELDS)] for v, row in zip(values, rows, strict=True)]
        sql = (
            f"INSERT INTO search_docs ({names}, tsv) VALUES ({marks}, {_TSV}) {conflict}, tsv = excluded.tsv"
        )
    else:
        sql = f"INSERT INTO search_docs ({names}) VALUES ({marks}) {conflict}"
    db.executemany(sql, values)


def _stored_reports(db: Any) -> Iterator[tuple[Sequence[Any], DayReport]]:
    """Every stored report with its key, one in memory at a time; a report this version cannot read is
    left out of the index, as the site leaves it out."""
    from dailydiff.models import DayReport

    for key in db.execute("SELECT repo, date, language FROM reports").fetchall():
        row = db.execute(
            "SELECT data FROM reports WHERE repo = ? AND date = ? AND language = ?", key
        ).fetchone()
        try:
            yield key, DayReport.model_validate_json(row[0])
        except ValueError:
            continue


def rebuild_index(db: Any) -> int:
    """Index every stored report from scratch, one report in memory at a time; returns the rows indexed.
    PostgreSQL empties the table with TRUNCATE (in the same transaction): DELETE left every old row behind
    dead, a table twice its size after m014 (39 MB for 20 MB on 10,000 commits) that VACUUM does not give
    back, and every search that reads it row by row read both."""
    db.execute("TRUNCATE search_docs" if db.dialect.name == "postgresql" else "DELETE FROM search_docs")
    count = 0
    for _key, report in _stored_reports(db):
        index_report(db, report)
        count += len(report.commits)
    return count


# What the index is made of, besides the cached answers (kept by a rebuild: they are keyed by what they were
# written from). SQLite's FTS5 table keeps its terms in shadow tables search_fts_<name>.
_SQLITE_TRIGGERS = ("search_docs_ai", "search_docs_ad", "search_docs_au")
_FTS_SHADOWS = ("data", "idx", "docsize", "config", "content")


def _drop_index(db: Any) -> None:
    """Drop the index (not the cached answers), however damaged it is."""
    if db.dialect.name == "postgresql":
        db.execute("DROP TABLE IF EXISTS search_docs CASCADE")
        return
    for trigger in _SQLITE_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    try:
        db.execute("DROP TABLE IF EXISTS search_fts")
    except Exception:
        # FTS5 cannot drop a table whose shadow tables are damaged or gone: they are dropped one by one,
        # then the table's own line of the schema (nothing else refers to it).
        for shadow in _FTS_SHADOWS:
            db.execute(f"DROP TABLE IF EXISTS search_fts_{shadow}")
        db.execute("PRAGMA writable_schema = ON")
        db.execute("DELETE FROM sqlite_master WHERE type = 'table' AND name = 'search_fts'")
        db.execute("PRAGMA writable_schema = RESET")
    db.execute("DROP TABLE IF EXISTS search_docs")


def recreate_index(db: Any) -> int:
    """``dailydiff store reindex``: the index dropped, made anew and filled from every stored report
    (inside the caller's transaction); returns the rows indexed. Whatever state the index was in (damaged,
    a table dropped, rows deleted), the result is what a fresh store holding the same reports has."""
    keep_answers = "search_answers" in db.tables()
    _drop_index(db)
    for statement in _POSTGRES if db.dialect.name == "postgresql" else _SQLITE:
        if not (keep_answers and statement.startswith("CREATE TABLE search_answers")):
            db.execute(statement)
    return rebuild_index(db)


def _tables_missing(db: Any) -> list[str]:
    needed = ["search_docs", "search_answers"] + (["search_fts"] if db.dialect.name != "postgresql" else [])
    present = set(db.tables())
    return [t for t in needed if t not in present]


def missing_days(db: Any) -> int:
    """Stored days with commits that have nothing in the index (rows deleted, or not written while the
    index was damaged): one probe of the index per stored report."""
    return int(
        db.execute(
            "SELECT COUNT(*) FROM reports r WHERE r.total > 0 AND NOT EXISTS (SELECT 1 FROM search_docs d "
            "WHERE d.repo = r.repo AND d.date = r.date AND d.language = r.language)"
        ).fetchone()[0]
    )


def health(db: Any) -> str:
    """What is wrong with the index, cheaply ('' when nothing is known to be): a table missing, or stored
    days with commits it does not hold. (``problems`` looks at every row.)"""
    missing = _tables_missing(db)
    if missing:
        return f"its table {', '.join(missing)} is missing"
    days = missing_days(db)
    return f"{days} stored day(s) with commits are not in it" if days else ""


def problems(db: Any) -> list[str]:
    """Everything that differs between the index and a fresh one built from the stored reports (``dailydiff
    store check``): tables missing, the full-text index damaged, rows missing, stale or left over."""
    missing = _tables_missing(db)
    if missing:
        return [f"the search index's table {', '.join(missing)} is missing"]
    found: list[str] = []
    if db.dialect.name == "postgresql":
        recomputed = _TSV.replace("?", "{}").format(*FIELDS)
        wrong = int(db.execute(f"SELECT COUNT(*) FROM search_docs WHERE tsv IS DISTINCT FROM ({recomputed})")
                    .fetchone()[0])  # fmt: skip
        if wrong:
            found.append(f"{wrong} row(s) of the search index hold other terms than their commit's")
    else:
        try:  # FTS5's own check of its terms against search_docs (rank 1: against the content too)
            db.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
        except Exception as exc:  # any error is the finding
            found.append(f"the full-text index is damaged ({scrub(str(exc))})")
    absent = stale = matched = 0
    for key, report in _stored_reports(db):
        stored = {
            (r[0], r[1], r[2]): tuple(r)
            for r in db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM search_docs WHERE repo = ? AND date = ? AND language = ?",
                key,
            ).fetchall()
        }
        for commit in report.commits:
            fresh = _row(report, commit)
            expected = tuple(scrub(fresh[c]) if isinstance(fresh[c], str) else fresh[c] for c in COLUMNS)
            have = stored.get((report.repo, commit.sha, report.language))
            if have is None:
                absent += 1
            else:
                matched += 1
                stale += have != expected
    extra = int(db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0]) - matched
    if absent:
        found.append(f"{absent} reported commit(s) are missing from the search index")
    if stale:
        found.append(f"{stale} row(s) of the search index differ from their commit's report")
    if extra > 0:
        found.append(f"{extra} row(s) of the search index belong to no stored report")
    return found


def migrate(db: Any) -> None:
    """m008_search: the index, built from every report already stored."""
    create_index(db)
    rebuild_index(db)


def keep_terms_inline(db: Any) -> None:
    """m013_search_terms_inline (PostgreSQL): keep each row's ``tsv`` in the row, not in the TOAST table.

    A row of the index is over 2 kB (its text columns), so PostgreSQL moved the term vector out of line, and
    every query that checks a term row by row (the counts for the terms' rarity, the ranking) fetched it back
    from the TOAST table: on 10,000 commits 30,000 pages per term, 25-40 ms each, most of what a search spent
    there. Stored ``MAIN``, the vector stays in the row (compressed if need be) and the other columns go out
    of line first; the rows already stored are written again so that they move too."""
    if db.dialect.name != "postgresql":
        return
    db.execute(_TSV_INLINE)
    db.execute("UPDATE search_docs SET tsv = tsv || ''::tsvector")  # a new value: stored as the column says


def _doc(row: Sequence[Any]) -> SearchDoc:
    values = dict(zip(COLUMNS, row, strict=False))
    return SearchDoc(
        repo=values["repo"],
        sha=values["sha"],
        language=values["language"],
        date=dt.date.fromisoformat(values["date"]),
        committed_at=values["committed_at"],
        level=values["level"],
        change_types=[v for v in values["change_types"].split("|") if v],
        topics=[v for v in values["topics"].split("|") if v],
        paths=[p for p in values["paths"].split("\n") if p],
        title=values["title"],
        summary=values["summary"],
        url=values["url"],
        pr_number=values["pr_number"],
        pr_url=values["pr_url"],
        fields={f: values[f] or "" for f in FIELDS},
    )


def _glob_literal(glob: str) -> str:
    """The longest run of a glob without wildcards: a LIKE the backend's index can narrow by."""
    runs = re.split(r"[*?\[\]]", glob)
    return max(runs, key=len) if runs else ""


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: SearchFilters, alias: str) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []

    def any_of(column: str, values: Sequence[str]) -> None:
        clauses.append("(" + " OR ".join(f"{alias}{column} = ?" for _ in values) + ")")
        args.extend(values)

    def any_member(column: str, values: Sequence[str]) -> None:
        clauses.append("(" + " OR ".join(f"{alias}{column} LIKE ? ESCAPE '\\'" for _ in values) + ")")
        args.extend(f"%|{_like(v)}|%" for v in values)

    if filters.repos:
        any_of("repo", filters.repos)
    if filters.languages:
        any_of("language", filters.languages)
    if filters.levels:
        any_of("level", filters.levels)
    if filters.date_from:
        clauses.append(f"{alias}date >= ?")
        args.append(filters.date_from.isoformat())
    if filters.date_to:
        clauses.append(f"{alias}date <= ?")
        args.append(filters.date_to.isoformat())
    if filters.change_types:
        any_member("change_types", filters.change_types)
    if filters.topics:
        any_member("topics", filters.topics)
    literal = _glob_literal(filters.path_glob) if filters.path_glob else ""
    if literal:
        clauses.append(f"{alias}paths LIKE ? ESCAPE '\\'")
        args.append(f"%{_like(literal)}%")
    return clauses, args


def _path_matches(doc: SearchDoc, glob: str) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for path in doc.paths)


def _pg_query(term: str) -> str:
    """A term, or a phrase of terms (space-separated, in order), as a PostgreSQL tsquery."""
    words = term.split()
    return words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")"


def candidates(db: Any, query: Sequence[str], filters: SearchFilters, limit: int) -> list[SearchDoc]:
    """Documents that hold any of the ``query`` terms or phrases (all documents when there are none), best
    first by the backend's own ranking, within ``filters``; at most ``limit`` (path globs checked exactly
    here)."""
    postgres = db.dialect.name == "postgresql"
    alias = "d."
    clauses, args = _where(filters, alias)
    columns = ", ".join(alias + c for c in COLUMNS)
    scan = limit if not filters.path_glob else limit * 20
    if not query:
        sql = f"SELECT {columns} FROM search_docs d"
        order = " ORDER BY d.date DESC, d.committed_at DESC"
        match_args: list[Any] = []
    elif postgres:
        sql = f"SELECT {columns} FROM search_docs d, to_tsquery('simple', ?) q"
        clauses.insert(0, "d.tsv @@ q")
        order = " ORDER BY ts_rank(d.tsv, q) DESC, d.date DESC"
        match_args = [" | ".join(_pg_query(t) for t in query)]
    else:
        # The matching rows' ids are sorted alone, and the kept rows read whole after: sorting the rows whole
        # carried every column (their terms: 2 kB a row) through the sort, for the thousands of rows a common
        # word matches, to keep 400 (on 10,000 commits 47 ms of CPU a question, 32 ms so). Same order.
        if not clauses:  # nothing but the words: the index alone ranks them (no row read for its day)
            ids = _ranked_ids(db, " OR ".join(f'"{t}"' for t in query), scan)
            if ids is not None:
                return _kept(_rows_by_id(db, ids), filters, limit)
        clauses.insert(0, "search_fts MATCH ?")
        ranked = (
            "SELECT d.rowid FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid WHERE "
            + " AND ".join(clauses)
            + f" ORDER BY bm25(search_fts, 3.0, 1.5, 2.0, 1.0, 0.7), d.date DESC LIMIT {int(scan)}"
        )
        ids = [int(r[0]) for r in db.execute(ranked, [" OR ".join(f'"{t}"' for t in query), *args])]
        return _kept(_rows_by_id(db, ids), filters, limit)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = db.execute(f"{sql}{where}{order} LIMIT {int(scan)}", [*match_args, *args]).fetchall()
    return _kept(rows, filters, limit)


_BM25 = "bm25(search_fts, 3.0, 1.5, 2.0, 1.0, 0.7)"
_TIES = 50  # rows read past the last kept one, to see where its score's ties end


def _ranked_ids(db: Any, match: str, scan: int) -> list[int] | None:
    """SQLite, no filters: the ``scan`` best rows' ids by the index's ranking, ties by the newest day, as
    the query joined with every matching row's day orders them (ranking alone cost 16 ms of CPU where the
    join cost 28, for a common word's 6,000 rows of 10,000 commits); None when the last kept row's ties
    run past what was read (then that query runs)."""
    sql = f"SELECT rowid, {_BM25} FROM search_fts WHERE search_fts MATCH ? ORDER BY {_BM25} LIMIT {int(scan + _TIES)}"
    rows = [(int(r[0]), float(r[1])) for r in db.execute(sql, [match]).fetchall()]
    if len(rows) > scan and rows[-1][1] == rows[scan - 1][1]:
        return None
    if len(rows) > scan:
        rows = [row for row in rows if row[1] <= rows[scan - 1][1]]
    if len({rank for _, rank in rows}) < len(rows):  # rows ranked alike: the newest day first
        days = {int(r[0]): str(r[1]) for r in db.execute(
            f"SELECT rowid, date FROM search_docs WHERE rowid IN ({', '.join(str(i) for i, _ in rows)})")}  # fmt: skip
        rows.sort(key=lambda row: days.get(row[0], ""), reverse=True)
        rows.sort(key=lambda row: row[1])
    return [i for i, _ in rows[:scan]]


def _rows_by_id(db: Any, ids: Sequence[int]) -> list[Sequence[Any]]:
    """SQLite: the index's rows of ``ids`` (their rowids), in that order."""
    if not ids:
        return []
    found = {
        int(r[0]): r[1:]
        for r in db.execute(
            f"SELECT rowid, {', '.join(COLUMNS)} FROM search_docs WHERE rowid IN ({', '.join(map(str, ids))})"
        )
    }
    return [found[i] for i in ids if i in found]


def _kept(rows: Sequence[Sequence[Any]], filters: SearchFilters, limit: int) -> list[SearchDoc]:
    docs = [_doc(row) for row in rows]
    if filters.path_glob:
        docs = [d for d in docs if _path_matches(d, filters.path_glob)]
    return docs[:limit]


def span(db: Any) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the index's commits."""
    first, last = db.execute("SELECT MIN(date), MAX(date) FROM search_docs").fetchone()
    return (dt.date.fromisoformat(str(first)), dt.date.fromisoformat(str(last))) if first else None


def term_counts(db: Any, query: Sequence[str]) -> tuple[int, dict[str, int]]:
    """How many documents there are, and how many hold each term or phrase (for inverse document
    frequency)."""
    query = list(dict.fromkeys(query))
    if db.dialect.name == "postgresql" and query:
        # One pass over the rows that hold any of the terms (the index finds them), each counted for every
        # term it holds: a common term's rows are read once, not once per term (10-12 ms for a question's
        # terms over 10,000 commits, where a count per term took 20-37 ms); the whole count in the same
        # statement (one round trip).
        tsqueries = [_pg_query(term) for term in query]
        each = ", ".join("COUNT(*) FILTER (WHERE tsv @@ to_tsquery('simple', ?))" for _ in query)
        row = db.execute(
            f"SELECT (SELECT COUNT(*) FROM search_docs), {each} FROM search_docs "
            "WHERE tsv @@ to_tsquery('simple', ?)",
            [*tsqueries, " | ".join(tsqueries)],
        ).fetchone()
        return int(row[0]), {term: int(n) for term, n in zip(query, row[1:], strict=True)}
    total = int(db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0])
    counts: dict[str, int] = {}
    for term in query:  # SQLite's FTS5 counts a term from its index alone
        sql = "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH ?"
        counts[term] = int(db.execute(sql, (f'"{term}"',)).fetchone()[0])
    return total, counts


def repos(db: Any) -> list[str]:
    """The repositories the index holds commits of."""
    return [
        str(row[0]) for row in db.execute("SELECT DISTINCT repo FROM search_docs ORDER BY repo").fetchall()
    ]


def type_counts(db: Any, change_types: Sequence[str]) -> dict[str, int]:
    """How many documents the analyses typed each of ``change_types`` (how rare a kind of change asked for
    is: "test" is in most commits' paths, a test change is one commit in eight)."""
    return {
        kind: int(
            db.execute(
                "SELECT COUNT(*) FROM search_docs WHERE change_types LIKE ?", (f"%|{kind}|%",)
            ).fetchone()[0]
        )
        for kind in dict.fromkeys(change_types)
    }


def encode_filters(filters: SearchFilters) -> str:
    """The filters as canonical JSON (a cache key's part)."""
    data = {k: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, (list, tuple)) else v)
            for k, v in filters.__dict__.items()}  # fmt: skip
    return json.dumps(data, sort_keys=True)
