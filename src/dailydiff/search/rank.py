"""Ranking the commits a question finds: text match (BM25 over the fields, a title counting most), how many
of the question's terms a commit holds, then importance and recency as tie-breakers.

Pure: it reads the index terms the store kept for each candidate, so SQLite and PostgreSQL rank alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dailydiff.store.search import FIELDS, SearchDoc

# How much a term counts in each field (BM25F): what a commit is called matters most, then where it
# changed things and what its pull request says.
FIELD_WEIGHTS: Mapping[str, float] = {
    "f_title": 3.0,
    "f_pr": 1.2,
    "f_paths": 2.0,
    "f_analysis": 1.0,
    "f_body": 0.6,
}
K1 = 1.2
B = 0.6
LEVEL_BOOST: Mapping[str, float] = {"high": 0.12, "medium": 0.05, "low": 0.0}
RECENCY_DAYS = 180.0  # the half-life of the recency boost
RECENCY_BOOST = 0.08


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    matched: tuple[str, ...]  # the question's terms this commit holds


def _weighted_tf(doc: SearchDoc, query: Sequence[str]) -> tuple[dict[str, float], float]:
    """Each query term's frequency in the document, weighted by field, and the weighted length. The
    fields are the stored space-separated terms: counting ``" term "`` needs no split."""
    counts = dict.fromkeys(query, 0.0)
    length = 0.0
    for name in FIELDS:
        weight = FIELD_WEIGHTS[name]
        text = doc.fields.get(name, "")
        if not text:
            continue
        length += weight * (text.count(" ") + 1)
        padded = f" {text} "
        for term in query:
            found = padded.count(f" {term} ")
            if found:
                counts[term] += weight * found
    return counts, length


def rank(
    docs: Sequence[SearchDoc],
    query: Sequence[str],
    total: int,
    doc_counts: Mapping[str, int],
    limit: int,
    today: dt.date | None = None,
) -> list[Hit]:
    """The best ``limit`` of ``docs`` for ``query``; one hit per commit (the first language found wins)."""
    if not docs:
        return []
    weighted = [_weighted_tf(doc, query) for doc in docs]
    average = sum(length for _, length in weighted) / len(weighted) or 1.0
    newest = today or max(doc.date for doc in docs)
    idf = {
        t: math.log(1 + (max(total, 1) - doc_counts.get(t, 0) + 0.5) / (doc_counts.get(t, 0) + 0.5))
        for t in query
    }
    best_possible = sum(idf.values()) or 1.0
    hits: list[Hit] = []
    for doc, (tf, length) in zip(docs, weighted, strict=True):
        text = 0.0
        matched: list[str] = []
        for term in query:
            f = tf.get(term, 0.0)
            if not f:
                continue
            matched.append(term)
            text += idf[term] * f * (K1 + 1) / (f + K1 * (1 - B + B * length / average))
        coverage = sum(idf[t] for t in matched) / best_possible if query else 1.0
        age = max((newest - doc.date).days, 0)
        boost = 1 + LEVEL_BOOST.get(doc.level, 0.0) + RECENCY_BOOST * 0.5 ** (age / RECENCY_DAYS)
        score = (text * (0.5 + coverage) if query else 1.0) * boost
        hits.append(Hit(doc, score, tuple(matched)))
    hits.sort(key=lambda h: (-h.score, -h.doc.date.toordinal(), h.doc.repo, h.doc.sha))
    seen: set[tuple[str, str]] = set()
    unique: list[Hit] = []
    for hit in hits:
        key = (hit.doc.repo, hit.doc.sha)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique[:limit]
