"""Questions over the whole stored history: `dailydiff search` ranks the reported commits a question
finds (store/search.py retrieves, rank.py orders), `dailydiff ask` answers from them (ask.py), citing only
commits that were retrieved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dailydiff.common.searchterms import query_terms
from dailydiff.errors import SearchIndexError
from dailydiff.search.rank import Hit, rank
from dailydiff.store import Store
from dailydiff.store.search import SearchFilters

CANDIDATES = 400  # what the backend hands to the ranking: enough that its own order does not decide


@dataclass(frozen=True)
class SearchResult:
    question: str
    terms: list[str]
    filters: SearchFilters
    hits: list[Hit]
    indexed: int  # documents in the index (commits × languages)
    unknown_terms: list[str] = field(default_factory=list)  # terms no stored commit holds


def find(store: Store, question: str, filters: SearchFilters, limit: int = 10,
         today: dt.date | None = None) -> SearchResult:  # fmt: skip
    """The ``limit`` best stored commits for ``question`` within ``filters``. An index that cannot be read,
    or is empty while the store has reported commits, is a SearchIndexError naming `dailydiff store
    reindex`."""
    terms = query_terms(question)
    total, counts = store.search_term_counts(terms)
    if not total:  # an empty index over stored commits is not "nothing reported yet"
        problem = store.search_health()
        if problem:
            raise SearchIndexError(
                f"the search index of the store at {store.location} is empty: {problem}",
                "rebuild it from the stored reports: dailydiff store reindex",
            )
    known = [t for t in terms if counts.get(t)]
    docs = store.search_candidates(known, filters, CANDIDATES) if (known or not terms) else []
    hits = rank(docs, known, total, counts, limit, today)
    return SearchResult(question, terms, filters, hits, total, [t for t in terms if not counts.get(t)])
