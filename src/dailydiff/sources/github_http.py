"""The GitHub REST client under the GitHub source: conditional requests against the store's HTTP cache,
rate limits (primary and secondary), retries with jittered backoff, and one clear error per failure.

Every request has a total deadline (connect, send and every read: a server that drips its answer a byte at
a time resets httpx's per-read timeout forever), and a circuit breaker leaves an API that keeps failing
alone for the rest of the run. An answer is stored only after it was checked to be what was asked for
(JSON that parses, a ``Link`` to the same host, the caller's shape check): a proxy's HTML page, a
truncated body or a foreign link is retried, and if it stays bad it fails that request, never the runs
after it.

Only the response's status, body and a few response headers are cached, keyed by the Accept header and
the URL: never a request header, so the token cannot reach the store. The token lives in one header of
the client and is never logged or put in a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2

from dailydiff import __version__
from dailydiff.common.http import (
    CircuitBreaker,
    backoff_delay,
    github_rate_limited,
    rate_limit_reset_seconds,
    retry_after_seconds,
    tls_context,
)
from dailydiff.common.jsonsafe import without_surrogates
from dailydiff.common.secrets import scrub
from dailydiff.errors import SourceError
from dailydiff.settings import GitHubSettings
from dailydiff.store import CachedResponse, Store

log = logging.getLogger("dailydiff.github")

JSON = "application/vnd.github+json"
DIFF = "application/vnd.github.diff"
_KEPT_HEADERS = ("etag", "last-modified", "link", "content-type")
# A refusal also keeps what says why and for how long (doctor's advice for a rate limit reads them).
_REFUSAL_HEADERS = ("retry-after", "x-ratelimit-remaining", "x-ratelimit-reset")
_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")

Sleep = Callable[[float], Awaitable[None]]
Check = Callable[["ApiResponse"], object]  # raises ValueError (or KeyError, TypeError) on a bad answer


class RateLimitError(SourceError):
    """The rate limit is spent and resets later than we may wait."""


class ServerError(SourceError):
    """5xx answers or connection errors, still failing after every retry."""


class BadAnswer(SourceError):
    """A 200 answer that is not what was asked for (HTML, truncated JSON, a link to another host), still
    after every retry. Nothing of it was stored."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    from_cache: bool = False

    def json(self) -> Any:
        return without_surrogates(json.loads(self.body))

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def link(self, rel: str) -> str | None:
        for url, name in _LINK_RE.findall(self.headers.get("link", "")):
            if name == rel:
                return str(url)
        return None


@dataclass
class RequestCounts:
    sent: int = 0
    not_modified: int = 0
    cache_hits: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    graphql: int = 0  # of ``sent``
    # Commits of a GraphQL pull-request batch GitHub did not resolve (null aliases, errors), looked up by
    # REST instead; and commits whose pull request could not be looked up at all (asked again next run).
    pr_rest_fallback: int = 0
    pr_lookup_failed: int = 0
    remaining: int | None = None  # x-ratelimit-remaining of the REST API's last answer
    limit: int = 0  # x-ratelimit-limit, requests per window
    reset_at: float = 0.0  # x-ratelimit-reset, epoch seconds

    @property
    def spent(self) -> int:
        """Requests counted against the rate limit: every one sent, but a 304 is free."""
        return self.sent - self.not_modified

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.sent, "spent": self.spent, "not_modified": self.not_modified,
                "graphql": self.graphql, "cache_hits": self.cache_hits, "pr_rest_fallback": self.pr_rest_fallback,
                "pr_lookup_failed": self.pr_lookup_failed}  # fmt: skip

    def add(self, other: RequestCounts) -> None:
        self.sent += other.sent
        self.not_modified += other.not_modified
        self.cache_hits += other.cache_hits
        self.retries += other.retries
        self.waited_seconds += other.waited_seconds
        self.graphql += other.graphql
        self.pr_rest_fallback += other.pr_rest_fallback
        self.pr_lookup_failed += other.pr_lookup_failed
        if other.remaining is not None:
            self.remaining, self.limit, self.reset_at = other.remaining, other.limit, other.reset_at


def api_headers(token: str | None, api_version: str) -> dict[str, str]:
    """What every request to GitHub's API carries, from the source, a publisher or doctor: who asks, the
    API version, and the token (in this one header, never in a URL)."""
    headers = {"User-Agent": f"dailydiff/{__version__}", "Accept": JSON, "X-GitHub-Api-Version": api_version}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


@dataclass
class GitHubHttp:
    """One client per run. ``repo`` and ``branch`` only shape error messages."""

    settings: GitHubSettings
    repo: str
    branch: str = ""
    token: str | None = field(default=None, repr=False)
    cache: Store | None = None
    sleep: Sleep = asyncio.sleep
    counts: RequestCounts = field(default_factory=RequestCounts)
    slots: asyncio.Semaphore | None = None  # requests in flight; shared when the run passes one
    breaker: CircuitBreaker | None = None  # shared by the clients of one source, for the whole run

    def __post_init__(self) -> None:
        headers = api_headers(self.token, self.settings.api_version)
        timeout = httpx2.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        limits = httpx2.Limits(max_connections=self.settings.concurrency + 2)
        self._client = httpx2.AsyncClient(
            headers=headers, timeout=timeout, limits=limits, verify=tls_context()
        )
        api = urlsplit(self.settings.api_url)
        self._origin = (api.scheme, api.netloc)
        self.host = api.netloc
        self._blocked_until = 0.0
        self._block_reason = ""
        self._slots = self.slots or asyncio.Semaphore(self.settings.concurrency)
        if self.breaker is None:
            self.breaker = CircuitBreaker(f"the GitHub API at {self.host}", self.settings.breaker_threshold)

    async def aclose(self) -> None:
        await self._client.aclose()

    # public ----------------------------------------------------------------------------------------

    async def get(
        self,
        url: str,
        *,
        accept: str = JSON,
        immutable: bool | Callable[[ApiResponse], bool] = False,
        allow: tuple[int, ...] = (),
        check: Check | None = None,
    ) -> ApiResponse:
        """GET ``url``: from the cache when immutable, else conditionally. Statuses in ``allow`` are
        returned to the caller instead of raised. A 200 answer is checked (JSON parses, links stay on
        this host, then ``check``) before it is returned or cached; a bad one is asked again."""
        self._check_origin(url)
        key = f"GET {accept} {url}"
        cached = self.cache.http_get(key) if self.cache is not None else None
        if cached is not None and _problem(ApiResponse(cached.status, cached.headers, cached.body), accept,
                                           check, self._origin) is not None:  # fmt: skip
            cached = None  # stored by an older version that did not check: asked again, then replaced
        if cached is not None and cached.immutable:
            self.counts.cache_hits += 1
            log.debug("cache hit %s", url)
            return ApiResponse(cached.status, cached.headers, cached.body, from_cache=True)
        headers = {"Accept": accept}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        bad = 0
        while True:
            response = await self._send("GET", url, headers, allow)
            if response.status == 304 and cached is not None:
                self.counts.not_modified += 1
                return ApiResponse(cached.status, cached.headers, cached.body, from_cache=True)
            if response.status != 200:
                return response
            problem = _problem(response, accept, check, self._origin)
            if problem is None:
                break
            bad += 1
            if bad > self.settings.max_retries:
                raise BadAnswer(
                    f"the GitHub API at {self.host} answered {_path(url)} with {problem}, {bad} times",
                    "a proxy or GitHub itself is misbehaving; run again later (nothing of it was stored, the "
                    "next run asks again)",
                )
            headers.pop("If-None-Match", None)
            await self._backoff(bad, f"{problem} on {_path(url)}")
        if self.cache is not None:
            keep = immutable(response) if callable(immutable) else immutable
            etag = response.headers.get("etag")
            if keep or etag:
                self.cache.http_put(
                    key,
                    CachedResponse(
                        status=200,
                        headers=response.headers,
                        body=response.body,
                        etag=etag,
                        last_modified=response.headers.get("last-modified"),
                        immutable=keep,
                    ),
                )
        return response

    async def rate_remaining(self) -> int | None:
        """Requests the token can spend now: what it has left (from the last answer, else
        ``/rate_limit``, which GitHub does not count), and a whole new window when the limit resets
        within ``[github] max_rate_limit_wait`` (the client waits for it). None when the API has no rate
        limit (GitHub Enterprise with it turned off answers 404)."""
        counts = self.counts
        if counts.remaining is None:
            url = f"{self.settings.api_url}/rate_limit"
            response = await self._send("GET", url, {"Accept": JSON}, (404,))
            counts.sent -= 1  # not counted by GitHub, not by us
            try:
                core = response.json()["resources"]["core"] if response.status == 200 else None
                if core:
                    counts.remaining, counts.limit = int(core["remaining"]), int(core["limit"])
                    counts.reset_at = float(core["reset"])
            except (ValueError, KeyError, TypeError):
                return None
        if counts.remaining is None:
            return None
        soon = counts.reset_at and counts.reset_at - time.time() <= self.settings.max_rate_limit_wait
        return counts.remaining + (counts.limit if soon else 0)

    async def post_json(
        self,
        url: str,
        payload: object,
        *,
        allow: tuple[int, ...] = (),
        check: Check | None = None,
        own_slot: bool = False,
    ) -> ApiResponse:
        """POST a JSON document (GraphQL): never cached; a 200 answer is checked like a GET's, and a bad
        one is asked again. ``own_slot``: a request for the whole window (the pull requests of up to 100
        commits, one at a time) goes out beside the commits' requests, not in place of one of them."""
        self._check_origin(url)
        body = json.dumps(payload).encode()
        headers = {"Accept": JSON, "Content-Type": "application/json"}
        bad = 0
        while True:
            response = await self._send("POST", url, headers, allow, body, own_slot=own_slot)
            if response.status != 200:
                return response
            problem = _problem(response, JSON, check, self._origin)
            if problem is None:
                return response
            bad += 1
            if bad > self.settings.max_retries:
                raise BadAnswer(
                    f"the GitHub API at {self.host} answered {_path(url)} with {problem}, {bad} times",
                    "a proxy or GitHub itself is misbehaving; run again later",
                )
            await self._backoff(bad, f"{problem} on {_path(url)}")

    # sending ---------------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        allow: tuple[int, ...],
        content: bytes | None = None,
        *,
        own_slot: bool = False,
    ) -> ApiResponse:
        failures = 0  # 5xx and connection errors
        limited = 0  # rate-limit answers
        breaker = self.breaker
        assert breaker is not None
        deadline = self.settings.request_deadline
        while True:
            started = time.monotonic()
            began = breaker.now()
            try:
                async with contextlib.nullcontext() if own_slot else self._slots:
                    # The gate is checked with a slot held: a request queued for a slot while another one
                    # hit a limit must not go out before the wait.
                    await self._wait_for_gate()
                    if breaker.opened:
                        raise ServerError(breaker.reason, "run again later (fetched commits are kept)")
                    started = time.monotonic()
                    began = breaker.now()
                    async with asyncio.timeout(deadline):
                        raw = await self._client.request(method, url, headers=headers, content=content)
                        body = raw.content
            except (httpx2.TransportError, TimeoutError) as exc:
                failures += 1
                timed_out = isinstance(exc, TimeoutError | httpx2.TimeoutException)
                reason = (
                    f"no complete answer within {deadline:g}s"
                    if isinstance(exc, TimeoutError)
                    else type(exc).__name__
                )
                if breaker.failure(f"{reason} on {_path(url)}", began, timed_out=timed_out):
                    log.warning("%s", breaker.reason)
                if breaker.opened:
                    raise ServerError(
                        breaker.reason, "check the network and run again later (fetched commits are kept)"
                    ) from None
                if failures > self.settings.max_retries:
                    raise ServerError(
                        f"cannot reach the GitHub API at {self.host} ({reason}) after {failures} attempts",
                        "check the network and [github] api_url / DAILYDIFF_GITHUB_API_URL; fetched commits are kept",
                    ) from None
                await self._backoff(failures, f"{reason} on {_path(url)}")
                continue
            self.counts.sent += 1
            self.counts.graphql += method == "POST"
            names = _KEPT_HEADERS + (_REFUSAL_HEADERS if raw.status_code >= 400 else ())
            kept = {k: raw.headers[k] for k in names if k in raw.headers}
            response = ApiResponse(raw.status_code, kept, body)
            if raw.status_code < 500:
                breaker.success()
            log.debug("GET %s -> %d (%.0f ms)", url, raw.status_code, (time.monotonic() - started) * 1000)
            self._note_rate_limit(raw.headers)
            status = raw.status_code
            if status in (200, 304) or status in allow:
                return response
            if github_rate_limited(status, raw.headers, api_message(response)):
                limited += 1
                if limited > self.settings.max_retries + 2:
                    raise self._rate_limit_error("GitHub kept answering that the rate limit is exceeded")
                self._block_for_limit(raw.headers, limited)
                self.counts.retries += 1
                continue
            if status >= 500:
                failures += 1
                if breaker.failure(f"{status} on {_path(url)}", began):
                    log.warning("%s", breaker.reason)
                if breaker.opened:
                    raise ServerError(
                        breaker.reason,
                        "GitHub may be having trouble; run again later (fetched commits are kept)",
                    )
                if failures > self.settings.max_retries:
                    raise ServerError(
                        f"the GitHub API at {self.host} answered {status} {api_message(response)} "
                        f"{failures} times for {_path(url)}",
                        "GitHub may be having trouble; run again later (fetched commits are kept)",
                    )
                await self._backoff(failures, f"{status} on {_path(url)}")
                continue
            raise self._status_error(status, response, url)

    async def _backoff(self, attempt: int, what: str) -> None:
        delay = backoff_delay(attempt, self.settings.retry_base_delay)
        log.info("retrying after %s in %.2fs", what, delay)
        self.counts.retries += 1
        await self.sleep(delay)

    # rate limits -----------------------------------------------------------------------------------

    def _note_rate_limit(self, headers: httpx2.Headers) -> None:
        """A response that spends the last request closes the gate until the reset, before any 403."""
        remaining = headers.get("x-ratelimit-remaining", "")
        if remaining.isdigit() and headers.get("x-ratelimit-resource", "core") == "core":
            self.counts.remaining = int(remaining)
            limit, reset = headers.get("x-ratelimit-limit", ""), headers.get("x-ratelimit-reset", "")
            self.counts.limit = int(limit) if limit.isdigit() else 0
            self.counts.reset_at = float(reset) if reset.isdigit() else 0.0
        now = time.time()
        wait = rate_limit_reset_seconds(headers, now)
        if wait is not None:
            self._close_gate(now + wait + 1.0, "primary")

    def _block_for_limit(self, headers: httpx2.Headers, attempt: int) -> None:
        now = time.time()
        retry_after = retry_after_seconds(headers, now)
        reset_wait = rate_limit_reset_seconds(headers, now)
        if retry_after is not None:
            self._close_gate(now + retry_after, "secondary")
            log.warning("GitHub secondary rate limit: waiting %.0fs (retry-after)", retry_after)
        elif reset_wait is not None or headers.get("x-ratelimit-remaining") == "0":
            # A reset already past but still refused: the clocks disagree, wait a little longer each time.
            self._close_gate(max(now + (reset_wait or 0.0) + 1.0, now + attempt), "primary")
        else:
            # Secondary limit without retry-after: GitHub asks for at least a minute, then exponential.
            self._close_gate(now + 60.0 * 2 ** (attempt - 1), "secondary")

    def _close_gate(self, until: float, reason: str) -> None:
        if until > self._blocked_until:
            self._blocked_until = until
            self._block_reason = reason

    async def _wait_for_gate(self) -> None:
        while True:
            wait = self._blocked_until - time.time()
            if wait <= 0:
                return
            if wait > self.settings.max_rate_limit_wait:
                raise self._rate_limit_error("")
            log.warning("GitHub %s rate limit: waiting %.1fs", self._block_reason, wait)
            self.counts.waited_seconds += wait
            await self.sleep(wait)

    def _rate_limit_error(self, detail: str) -> RateLimitError:
        until = dt.datetime.fromtimestamp(max(self._blocked_until, time.time()), dt.UTC)
        minutes = max(1, round((until.timestamp() - time.time()) / 60))
        kind = "secondary rate limit" if self._block_reason == "secondary" else "rate limit"
        return RateLimitError(
            detail
            or f"the GitHub API {kind} is spent until {until:%Y-%m-%d %H:%M} UTC (in about {minutes} min), "
            f"longer than [github] max_rate_limit_wait ({self.settings.max_rate_limit_wait:.0f}s)",
            f"run the same command again after {until:%H:%M} UTC; what was fetched is stored and not requested "
            "again (a token in GITHUB_TOKEN raises the limit)",
        )

    # errors ----------------------------------------------------------------------------------------

    def _status_error(self, status: int, response: ApiResponse, url: str) -> SourceError:
        message = api_message(response)
        if status == 401:
            return SourceError(
                f"GitHub rejected the token (401 {message or 'Bad credentials'})",
                "check the token in GITHUB_TOKEN / DAILYDIFF_GITHUB_TOKEN (or the variable named by "
                "[github] token_env); public repositories need no token",
            )
        if status == 404:
            return SourceError(
                f"repository {self.repo} not found on {self.host}, or it is private",
                "check the owner/name; for a private repository set GITHUB_TOKEN to a token that can read it",
            )
        if status == 409:
            return SourceError(f"{self.repo} is an empty repository (no commits yet)", "push a commit first")
        if status == 422:
            what = (
                f"branch {self.branch!r} not found in {self.repo}"
                if self.branch
                else f"{self.repo}: {message}"
            )
            return SourceError(
                f"GitHub refused the request: {what} (422)", "check --branch / [github] branch"
            )
        if status == 403:
            return SourceError(
                f"GitHub refused access to {self.repo} (403 {message})",
                "check that the token may read this repository (contents: read)",
            )
        return SourceError(f"GitHub answered {status} {message} for {_path(url)}", "run again later")

    def _check_origin(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            # Never send the token to another host, whatever a Link header says.
            raise SourceError(
                f"the GitHub API pointed to another host ({parts.netloc})", "check [github] api_url"
            )


def _path(url: str) -> str:
    return urlsplit(url).path


def api_message(response: ApiResponse) -> str:
    """The API's error message, made safe for a one-line error (untrusted text)."""
    try:
        data = json.loads(response.body)
        text = str(data.get("message") or data.get("error") or "") if isinstance(data, dict) else ""
    except (ValueError, UnicodeDecodeError):
        text = ""
    return _CONTROL_RE.sub(" ", scrub(text)).strip()[:200]  # scrubbed before it is cut


def _problem(response: ApiResponse, accept: str, check: Check | None, origin: tuple[str, str]) -> str | None:
    """What is wrong with a 200 answer, or None when it is what was asked for."""
    if "html" in response.headers.get("content-type", "").lower():
        return "an HTML page instead of data"
    for url, _ in _LINK_RE.findall(response.headers.get("link", "")):
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != origin:
            return f"a link to another host ({parts.netloc or 'none'})"
    if accept == JSON:
        try:
            response.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            return "a body that is not complete JSON"
    if check is not None:
        try:
            check(response)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            return f"an answer of the wrong shape ({type(exc).__name__}: {str(exc)[:60]})"
    return None
