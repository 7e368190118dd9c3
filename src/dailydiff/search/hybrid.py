"""Hybrid retrieval: the words' ranking (dailydiff.search ``find``) fused with the nearest commit vectors by
reciprocal rank fusion, when ``[search] embedding_model`` names a model of an OpenAI-compatible
``/v1/embeddings`` endpoint (``[search] embedding_base_url``, else ``[llm] base_url``; key: ``[llm]
api_key_env``). Without one, ``find_hybrid`` is ``find``: nothing is embedded, nothing downloaded.

A commit's text is its title, its analysis's summary and its areas (the directories of its paths). It is
embedded once: vectors are kept by a hash of the model and the text (store/vectors.py), so a re-run, or a
row whose text did not change (a report built again), embeds nothing; batches of ``embedding_batch`` texts
are stored one transaction each, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dailydiff.common.embedder import Asked, ask_early, embedder_from
from dailydiff.common.stopping import taken as stop_taken
from dailydiff.errors import DailyDiffError
from dailydiff.search import SearchResult, find
from dailydiff.search.rank import Hit
from dailydiff.store import Store
from dailydiff.store.search import SearchFilters

log = logging.getLogger(__name__)
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009): 1 / (K + rank) from each ranking
POOL = 50  # how deep each ranking is read before fusing
AREAS = 6  # a commit's areas in its text at most
TEXT_CHARS = 2000  # a text's characters sent at most (a model's window is a few hundred tokens)


def commit_text(title: str, summary: str, paths: str) -> str:
    """What a commit's vector is made of: its title, summary and areas (directories of its paths)."""
    areas = list(dict.fromkeys(p.rsplit("/", 1)[0] for p in paths.split("\n") if "/" in p))[:AREAS]
    parts = [title.strip(), summary.strip(), ("areas: " + ", ".join(areas)) if areas else ""]
    return "\n".join(p for p in parts if p)[:TEXT_CHARS]


def text_key(model: str, text: str) -> str:
    import hashlib  # what embeds needs it, not a search: OpenSSL's library loads with it (about 4 ms)

    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Synced:
    rows: int  # rows of the index
    embedded: int  # texts sent to the model now
    reused: int  # rows given a vector already stored (the same text)
    seconds: float


def sync(
    store: Store, embedder: Any, batch: int = 32, progress: Callable[[int, int], None] | None = None
) -> Synced:
    """Give every row of the index the vector of its text: texts never embedded are sent in batches (each
    stored in its own transaction), the others reuse their stored vector."""
    started = time.monotonic()
    rows = store.vector_rows()
    wanted: dict[str, str] = {}
    links: list[tuple[str, str, str, str]] = []
    for repo, sha, language, title, summary, paths, have in rows:
        text = commit_text(title, summary, paths)
        key = text_key(embedder.model, text)
        if key != have:
            wanted.setdefault(key, text)
            links.append((repo, sha, language, key))
    stored = store.stored_vector_keys(wanted) if wanted else set()
    missing = [(k, t) for k, t in wanted.items() if k not in stored]
    by_key: dict[str, list[tuple[str, str, str, str]]] = {}
    for link in links:
        by_key.setdefault(link[3], []).append(link)
    reused = [link for k in stored for link in by_key.get(k, [])]
    if reused:
        store.save_vectors(embedder.model, [], reused)
    _embed(store, embedder, missing, by_key, batch, progress)
    return Synced(len(rows), len(missing), len(reused), time.monotonic() - started)


def _embed(store: Store, embedder: Any, missing: list[tuple[str, str]],
           by_key: dict[str, list[tuple[str, str, str, str]]], batch: int,
           progress: Callable[[int, int], None] | None) -> None:  # fmt: skip
    """Embed the ``missing`` (key, text) in batches, each stored with the rows it is the vector of."""
    for start in range(0, len(missing), batch):
        if stop_taken():  # a SIGTERM: what is not embedded yet is the next store's or search's
            break
        chunk = missing[start : start + batch]
        vectors = embedder.embed([t for _, t in chunk])
        chunk_links = [link for k, _ in chunk for link in by_key[k]]
        store.save_vectors(
            embedder.model, list(zip([k for k, _ in chunk], vectors, strict=True)), chunk_links
        )
        if progress:
            progress(min(start + batch, len(missing)), len(missing))


_WARNED: set[str] = set()


def embed_stored(store: Store, settings: Any) -> Synced | None:
    """After a report is stored: embed what the index holds without a vector, when a model is configured.
    An endpoint that fails costs the report nothing: it is said once per process, and the next store or
    search embeds what is missing."""
    embedder = embedder_from(settings)
    if embedder is None or embedder.url in _WARNED:  # failed once: the next process tries it again
        return None
    try:
        return sync(store, embedder, settings.search.embedding_batch)
    except DailyDiffError as exc:
        if embedder.url not in _WARNED:
            _WARNED.add(embedder.url)
            log.warning("commits not embedded (search finds them by their words): %s", exc)
        return None


def fuse(
    *rankings: Sequence[tuple[str, str, str]], k: int = RRF_K
) -> list[tuple[tuple[str, str, str], float]]:
    """Reciprocal rank fusion: each key scored by the sum of 1 / (k + rank) over the rankings it is in."""
    scores: dict[tuple[str, str, str], float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


class _Vectors:
    """The vectors' side of a hybrid search, on a thread of its own from now: the question's embedding
    (``asked`` of the server: another process, another core), then, once the words' side has chosen the
    filters (``chose``: the days and repositories the question names), the rows stored since embedded and the
    rows nearest the question found (the store read on a connection of its own, ``Store.beside``: a SQLite
    file's, a PostgreSQL session; sqlite-vec scores in memory, outside the GIL), while this thread ranks the
    words. ``result()`` waits for the nearest rows, or raises what the thread raised."""

    def __init__(self, store: Store, embedder: Any, asked: Asked, batch: int) -> None:
        import threading

        self._store, self._embedder, self._asked, self._batch = store, embedder, asked, batch
        self._chosen: SearchFilters | None = None
        self._told = threading.Event()
        self._done = Asked(self._vectors)

    def chose(self, filters: SearchFilters | None) -> None:
        """The filters the words' side searches within (None: it stopped before choosing them)."""
        if not self._told.is_set():
            self._chosen = filters
            self._told.set()

    def _vectors(self) -> list[tuple[str, str, str, float]]:
        store = self._store.beside()  # connected while the server embeds the question
        try:
            probe = self._asked.result()
            self._told.wait()
            if self._chosen is None:
                return []
            if store.vectors_missing():  # rows stored since (a report saved without the model, an import)
                sync(store, self._embedder, self._batch)
            return store.nearest_vectors(probe, self._embedder.model, self._chosen, POOL)
        finally:
            if store is not self._store:
                store.close()

    def result(self) -> list[tuple[str, str, str, float]]:
        """The nearest rows; the question's vectors are waited for ``[search] embedding_timeout`` at most."""
        self._asked.result(self._embedder.timeout)
        return self._done.result()  # type: ignore[no-any-return]


def find_hybrid(store: Store, settings: Any, question: str, filters: SearchFilters, limit: int = 10,
                extra_words: Sequence[str] = (), embedder: Any = None,
                early: tuple[Any, Asked] | None = None) -> SearchResult:  # fmt: skip
    """``find``, fused with the vectors' ranking when an embedding model is configured and the question's
    language fuses; an endpoint that fails leaves the words' ranking (and says so once, in the log).
    ``early``: the embedder and the question's embedding already asked of it (``ask_early``)."""
    early = early or ask_early(settings, question, embedder)  # the server embeds while the words rank
    if early is None:
        return find(store, question, filters, limit, extra_words=extra_words)
    embedder, asked = early
    batch = settings.search.embedding_batch
    vectors = _Vectors(store, embedder, asked, batch)
    try:
        lexical = find(
            store, question, filters, max(limit, POOL), extra_words=extra_words, chose=vectors.chose
        )
    finally:
        vectors.chose(None)  # a search that stopped: the thread ends without scoring
    try:
        near = vectors.result()  # within the filters ``find`` chose: its result's
    except DailyDiffError as exc:
        log.warning("search by words only: %s", exc)
        return replace(lexical, hits=lexical.hits[:limit])
    return replace(lexical, hits=fused_hits(store, lexical.hits[:POOL], near, limit))


def retrieve(store: Store, settings: Any, question: str, filters: SearchFilters, limit: int = 10, *,
             agents_only: bool = False, extra_words: Sequence[str] = (),
             early: tuple[Any, Asked] | None = None) -> SearchResult:  # fmt: skip
    """What `search` and the MCP search tool retrieve: only commits a coding agent wrote when ``agents_only``
    (``--agent``) or the question says ``agent:yes`` (search/agents.py, the words' ranking), else
    ``find_hybrid`` (the words' ranking, fused with the vectors' when a model is configured; ``early``: the
    question's embedding already asked, ``ask_early``)."""
    if agents_only or "agent:" in question.lower():
        from dailydiff.search.agents import AGENT_TOKEN_RE, find_matching

        if agents_only or AGENT_TOKEN_RE.search(question):
            return find_matching(store, question, filters, limit, agents_only=agents_only)
    return find_hybrid(store, settings, question, filters, limit, extra_words=extra_words, early=early)


def fused_hits(
    store: Store, hits: Sequence[Hit], near: Sequence[tuple[str, str, str, float]], limit: int
) -> list[Hit]:
    """The words' hits and the nearest rows, fused; a row only the vectors found is a hit with no terms."""
    known = {(h.doc.repo, h.doc.sha, h.doc.language): h for h in hits}
    order = fuse(list(known), [(r, s, lang) for r, s, lang, _ in near])[:limit]
    docs = store.search_docs([key for key, _ in order if key not in known])
    out: list[Hit] = []
    for key, score in order:
        if key in known:
            out.append(replace(known[key], score=score))
        elif key in docs:
            out.append(Hit(docs[key], score, ()))
    return out
