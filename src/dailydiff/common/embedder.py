"""The question's and the commits' vectors: an OpenAI-compatible ``POST {base_url}/embeddings`` (``[search]
embedding_model``, ``embedding_base_url``, else ``[llm] base_url``; key: ``[llm] api_key_env``), and the
question's embedding asked as soon as the settings are read (``ask_early``): the server embeds it on another
core while `search` loads the rest of itself and ranks the words (search/hybrid.py fuses the two rankings).
Kept out of the ``dailydiff.search`` package, which loads the store and the ranking with it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from dailydiff.common.searchterms import is_chinese
from dailydiff.errors import DailyDiffError

log = logging.getLogger("dailydiff.search")


class EmbeddingError(DailyDiffError):
    """The embedding endpoint did not answer with vectors."""


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
            # The step is fixed first: a batch that times out lowers ``most`` while the others are asked, and
            # slices cut by the new figure with starts stepped by the old one skipped texts (a vector short).
            step = self.most
            return [v for at in range(0, len(texts), step) for v in self.embed(texts[at : at + step])]
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
                response = self._post(policy, body, headers)
            except TimeoutError as exc:
                log.warning("the embedding endpoint did not answer %d text(s) within [search] embedding_timeout "
                            "(%gs)", len(texts), self.timeout)  # fmt: skip
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

    def _post(self, policy: Any, body: Any, headers: dict[str, str]) -> Any:
        """One request by the policy's client (TLS verified as for every request). A timeout is a
        ``TimeoutError``, any other failure to get an answer an ``OSError``."""
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
    section = settings.search
    if section is None or not section.embedding_model:
        return None
    base = section.embedding_base_url or settings.llm.base_url
    if not base:
        return None
    key_env = settings.llm.api_key_env
    return EndpointEmbedder(base, section.embedding_model, os.environ.get(key_env, "") if key_env else "",
                            timeout=section.embedding_timeout)  # fmt: skip


def fuses(settings: Any, question: str) -> bool:
    """Whether this question's language is one ``[search] fuse_languages`` fuses."""
    section = settings.search
    return section is not None and ("zh" if is_chinese(question) else "en") in section.fuse_languages


class Asked:
    """``ask()`` on a thread of its own from now; ``result()`` waits for it, or raises what it raised."""

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

    def result(self, within: float | None = None) -> Any:
        """The answer; ``within``: seconds to wait at most, then EmbeddingError (the thread goes on, unheard)."""
        self._thread.join(within)
        if self._thread.is_alive():
            raise EmbeddingError(f"no answer from the embedding endpoint within [search] embedding_timeout "
                                 f"({within:g}s)", "check [search] embedding_base_url, or raise embedding_timeout")  # fmt: skip
        if self._error is not None:
            raise self._error
        return self._value


def ask_early(settings: Any, question: str, embedder: Any = None) -> tuple[Any, Asked] | None:
    """The embedder (``embedder``, else the one the settings name) and the question's embedding, asked of it
    now (on a thread), when the question will be searched by its vectors too (a model configured, a language
    that fuses); else None."""
    embedder = embedder or embedder_from(settings)
    if embedder is None or not question.strip() or not fuses(settings, question):
        return None
    # What sending needs, loaded here: the thread then only waits (on the server), and is not kept from
    # sending while this one loads the search (a thread importing waits its turn for the interpreter).
    from dailydiff.common import http  # noqa: F401

    return embedder, Asked(lambda: embedder.embed([question])[0])
