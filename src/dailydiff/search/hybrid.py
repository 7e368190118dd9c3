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
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dailydiff.common.searchterms import is_chinese
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


class EmbeddingError(DailyDiffError):
    """The embedding endpoint did not answer with vectors."""


def commit_text(title: str, summary: str, paths: str) -> str:
    """What a commit's vector is made of: its title, summary and areas (directories of its paths)."""
    areas = list(dict.fromkeys(p.rsplit("/", 1)[0] for p in paths.split("\n") if "/" in p))[:AREAS]
    parts = [title.strip(), summary.strip(), ("areas: " + ", ".join(areas)) if areas else ""]
    return "\n".join(p for p in parts if p)[:TEXT_CHARS]


def text_key(model: str, text: str) -> str:
    import hashlib  # what embeds needs it, not a search: OpenSSL's library loads with it (about 4 ms)

    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class _TooSlow(Exception):
    """A batch the embedding server did not answer in time: it is split, not sent again whole."""


class EndpointEmbedder:
    """Texts to vectors by an OpenAI-compatible ``POST {base_url}/embeddings``."""

    def __init__(self, base_url: str, model: str, api_key: str = "", *, timeout: float = 120.0,
                 retries: int = 2) -> None:  # fmt: skip
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model, self.api_key, self.timeout, self.retries = model, api_key, timeout, retries
        self.requests = 0
        self.most = sys.maxsize  # texts a request: lowered when the server did not answer a batch in time

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) > self.most:
            return [
                v for at in range(0, len(texts), self.most) for v in self.embed(texts[at : at + self.most])
            ]
        from dailydiff.common.http import Again, GaveUp, HttpPolicy, Try

        # The one outbound policy runs the one send loop and sets the transport's timeouts (and TLS), as for
        # every request we make.
        policy = HttpPolicy(timeout=self.timeout, connect_timeout=min(10.0, self.timeout),
                            read_timeout=self.timeout, retries=self.retries, backoff=1.0, backoff_cap=8.0)  # fmt: skip
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "input": list(texts), "encoding_format": "float"}

        def once(attempt: Try) -> Any:
            self.requests += 1
            try:
                response = self._post(policy, attempt, body, headers)
            except TimeoutError as exc:
                if len(texts) > 1:  # a slow server (a small model on a busy CPU): the same batch again would
                    raise _TooSlow from None  # time out again, after as much work; halves answer in time
                raise Again(str(exc)) from None
            except OSError as exc:
                raise Again(str(exc)) from None
            if response.status_code >= 500:
                raise Again(f"HTTP {response.status_code}")
            return response

        try:
            response = policy.send(once)
        except _TooSlow:
            half = len(texts) // 2
            self.most = min(self.most, half)  # and so do the batches after this one
            return self.embed(texts[:half]) + self.embed(texts[half:])
        except GaveUp as stop:
            raise EmbeddingError(
                f"the embedding endpoint {self.url} failed ({stop.problem})",
                "check [search] embedding_base_url",
            ) from None
        return self._vectors(response, len(texts))

    def _post(self, policy: Any, attempt: Any, body: Any, headers: dict[str, str]) -> Any:
        """One request: over the standard library to a plain ``http://`` endpoint (common/localhttp.py: no
        httpx2 to import for it), else by the policy's client (TLS verified as for every request). A timeout
        is a ``TimeoutError``, any other failure to get an answer an ``OSError``."""
        from dailydiff.common import localhttp

        if localhttp.direct(self.url):
            return localhttp.post_json(self.url, body, headers, policy, attempt)
        import httpx2

        try:
            with policy.client(tls=not self.url.startswith("http://")) as client:
                return client.post(self.url, json=body, headers=headers)
        except httpx2.TimeoutException as exc:
            raise TimeoutError(f"{type(exc).__name__}: {exc}") from None
        except httpx2.HTTPError as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from None

    def _vectors(self, response: Any, count: int) -> list[list[float]]:
        if response.status_code != 200:
            raise EmbeddingError(
                f"the embedding endpoint {self.url} answered HTTP {response.status_code}",
                "check [search] embedding_model and the endpoint's key",
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [_pooled(item["embedding"]) for item in data]
        except (ValueError, KeyError, TypeError):
            raise EmbeddingError(
                f"the embedding endpoint {self.url} answered no vectors", "is it an /embeddings endpoint?"
            ) from None
        if len(vectors) != count or not vectors or any(len(v) != len(vectors[0]) for v in vectors):
            raise EmbeddingError(
                f"the embedding endpoint {self.url} answered {len(vectors)} vector(s) for {count} text(s)"
            )
        return vectors


def _pooled(embedding: Any) -> list[float]:
    """A vector; a server that answers one per token (llama-cpp-python's without pooling) is averaged."""
    if embedding and isinstance(embedding[0], list):
        return [sum(column) / len(embedding) for column in zip(*embedding, strict=True)]
    return [float(v) for v in embedding]


def embedder_from(settings: Any) -> EndpointEmbedder | None:
    """The embedder the settings name, or None (no ``[search] embedding_model``, or no endpoint)."""
    section = getattr(settings, "search", None)
    model = getattr(section, "embedding_model", "") if section is not None else ""
    base = (
        (getattr(section, "embedding_base_url", "") or getattr(settings.llm, "base_url", "")) if model else ""
    )
    if not model or not base:
        return None
    key_env = getattr(settings.llm, "api_key_env", "")
    return EndpointEmbedder(base, model, os.environ.get(key_env, "") if key_env else "")


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
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed([t for _, t in chunk])
        chunk_links = [link for k, _ in chunk for link in by_key[k]]
        store.save_vectors(
            embedder.model, list(zip([k for k, _ in chunk], vectors, strict=True)), chunk_links
        )
        if progress:
            progress(min(start + batch, len(missing)), len(missing))
    return Synced(len(rows), len(missing), len(reused), time.monotonic() - started)


_WARNED: set[str] = set()


def embed_stored(store: Store, settings: Any) -> Synced | None:
    """After a report is stored: embed what the index holds without a vector, when a model is configured.
    An endpoint that fails costs the report nothing: it is said once per process, and the next store or
    search embeds what is missing."""
    embedder = embedder_from(settings)
    if embedder is None:
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


def fuses(settings: Any, question: str) -> bool:
    """Whether this question's language is one ``[search] fuse_languages`` fuses."""
    section = getattr(settings, "search", None)
    languages = getattr(section, "fuse_languages", []) if section is not None else []
    return ("zh" if is_chinese(question) else "en") in languages


class _Asked:
    """``ask()`` on a thread of its own from now: the question's embedding is computed by the server (another
    process, another core) while this one ranks the words; ``result()`` waits for it, or raises what it
    raised."""

    def __init__(self, ask: Callable[[], Any]) -> None:
        import threading

        self._ask = ask
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dailydiff-embed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._ask()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def find_hybrid(store: Store, settings: Any, question: str, filters: SearchFilters, limit: int = 10,
                extra_words: Sequence[str] = (), embedder: Any = None) -> SearchResult:  # fmt: skip
    """``find``, fused with the vectors' ranking when an embedding model is configured and the question's
    language fuses; an endpoint that fails leaves the words' ranking (and says so once, in the log)."""
    embedder = embedder or embedder_from(settings)
    if embedder is None or not question.strip() or not fuses(settings, question):
        return find(store, question, filters, limit, extra_words=extra_words)
    asked = _Asked(lambda: embedder.embed([question])[0])  # the server embeds while the words rank here
    lexical = find(store, question, filters, max(limit, POOL), extra_words=extra_words)
    try:
        batch = getattr(getattr(settings, "search", None), "embedding_batch", 32)
        if store.vectors_missing():  # rows stored since (a report saved without the model, an import)
            sync(store, embedder, batch)
        probe = asked.result()
    except DailyDiffError as exc:
        log.warning("search by words only: %s", exc)
        return replace(lexical, hits=lexical.hits[:limit])
    return fused_result(store, lexical, probe, embedder.model, limit)


def retrieve(store: Store, settings: Any, question: str, filters: SearchFilters, limit: int = 10, *,
             agents_only: bool = False, extra_words: Sequence[str] = ()) -> SearchResult:  # fmt: skip
    """What `search` and the MCP search tool retrieve: only commits a coding agent wrote when ``agents_only``
    (``--agent``) or the question says ``agent:yes`` (search/agents.py, the words' ranking), else
    ``find_hybrid`` (the words' ranking, fused with the vectors' when a model is configured)."""
    if agents_only or "agent:" in question.lower():
        from dailydiff.search.agents import AGENT_TOKEN_RE, find_matching

        if agents_only or AGENT_TOKEN_RE.search(question):
            return find_matching(store, question, filters, limit, agents_only=agents_only)
    return find_hybrid(store, settings, question, filters, limit, extra_words=extra_words)


def fused_result(
    store: Store, lexical: SearchResult, probe: Sequence[float], model: str, limit: int
) -> SearchResult:
    """The words' result (read POOL deep) with its hits fused with the rows nearest ``probe`` within the
    same filters (the days and repositories the question chose included)."""
    near = store.nearest_vectors(probe, model, lexical.filters, POOL)
    return replace(lexical, hits=fused_hits(store, lexical.hits[:POOL], near, limit))


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
