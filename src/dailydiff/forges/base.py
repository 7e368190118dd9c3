"""The one REST client of every forge (GitHub, GitLab), for the sources, doctor and whoever else asks a forge:
conditional requests against the store's HTTP cache, a rate-limit gate, and one clear error per failure,
under the one outbound policy (common/http.py ``HttpPolicy``, from the forge's settings section: request
timeout, retries, jittered back-off honouring ``Retry-After``, the breaker). A forge is a subclass that says its headers, how it tells a spent rate limit and what its
errors mean (forges/github.py, forges/gitlab.py).

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx2

from dailydiff import __version__
from dailydiff.common.http import Again, CircuitBreaker, GaveUp, HttpPolicy, Retry, Try, retry_after_seconds
from dailydiff.common.jsonsafe import without_surrogates
from dailydiff.common.secrets import scrub
from dailydiff.errors import SourceError
from dailydiff.settings import ForgeSettings
from dailydiff.store import CachedResponse, Store

_KEPT_HEADERS = ("etag", "last-modified", "link", "content-type", "x-next-page")
# A refusal also keeps what says why and for how long (doctor's advice for a rate limit reads them).
_REFUSAL_HEADERS = ("retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-remaining",
                    "ratelimit-reset")  # fmt: skip
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


@dataclass
class ForgeHttp:
    """One client per fetch. ``repo`` and ``branch`` only shape error messages. A forge subclass sets
    ``forge`` (its name in messages), ``section`` (its settings section), ``json_media`` and the hooks
    below (headers, rate limits, errors)."""

    forge: ClassVar[str] = "the forge"
    section: ClassVar[str] = ""
    json_media: ClassVar[str] = "application/json"

    settings: ForgeSettings
    repo: str
    branch: str = ""
    token: str | None = field(default=None, repr=False)
    cache: Store | None = None
    sleep: Sleep = asyncio.sleep
    counts: RequestCounts = field(default_factory=RequestCounts)
    slots: asyncio.Semaphore | None = None  # requests in flight; shared when the run passes one
    breaker: CircuitBreaker | None = None  # shared by the clients of one source, for the whole run
    policy: HttpPolicy = None  # type: ignore[assignment]  # None: the settings section's (set below)

    def __post_init__(self) -> None:
        if self.policy is None:
            self.policy = self.settings.policy()
        policy = self.policy
        limits = httpx2.Limits(max_connections=self.settings.concurrency + 2)
        self._client = policy.async_client(headers=self.headers(), limits=limits)
        api = urlsplit(self.settings.api_url)
        self._origin = (api.scheme, api.netloc)
        self.host = api.netloc
        self._log = logging.getLogger(f"dailydiff.{self.section or 'forge'}")
        self._blocked_until = 0.0
        self._block_reason = ""
        self._slots = self.slots or asyncio.Semaphore(self.settings.concurrency)
        if self.breaker is None:
            self.breaker = policy.breaker(f"the {self.forge} API at {self.host}")

    async def aclose(self) -> None:
        await self._client.aclose()

    # public ----------------------------------------------------------------------------------------

    async def get(
        self,
        url: str,
        *,
        accept: str = "",
        immutable: bool | Callable[[ApiResponse], bool] = False,
        allow: tuple[int, ...] = (),
        check: Check | None = None,
    ) -> ApiResponse:
        """GET ``url``: from the cache when immutable, else conditionally. Statuses in ``allow`` are
        returned to the caller instead of raised. A 200 answer is checked (JSON parses, links stay on
        this host, then ``check``) before it is returned or cached; a bad one is asked again."""
        self._check_origin(url)
        accept = accept or self.json_media
        key = f"GET {accept} {url}"
        cached = self._cached(key, accept, check)
        if cached is not None and cached.immutable:
            self.counts.cache_hits += 1
            self._log.debug("cache hit %s", url)
            return ApiResponse(cached.status, cached.headers, cached.body, from_cache=True)
        headers = {"Accept": accept}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag

        async def once(attempt: Try) -> ApiResponse:
            response = await self._attempt(attempt, "GET", url, headers, allow)
            if response.status == 200:
                self._checked(response, accept, check, url, again=lambda: headers.pop("If-None-Match", None))
            return response

        response = await self._sending(once)
        if response.status == 304 and cached is not None:
            self.counts.not_modified += 1
            return ApiResponse(cached.status, cached.headers, cached.body, from_cache=True)
        if response.status != 200:
            return response
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

    def _cached(self, key: str, accept: str, check: Check | None) -> CachedResponse | None:
        """The cached answer of ``key``; None when there is none or it fails the checks (stored by an older
        version that did not check: asked again, then replaced)."""
        cached = self.cache.http_get(key) if self.cache is not None else None
        if (
            cached is None
            or self._problem(ApiResponse(cached.status, cached.headers, cached.body), accept, check)
            is not None
        ):
            return None
        return cached

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
        headers = {"Accept": self.json_media, "Content-Type": "application/json"}

        async def once(attempt: Try) -> ApiResponse:
            response = await self._attempt(attempt, "POST", url, headers, allow, body, own_slot=own_slot)
            if response.status == 200:
                self._checked(response, self.json_media, check, url)
            return response

        return await self._sending(once)

    # sending: every request through the one send loop (common/http.py ``HttpPolicy.asend``) ----------

    async def _sending(self, once: Callable[[Try], Awaitable[ApiResponse]]) -> ApiResponse:
        """One request and its retries: the policy decides each (``Again``: its kind, count and hooks), and
        its give-up is worded by the failure's ``cause``."""
        try:
            return await self.policy.asend(once, sleep=self.sleep)
        except GaveUp as stop:
            assert stop.again is not None and callable(stop.again.cause)
            raise stop.again.cause(stop) from None

    async def _send(
        self, method: str, url: str, headers: dict[str, str], allow: tuple[int, ...] = ()
    ) -> ApiResponse:
        """One request, unchecked and never cached (GitHub's ``/rate_limit``), through the one send loop."""
        return await self._sending(lambda attempt: self._attempt(attempt, method, url, headers, allow))

    def _checked(self, response: ApiResponse, accept: str, check: Check | None, url: str,
                 again: Callable[[], object] = lambda: None) -> None:  # fmt: skip
        """A 200 answer that is not what was asked for is asked again (``again``: what to change first), at
        most as often as the policy retries; nothing of it is stored."""
        problem = self._problem(response, accept, check)
        if problem is None:
            return
        again()
        what = f"{problem} on {url_path(url)}"

        def bad(stop: GaveUp) -> SourceError:
            return BadAnswer(
                f"the {self.forge} API at {self.host} answered {url_path(url)} with {problem}, {stop.count} times",
                f"a proxy or {self.forge} itself is misbehaving; run again later (nothing of it was stored, the "
                "next run asks again)",
            )

        raise Again(what, kind="bad", then=self._retrying(what), cause=bad)

    async def _attempt(
        self,
        attempt: Try,
        method: str,
        url: str,
        headers: dict[str, str],
        allow: tuple[int, ...],
        content: bytes | None = None,
        *,
        own_slot: bool = False,
    ) -> ApiResponse:
        """One request of the send loop: a slot, the rate-limit gate, then the request within the attempt's
        time. Returns an answer to take; raises ``Again`` for one the policy may retry (a lost connection,
        a timeout, a 5xx, a spent limit), or the forge's error."""
        breaker = self.breaker
        assert breaker is not None
        async with contextlib.nullcontext() if own_slot else self._slots:
            # The gate is checked with a slot held: a request queued for a slot while another one hit a limit
            # must not go out before the wait.
            await self._wait_for_gate()
            if breaker.opened:
                raise ServerError(breaker.reason, "run again later (fetched commits are kept)")
            started = time.monotonic()
            began = breaker.now()
            try:
                async with attempt.within():
                    raw = await self._client.request(method, url, headers=headers, content=content)
                    body = raw.content
            except (httpx2.TransportError, TimeoutError) as exc:
                raise self._unreachable(exc, url, began, attempt.limit) from None
        self.counts.sent += 1
        self.counts.graphql += method == "POST"
        names = _KEPT_HEADERS + (_REFUSAL_HEADERS if raw.status_code >= 400 else ())
        response = ApiResponse(raw.status_code, {k: raw.headers[k] for k in names if k in raw.headers}, body)
        if raw.status_code < 500:
            breaker.success()
        self._log.debug(
            "%s %s -> %d (%.0f ms)", method, url, raw.status_code, (time.monotonic() - started) * 1000
        )
        self._note_rate_limit(raw.headers)
        status = raw.status_code
        if status in (200, 304) or status in allow:
            return response
        if self._rate_limited(status, raw.headers, api_message(response)):
            raise self._limited(raw.headers)
        if status >= 500:
            breaker.failure(f"{status} on {url_path(url)}", began)  # said by the error that follows
            raise self._failing(status, response, url, retry_after_seconds(raw.headers))
        raise self._status_error(status, response, url)

    def _unreachable(self, exc: Exception, url: str, began: float, seconds: float) -> Again:
        """A request that got no (complete) answer: counted by the breaker, and a failure to retry."""
        assert self.breaker is not None
        timed_out = isinstance(exc, TimeoutError | httpx2.TimeoutException)
        reason = (
            f"no complete answer within {seconds:g}s" if isinstance(exc, TimeoutError) else type(exc).__name__
        )
        # The breaker opening is said once, by the error that follows (a warning too said it twice).
        self.breaker.failure(f"{reason} on {url_path(url)}", began, timed_out=timed_out)

        def unreachable(stop: GaveUp) -> SourceError:
            if stop.why == "breaker":
                return ServerError(self._breaker_reason(), "check the network and run again later (fetched "
                                   "commits are kept)")  # fmt: skip
            return ServerError(
                f"cannot reach the {self.forge} API at {self.host} ({reason}) after {stop.count} attempts",
                f"check the network and [{self.section}] api_url / DAILYDIFF_{self.section.upper()}_API_URL; "
                "fetched commits are kept",
            )

        what = f"{reason} on {url_path(url)}"
        return Again(what, breaker=self.breaker, then=self._retrying(what), cause=unreachable)

    def _failing(self, status: int, response: ApiResponse, url: str, asked: float | None) -> Again:
        """A 5xx answer: a failure to retry (after the server's ``Retry-After``, if it says)."""
        advice = f"{self.forge} may be having trouble; run again later (fetched commits are kept)"

        def failing(stop: GaveUp) -> SourceError:
            if stop.why == "breaker":
                return ServerError(self._breaker_reason(), advice)
            if stop.why == "attempts":
                return ServerError(f"the {self.forge} API at {self.host} answered {status} "
                                   f"{api_message(response)} {stop.count} times for {url_path(url)}", advice)  # fmt: skip
            return ServerError(
                f"the {self.forge} API at {self.host} answered {status} for {url_path(url)} and asks to wait "
                f"{stop.asked or 0:.0f}s, longer than [{self.section}] max_retry_after",
                advice,
            )

        what = f"{status} on {url_path(url)}"
        return Again(what, asked=asked, breaker=self.breaker, then=self._retrying(what), cause=failing)

    def _limited(self, headers: httpx2.Headers) -> Again:
        """A refusal for a spent limit: the gate closes (the forge's hook: it waits, not the loop), and the
        policy says when to stop asking (a count of its own: the policy's ``busy_retries``)."""

        def wait_at_gate(retry: Retry) -> float:
            if not retry.give_up:
                self._block_for_limit(headers, retry.attempt)
                self.counts.retries += 1
            return 0.0

        def spent(_stop: GaveUp) -> SourceError:
            return self._rate_limit_error(f"{self.forge} kept answering that the rate limit is exceeded")

        return Again("rate limited", kind="limited", retries=self.policy.busy_retries, then=wait_at_gate,
                     cause=spent)  # fmt: skip

    def _breaker_reason(self) -> str:
        assert self.breaker is not None
        return self.breaker.reason

    def _retrying(self, what: str) -> Callable[[Retry], float]:
        """The hook of a retried failure: it says so, counts it, and the loop waits what the policy decided."""

        def retrying(retry: Retry) -> float:
            if not retry.give_up:
                self._log.info("retrying after %s in %.2fs", what, retry.wait)
                self.counts.retries += 1
            return retry.wait

        return retrying

    # rate limits (hooks: a forge says how it tells a spent limit) ------------------------------------

    def headers(self) -> dict[str, str]:
        """What every request carries: who asks, and the token in one header (never in a URL)."""
        return {"User-Agent": f"dailydiff/{__version__}", "Accept": self.json_media}

    def _rate_limited(self, status: int, headers: httpx2.Headers, message: str) -> bool:
        """Whether an answer says a rate limit is spent (429, by default)."""
        return status == 429

    def _note_rate_limit(self, headers: httpx2.Headers) -> None:
        """Every answer: what it says of the limit (a forge keeps its remaining count here)."""

    def _block_for_limit(self, headers: httpx2.Headers, attempt: int) -> None:
        """A refusal for a spent limit closes the gate: for ``Retry-After``, else a minute doubling."""
        now = time.time()
        retry_after = retry_after_seconds(headers, now)
        if retry_after is not None:
            self._close_gate(now + retry_after, "secondary")
            self._log.warning("%s rate limit: waiting %.0fs (retry-after)", self.forge, retry_after)
        else:
            self._close_gate(now + 60.0 * 2 ** (attempt - 1), "secondary")

    def _count_limit(self, headers: httpx2.Headers, prefix: str) -> None:
        """What the rate limit's headers (``prefix``: ``x-ratelimit-`` GitHub's, ``ratelimit-`` GitLab's)
        say is left, into the counts."""
        remaining = headers.get(f"{prefix}remaining", "")
        if remaining.isdigit():
            self.counts.remaining = int(remaining)
            limit, reset = headers.get(f"{prefix}limit", ""), headers.get(f"{prefix}reset", "")
            self.counts.limit = int(limit) if limit.isdigit() else 0
            self.counts.reset_at = float(reset) if reset.isdigit() else 0.0

    def _close_gate(self, until: float, reason: str) -> None:
        if until > self._blocked_until:
            self._blocked_until = until
            self._block_reason = reason

    async def _wait_for_gate(self) -> None:
        while True:
            wait = self._blocked_until - time.time()
            if wait <= 0:
                return
            if not self.policy.waits_for(wait):
                raise self._rate_limit_error("")
            self._log.warning("%s %s rate limit: waiting %.1fs", self.forge, self._block_reason, wait)
            self.counts.waited_seconds += wait
            await self.sleep(wait)

    _token_advice: ClassVar[str] = ""  # how to raise the limit, said after a spent one

    def _rate_limit_error(self, detail: str) -> RateLimitError:
        until = dt.datetime.fromtimestamp(max(self._blocked_until, time.time()), dt.UTC)
        minutes = max(1, round((until.timestamp() - time.time()) / 60))
        kind = "secondary rate limit" if self._block_reason == "secondary" else "rate limit"
        return RateLimitError(
            detail
            or f"the {self.forge} API {kind} is spent until {until:%Y-%m-%d %H:%M} UTC (in about {minutes} min), "
            f"longer than [{self.section}] max_retry_after ({self.policy.max_retry_after:.0f}s)",
            f"run the same command again after {until:%H:%M} UTC; what was fetched is stored and not requested "
            f"again{self._token_advice}",
        )

    # errors ----------------------------------------------------------------------------------------

    def _status_error(self, status: int, response: ApiResponse, url: str) -> SourceError:
        return SourceError(
            f"{self.forge} answered {status} {api_message(response)} for {url_path(url)}", "run again later"
        )

    def _check_origin(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            # Never send the token to another host, whatever a Link header says.
            raise SourceError(
                f"the {self.forge} API pointed to another host ({parts.netloc})",
                f"check [{self.section}] api_url",
            )

    def _problem(self, response: ApiResponse, accept: str, check: Check | None) -> str | None:
        """What is wrong with a 200 answer, or None when it is what was asked for."""
        return problem_of(response, accept == self.json_media, check, self._origin)


def url_path(url: str) -> str:
    return urlsplit(url).path


def api_message(response: ApiResponse) -> str:
    """The API's error message, made safe for a one-line error (untrusted text)."""
    try:
        data = json.loads(response.body)
        text = str(data.get("message") or data.get("error") or "") if isinstance(data, dict) else ""
    except (ValueError, UnicodeDecodeError):
        text = ""
    return _CONTROL_RE.sub(" ", scrub(text)).strip()[:200]  # scrubbed before it is cut


def problem_of(
    response: ApiResponse, is_json: bool, check: Check | None, origin: tuple[str, str]
) -> str | None:
    """What is wrong with a 200 answer, or None when it is what was asked for."""
    if "html" in response.headers.get("content-type", "").lower():
        return "an HTML page instead of data"
    for url, _ in _LINK_RE.findall(response.headers.get("link", "")):
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != origin:
            return f"a link to another host ({parts.netloc or 'none'})"
    if is_json:
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


def token_from(token_env: str, defaults: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    """A forge's token: from the variable ``token_env`` names, else the first of ``defaults`` that is set."""
    for name in (token_env,) if token_env else defaults:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None
