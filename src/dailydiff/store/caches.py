"""What is kept to ask less: the HTTP cache of the forges' answers and what an LLM endpoint can do."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dailydiff.store.base import StoreBase
from dailydiff.store.database import now_text


@dataclass(frozen=True)
class OpenBatch:
    """A batch of analyses open at an LLM endpoint's Batch API (analysis/batch.py)."""

    custom_ids: list[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    immutable: bool


@dataclass(frozen=True)
class EndpointFacts:
    """What was learnt about an LLM endpoint and model: how it holds answers to a schema, its context,
    whether it streams (False: it answers a streamed request with one JSON body); and what a run measured
    there (the concurrency limit it found, the fastest first token and prompt tokens a second it saw), with
    when (``measured_at``, aware UTC; set by the store when a limit is saved)."""

    response_mode: str | None = None
    context_window: int | None = None
    streams: bool | None = None
    concurrency_limit: int | None = None
    concurrency_ceiling: int | None = None  # the most the server admits at once, where a run found it
    latency: float | None = None
    prompt_rate: float | None = None
    measured_at: dt.datetime | None = None


_HTTP_COLUMNS = ("key", "etag", "last_modified", "status", "headers", "body", "immutable", "stored_at")


def _cached(row: Sequence[Any]) -> CachedResponse | None:
    """A row of the HTTP cache (status, headers, body, etag, last_modified, immutable) as an answer."""
    status, headers, body, etag, last_modified, immutable = row
    try:
        return CachedResponse(
            status, json.loads(headers), zlib.decompress(body), etag, last_modified, bool(immutable)
        )
    except (ValueError, TypeError, zlib.error):  # derived data: a damaged row is no answer, asked again
        return None


class CacheStore(StoreBase):
    """What is kept to ask less: the HTTP cache of the forges' answers and what an LLM endpoint can do."""

    # http cache ----------------------------------------------------------------------------------

    def http_get(self, key: str) -> CachedResponse | None:
        row = self._db.execute(
            "SELECT status, headers, body, etag, last_modified, immutable FROM http_cache WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else _cached(row)

    def http_get_many(self, keys: Sequence[str]) -> dict[str, CachedResponse]:
        """The cached answers of ``keys`` (those there and readable), in one query per UPSERT_ROWS keys: a day's
        commits asked one at a time were a round trip each on the event loop of a worker."""
        found: dict[str, CachedResponse] = {}
        sql = "SELECT key, status, headers, body, etag, last_modified, immutable FROM http_cache WHERE key IN ({marks})"
        for key, *row in self._rows_in(sql, keys):
            cached = _cached(row)
            if cached is not None:
                found[str(key)] = cached
        return found

    def http_immutable(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` whose answer is cached for good, in one query per UPSERT_ROWS keys, without
        reading the answers (a fetch's budget asks this of every listed commit's detail)."""
        rows = self._rows_in("SELECT key FROM http_cache WHERE immutable = 1 AND key IN ({marks})", keys)
        return {str(key) for (key,) in rows}

    def http_put(self, key: str, response: CachedResponse) -> None:
        """One statement, atomic without a transaction: one round trip to a server (BEGIN and COMMIT around it
        were two more, on every forge answer cached)."""
        self.http_put_many([(key, response)])

    def http_put_many(self, answers: Sequence[tuple[str, CachedResponse]]) -> None:
        """Several answers in one statement (a batch of pull-request lookups: one round trip, not one each)."""
        stored = now_text()
        rows = [(key, r.etag, r.last_modified, r.status, json.dumps(r.headers), zlib.compress(r.body, 1),
                 int(r.immutable), stored) for key, r in answers]  # fmt: skip
        if rows:
            self._upsert("http_cache", _HTTP_COLUMNS, 1, rows)

    # what an LLM endpoint can do (negotiated on first use, so the next run does not ask again) ------

    def llm_endpoint(self, endpoint: str, model: str) -> EndpointFacts | None:
        row = self._db.execute(
            "SELECT response_mode, context_window, streams, concurrency_limit, concurrency_ceiling, latency, "
            "prompt_rate, measured_at "
            "FROM llm_endpoints WHERE endpoint = ? AND model = ?",
            (endpoint, model),
        ).fetchone()
        if row is None:
            return None
        mode, window, streams, limit, ceiling, latency, rate, measured = row

        def number(value: object) -> float | None:  # derived data: a damaged field is no fact, not an error
            return float(value) if isinstance(value, int | float) and value > 0 else None

        when: dt.datetime | None = None
        try:
            when = dt.datetime.fromisoformat(str(measured)) if measured else None
        except ValueError:
            when = None
        return EndpointFacts(
            response_mode=mode if isinstance(mode, str) else None,
            context_window=int(window) if isinstance(window, int) and window > 0 else None,
            streams=None if streams is None else bool(streams),
            concurrency_limit=int(limit) if isinstance(limit, int) and limit > 0 else None,
            concurrency_ceiling=int(ceiling) if isinstance(ceiling, int) and ceiling > 0 else None,
            latency=number(latency),
            prompt_rate=number(rate),
            measured_at=when if when is not None and when.tzinfo is not None else None,
        )

    def save_llm_endpoint(self, endpoint: str, model: str, facts: EndpointFacts) -> None:
        """Store what is known; a field left None keeps the value stored before. A concurrency limit is
        stamped with the store's time (``measured_at``)."""
        measured = now_text() if facts.concurrency_limit else None
        streams = None if facts.streams is None else int(facts.streams)
        with self._tx() as db:
            db.execute(
                "INSERT INTO llm_endpoints (endpoint, model, response_mode, context_window, streams, "
                "concurrency_limit, concurrency_ceiling, latency, prompt_rate, measured_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (endpoint, model) DO UPDATE SET "
                "response_mode = COALESCE(excluded.response_mode, llm_endpoints.response_mode), "
                "context_window = COALESCE(excluded.context_window, llm_endpoints.context_window), "
                "streams = COALESCE(excluded.streams, llm_endpoints.streams), "
                "concurrency_limit = COALESCE(excluded.concurrency_limit, llm_endpoints.concurrency_limit), "
                "concurrency_ceiling = COALESCE(excluded.concurrency_ceiling, llm_endpoints.concurrency_ceiling), "
                "latency = COALESCE(excluded.latency, llm_endpoints.latency), "
                "prompt_rate = COALESCE(excluded.prompt_rate, llm_endpoints.prompt_rate), "
                "measured_at = COALESCE(excluded.measured_at, llm_endpoints.measured_at), "
                "updated_at = excluded.updated_at",
                (endpoint, model, facts.response_mode, facts.context_window, streams, facts.concurrency_limit,
                 facts.concurrency_ceiling, facts.latency, facts.prompt_rate, measured, now_text()),
            )  # fmt: skip

    # batches open at an LLM endpoint's Batch API (analysis/batch.py) -----------------------------------

    def open_llm_batches(self, endpoint: str, model: str) -> dict[str, OpenBatch]:
        """The batches sent to ``endpoint`` for ``model`` and not yet read back, by id (a batch the provider
        has not named yet: by analysis/batch.py's placeholder)."""
        rows = self._db.execute(
            "SELECT batch_id, custom_ids, created_at FROM llm_batches WHERE endpoint = ? AND model = ? "
            "ORDER BY created_at",
            (endpoint, model),
        ).fetchall()
        found: dict[str, OpenBatch] = {}
        for batch_id, custom_ids, created_at in rows:
            try:
                ids = json.loads(custom_ids)
                created = dt.datetime.fromisoformat(str(created_at))
            except ValueError:  # a damaged row: the batch is not picked up, its commits asked again
                continue
            found[str(batch_id)] = OpenBatch([str(i) for i in ids] if isinstance(ids, list) else [], created)
        return found

    def save_llm_batch(self, batch_id: str, endpoint: str, model: str, custom_ids: Sequence[str],
                       replaces: str = "") -> None:  # fmt: skip
        """A batch's row; ``replaces``: the placeholder row it takes the place of, in the same transaction."""
        with self._tx() as db:
            db.execute("DELETE FROM llm_batches WHERE batch_id = ?", (replaces,))
            db.execute(
                "INSERT INTO llm_batches (batch_id, endpoint, model, custom_ids, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING",
                (batch_id, endpoint, model, json.dumps(list(custom_ids)), now_text()),
            )

    def close_llm_batch(self, batch_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM llm_batches WHERE batch_id = ?", (batch_id,))
