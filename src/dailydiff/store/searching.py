"""The full-text index of the stored reports (store/search.py) and the answers `ask` keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dailydiff.common.secrets import scrub
from dailydiff.errors import SearchIndexError, StoreFullError
from dailydiff.store import changes, search, vectors
from dailydiff.store.base import StoreBase, is_json, problem_in
from dailydiff.store.database import now_text

if TYPE_CHECKING:
    from dailydiff.models import ReportCommit


class SearchStore(StoreBase):
    """The full-text index of the stored reports (store/search.py) and the answers `ask` keeps."""

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
        """Rows of the index without a vector."""
        return vectors.missing(self._db)

    def stored_vector_keys(self, keys: Iterable[str]) -> set[str]:
        rows = self._rows_in(
            "SELECT key FROM search_vectors WHERE key IN ({marks})", list(dict.fromkeys(keys))
        )
        return {str(key) for (key,) in rows}

    def save_vectors(self, model: str, items: Sequence[tuple[str, Sequence[float]]],
                     links: Sequence[tuple[str, str, str, str]]) -> None:  # fmt: skip
        """Vectors and which rows have them, in one transaction (a batch: an interrupted run resumes)."""
        with self._tx() as db:
            vectors.put(db, model, items)
            vectors.link(db, links)

    def nearest_vectors(
        self, query: Sequence[float], model: str, filters: search.SearchFilters, limit: int
    ) -> list[tuple[str, str, str, float]]:
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
                f"the search index of the store at {self.location} cannot be read ({problem_in(exc)})",
                "rebuild it from the stored reports: dailydiff store reindex",
            ) from None

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
                if not is_json(data):
                    self._db.execute("DELETE FROM search_answers WHERE key = ?", (key,))
        self._index_warned = self._index_checked = False
        return count
