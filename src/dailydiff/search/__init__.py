"""Questions over the whole stored history: `dailydiff search` ranks the reported commits a question
finds (store/search.py retrieves, rank.py orders), `dailydiff ask` answers from them (ask.py), citing only
commits that were retrieved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from dailydiff.search.rank import Hit, rank
from dailydiff.search.understand import Understood, understand
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
    """The ``limit`` best stored commits for ``question`` within ``filters``; a time the question names
    ("since April", "8 月份") narrows the days where ``filters`` leave them open."""
    understood = understand(question, today or dt.date.today())
    filters = _with_time(filters, understood)
    terms = understood.terms
    total, counts = store.search_term_counts(terms)
    known = [t for t in terms if counts.get(t)]
    docs = store.search_candidates(known, filters, CANDIDATES) if (known or not terms) else []
    hits = rank(docs, understood.concepts, total, counts, limit, today, understood.phrases)
    unknown = [c.source for c in understood.concepts if not any(counts.get(t) for t in c.terms)]
    return SearchResult(question, terms, filters, hits, total, unknown)


def _with_time(filters: SearchFilters, understood: Understood) -> SearchFilters:
    if filters.date_from or filters.date_to or not (understood.date_from or understood.date_to):
        return filters
    return replace(filters, date_from=understood.date_from, date_to=understood.date_to)
