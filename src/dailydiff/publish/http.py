"""The publishers' HTTP client (blocking, httpx2) under the one outbound policy (common/http.py
``HttpPolicy``, from the entry: ``timeout``, ``retries``, ``backoff``, ``max_retry_after``, ``deadline``):
retries on 429, 5xx and connection errors, and on a spent rate limit where the service has its own way of
saying one (a hook: GitHub's 403, forges/github.py ``rate_limited``), after ``Retry-After`` (seconds or an
HTTP date) or the limit's reset where the service says, else the policy's jittered back-off, all within one total
deadline per delivery (httpx's timeouts are per read, so a server that drips a byte a second would otherwise
hold a delivery for ever). A status line that says the receiver accepted the request (2xx) ends its retries,
whatever its body does next: a receiver that sends ``200`` and then drips or drops the body has the message,
and sending it again would be a second message (the answer carries a note, ``cut_off``). Errors name the host
only: webhook URLs carry their secret in the path or query."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from dailydiff.common.http import (
    RETRY_STATUSES,
    Again,
    Deadline,
    GaveUp,
    HttpPolicy,
    Try,
    Watchdog,
    rate_limit_reset_seconds,
    retry_after_seconds,
)
from dailydiff.errors import PublishError
from dailydiff.publish.base import describe_url
from dailydiff.settings.publishers import EntryBase

USER_AGENT = "dailydiff"


RateLimited = Callable[[int, Mapping[str, str]], bool]  # whether an answer says a rate limit is spent
Look = Callable[[], Any]  # what an earlier attempt of a create made (its JSON), or None: not made


def no_rate_limit(status: int, headers: Mapping[str, str]) -> bool:
    return False


def wait_asked(response: httpx2.Response, now: float | None = None, *, limited: bool = False) -> float | None:
    """How long the service asks us to wait: ``Retry-After``, or (``limited``: it said a rate limit is spent)
    until the limit resets (``x-ratelimit-reset``)."""
    asked = retry_after_seconds(response.headers, now)
    if asked is None and limited:
        asked = rate_limit_reset_seconds(response.headers, now)
    return asked


CUT_OFF = "dailydiff_cut_off"  # the response extension that says why an accepted answer's body is missing


def cut_off(response: httpx2.Response) -> str:
    """Why the body of an accepted answer did not arrive ('' when it did): the receiver's status line said
    it accepted the request, so it is not sent again; only what its body would have said is unknown."""
    return str(response.extensions.get(CUT_OFF, ""))


class Http:
    """One client per delivery; ``request`` returns the final response (any status) or raises
    PublishError when the server could not be reached, kept failing or the delivery's deadline passed."""

    def __init__(self, entry: EntryBase, *, sleep: Callable[[float], None] = time.sleep,
                 policy: HttpPolicy | None = None, rate_limited: RateLimited = no_rate_limit) -> None:  # fmt: skip
        self.entry = entry
        self.rate_limited = rate_limited  # the service's own way of saying a limit is spent, if any
        self.sleep = sleep
        self.policy = policy or entry.policy()
        self.deadline = Deadline(self.policy.deadline)
        # No keep-alive: each request's own connection is what the deadline's watchdog can cut.
        self.client = self.policy.client(headers={"User-Agent": USER_AGENT},
                                         limits=httpx2.Limits(max_keepalive_connections=0))  # fmt: skip

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def request(self, method: str, url: str, *, look: Look | None = None, **kwargs: Any) -> httpx2.Response:
        """``look``: for a request that creates something (a POST), how to find what an earlier attempt may have
        made (a receiver that made it and then answered 5xx, or answered after the timeout): asked before each
        attempt after the first, and what it finds is the answer. A create is never sent blindly twice."""
        where = describe_url(url)
        policy = self.policy

        def once(attempt: Try) -> httpx2.Response:
            if look is not None and attempt.number > 1:
                found = look()
                if found is not None:
                    return httpx2.Response(200, json=found, request=httpx2.Request(method, url))
            # `timeout` bounds the whole request (connect, send and every read), not each read: a receiver
            # that drips a byte a second is cut off at it, and the delivery at its deadline.
            try:
                request = self.client.build_request(method, url, timeout=attempt.seconds,
                                                    extensions=attempt.extensions, **kwargs)  # fmt: skip
                response = self._exchange(request, attempt.watchdog, where)
            except (httpx2.InvalidURL, ValueError):  # the message would quote the URL, and its secret
                raise PublishError(f"the URL for {where} is not a valid http(s) URL",
                                   "check the URL in its environment variable") from None  # fmt: skip
            except (httpx2.TimeoutException, httpx2.TransportError) as exc:
                timed_out = isinstance(exc, httpx2.TimeoutException) or attempt.watchdog.fired
                raise Again(f"{where} timed out after {attempt.seconds:g}s" if timed_out
                            else f"cannot reach {where} ({type(exc).__name__})") from None  # fmt: skip
            limited = self.rate_limited(response.status_code, response.headers)
            if response.status_code in RETRY_STATUSES or limited:
                raise Again(f"{where} answered HTTP {response.status_code}",
                            asked=wait_asked(response, limited=limited))  # fmt: skip
            return response

        try:
            return policy.send(once, self.deadline, sleep=self.sleep)
        except GaveUp as stop:
            if stop.why == "spent":
                problem = f"{where}: no answer within the deadline of {policy.deadline:g}s"
            elif stop.why == "retry_after":
                raise PublishError(
                    f"{stop.problem} and asks to wait {stop.asked or 0:.0f}s (more than max_retry_after)",
                    "try again later",
                ) from None
            else:
                problem = stop.problem
            attempts = max(1, stop.attempts)
            raise PublishError(
                f"{problem} (after {attempts} attempt{'s' if attempts > 1 else ''})",
                "check that the service is up and the URL is right; the other publishers were not affected",
            ) from None

    def _exchange(self, request: httpx2.Request, watchdog: Watchdog, where: str) -> httpx2.Response:
        """Send ``request`` and read its answer. An answer whose status line says the request was accepted
        (2xx) is the request's outcome even when its body then stalls or breaks off: it comes back without
        its body, with the reason (``cut_off``), and is not tried again."""
        response = self.client.send(request, stream=True)
        try:
            response.read()
        except (httpx2.TimeoutException, httpx2.TransportError) as exc:
            if not response.is_success:
                raise
            timed_out = isinstance(exc, httpx2.TimeoutException) or watchdog.fired
            why = "stalled" if timed_out else f"broke off ({type(exc).__name__})"
            note = f"{where} accepted it (HTTP {response.status_code}) but its answer's body {why}"
            return httpx2.Response(response.status_code, request=request, extensions={CUT_OFF: note})
        finally:
            response.close()
        return response
