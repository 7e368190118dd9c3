"""Looking after the store: the runs recorded, `store check` and `store copy`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from dailydiff.common.secrets import scrub
from dailydiff.common.storeurl import USERINFO_RE
from dailydiff.errors import LeaseLostError, StoreBusyError, StoreError, StoreFullError
from dailydiff.store import search
from dailydiff.store.base import is_json, problem_in
from dailydiff.store.database import now_text

if TYPE_CHECKING:
    from dailydiff.models import RunSummary
from dailydiff.store.searching import SearchStore

CHECK_TRIES = 3  # reads of the whole store by `store check` while another process writes it


class UpkeepStore(SearchStore):
    """Looking after the store: the runs recorded, `store check` and `store copy`."""

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
            json.dumps(summary, default=str) if isinstance(summary, dict) else summary.model_dump_json()
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

    def check(self) -> list[str]:
        """`dailydiff store check`: what is damaged — the store itself (SQLite's integrity check), reports
        this version cannot read, and what is derived: the search index against a fresh one, cached answers
        that are not JSON. Empty when all is well.

        The reports and the index are read by many queries: a finding is one only when no other process
        wrote the store meanwhile (a report saved between two reads is no damage). Read again while it
        is written; a store written all along is a StoreBusyError saying to run the check again."""
        for _ in range(CHECK_TRIES):
            before = self._db.data_version()
            found = self._check_once()
            if not found or self._db.data_version() == before:
                return found
        raise StoreBusyError(
            f"the store at {self.location} was written by another process while it was checked, "
            f"{CHECK_TRIES} times: what was read is no one moment of it",
            "run dailydiff store check again when nothing else writes it",
        )

    def _check_once(self) -> list[str]:
        found: list[str] = []
        if self._db.dialect.name == "sqlite":
            verdict = [str(row[0]) for row in self._db.execute("PRAGMA quick_check").fetchall()]
            if verdict != ["ok"]:
                found.append(
                    f"the store file is damaged ({'; '.join(verdict[:3])}): restore it from a backup"
                )
        from dailydiff.models import DayReport

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
            found.append(f"the search index cannot be read ({problem_in(exc)})")
            answers = []
        bad = sum(not is_json(data) for (data,) in answers)
        if bad:
            found.append(f"{bad} cached answer(s) of `dailydiff ask` are not readable")
        return found

    # copying a whole store (`dailydiff store copy`) ----------------------------------------------

    def copy_to(
        self,
        target: Self,
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
