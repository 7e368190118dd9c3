"""The one outbound HTTP policy of dailydiff (``HttpPolicy``) and what it is made of: how long a server asks us
to wait, how long we wait on our own between retries (jittered exponential backoff), when a limit resets
(``x-ratelimit-*``), a total deadline for blocking clients, and when to stop asking a server that keeps failing.

Every outbound client takes one ``HttpPolicy`` (its settings section builds it: ``[github]``, ``[gitlab]``,
``[llm]``, a ``[[publish]]`` entry) and its HTTP transport from it (``HttpPolicy.async_client`` /
``HttpPolicy.client``): the forges' client (forges/base.py, with GitHub's and GitLab's rate-limit gates as
hooks; doctor's checks use it too), the LLM endpoint's (analysis/client.py, its retries in analysis/llm_call.py
with the adaptive limit as the hook) and the publishers' (publish/http.py, blocking, under a delivery's
deadline). The same policy gives each the same request timeout, retry count, back-off and ``Retry-After``
rule, and makes every retry decision of their loops (``HttpPolicy.after``: go again after how long, or
give up and why); the loops keep only their I/O, their kind's hooks and the wording of a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import asyncio
    import ssl

    import httpx2


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client verifies servers with (httpx2's default: certifi's roots, or
    SSL_CERT_FILE / SSL_CERT_DIR), built once per process. Building it parses the whole CA bundle, about
    30 ms of CPU: a client made per repository-day (GitHub) or per delivery paid that each time."""
    import httpx2

    return httpx2.create_ssl_context()


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI-style) or ``Retry-After`` (seconds or an HTTP
    date); None when the server did not say, or said something unreadable."""
    if headers is None:
        return None
    raw_ms = (headers.get("retry-after-ms") or "").strip()
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    import email.utils  # an HTTP date (rare): the e-mail package is not loaded for every command's settings

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def rate_limit_reset_seconds(
    headers: Mapping[str, str] | None, now: float | None = None, prefix: str = "x-ratelimit-"
) -> float | None:
    """Seconds until ``x-ratelimit-reset`` (epoch seconds) when ``x-ratelimit-remaining`` is 0: GitHub's
    headers, or GitLab's with ``prefix`` ``ratelimit-`` (``RateLimit-Reset``, ``RateLimit-Remaining``)."""
    if headers is None or (headers.get(f"{prefix}remaining") or "").strip() != "0":
        return None
    try:
        reset = float((headers.get(f"{prefix}reset") or "").strip())
    except ValueError:
        return None
    return max(0.0, reset - (now if now is not None else time.time()))


def backoff_delay(
    attempt: int, base: float, *, cap: float = math.inf, rng: random.Random | None = None
) -> float:
    """The one back-off of every client (forges, the LLM endpoint, publishers): the wait before retry
    number ``attempt`` (1-based) when the server did not say (``Retry-After`` wins where it did): ``base``
    doubled per retry, at most ``cap``, with equal jitter (between half and all of it)."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def retry_wait(attempt: int, base: float, asked: float | None = None, *, cap: float = math.inf) -> float:
    """The one retry policy's wait before retry number ``attempt``: what the server asked
    (``Retry-After``), else the jittered back-off."""
    return asked if asked is not None else backoff_delay(attempt, base, cap=cap)


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

GiveUp = Literal["", "breaker", "attempts", "retry_after", "deadline"]
T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """The one policy's answer after a failed attempt (``HttpPolicy.after``): go again after ``wait``
    seconds, or stop when ``give_up`` says why — ``breaker`` (the endpoint is left alone), ``attempts``
    (every retry spent), ``retry_after`` (the server asks to wait longer than the policy waits for) or
    ``deadline`` (the wait would outlast the work's deadline). ``asked`` is the server's ``Retry-After``.
    The loops that send (forges/base.py, analysis/llm_call.py, publish/http.py) only word it."""

    attempt: int
    wait: float
    give_up: GiveUp = ""
    asked: float | None = None


@dataclass(frozen=True)
class HttpPolicy:
    """How every outbound request of dailydiff is made, whoever makes it.

    ``timeout`` bounds one request in all (connect, send and every read: a server that drips its answer a
    byte at a time resets a per-read timeout for ever); ``connect_timeout`` and ``read_timeout`` bound each
    step within it. A request that failed for the server's or the network's sake (a lost connection, a
    timeout, 5xx) is retried ``retries`` times, each after what the server asked (``Retry-After``), else
    after the jittered back-off (``backoff`` doubled per retry, at most ``backoff_cap``); a server asking to
    wait longer than ``max_retry_after`` is not waited for; a client that counts "busy" answers (429) apart
    asks again ``rate_limit_retries`` times after them. ``deadline`` bounds a whole piece of work (a
    delivery: every request, retry and wait of it). ``breaker_threshold`` consecutive failures leave an
    endpoint alone for the rest of the run."""

    timeout: float
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    backoff_cap: float = math.inf
    max_retry_after: float = math.inf
    breaker_threshold: int = 5
    deadline: float = math.inf
    rate_limit_retries: int | None = (
        None  # retries of a "busy" answer (429) a kind counts apart; None: ``retries``
    )

    @property
    def busy_retries(self) -> int:
        """How often a kind that counts "busy" answers (429) apart asks again after one."""
        return self.retries if self.rate_limit_retries is None else self.rate_limit_retries

    def wait(self, attempt: int, asked: float | None = None) -> float:
        """The wait before retry number ``attempt`` (1-based): ``Retry-After`` when the server said, else
        the back-off."""
        return retry_wait(attempt, self.backoff, asked, cap=self.backoff_cap)

    def waits_for(self, asked: float | None) -> bool:
        """Whether a server's ``Retry-After`` is one this policy waits for."""
        return asked is None or asked <= self.max_retry_after

    def after(
        self,
        attempt: int,
        *,
        asked: float | None = None,
        left: float = math.inf,
        breaker: CircuitBreaker | None = None,
        retries: int | None = None,
        step: int | None = None,
    ) -> Retry:
        """The one retry decision of every outbound loop, after failed attempt number ``attempt``
        (1-based): give up when the endpoint's ``breaker`` is open, when ``attempt`` is past the retries
        (``retries``: a kind's own count for one kind of failure, e.g. the LLM's 429s; else the policy's),
        when the server asks (``asked``, its ``Retry-After``) longer than ``max_retry_after``, or when the
        wait would outlast what is ``left`` of the deadline; else wait ``wait(step or attempt, asked)``.
        The wait is given with a give-up too (the LLM's limiter pauses the others for it)."""
        wait = self.wait(attempt if step is None else step, asked)
        give_up: GiveUp = ""
        if breaker is not None and breaker.opened:
            give_up = "breaker"
        elif attempt > (self.retries if retries is None else retries):
            give_up = "attempts"
        elif not self.waits_for(asked):
            give_up = "retry_after"
        elif wait >= left:
            give_up = "deadline"
        return Retry(attempt, wait, give_up, asked)

    def timeouts(self) -> httpx2.Timeout:
        import httpx2

        read = min(self.read_timeout, self.timeout)
        return httpx2.Timeout(read, connect=min(self.connect_timeout, self.timeout))

    def breaker(self, endpoint: str) -> CircuitBreaker:
        return CircuitBreaker(endpoint, self.breaker_threshold)

    def async_client(self, *, tls: bool = True, **kwargs: Any) -> httpx2.AsyncClient:
        """The transport of an async client under this policy (TLS, timeouts); ``tls=False`` as ``client``'s."""
        import httpx2

        return httpx2.AsyncClient(timeout=self.timeouts(), verify=tls_context() if tls else False, **kwargs)

    def client(self, *, tls: bool = True, **kwargs: Any) -> httpx2.Client:
        """The transport of a blocking client under this policy (TLS, timeouts). ``tls=False``: a client of a
        plain ``http://`` endpoint only (a local model server; it follows no redirect), which reads no CA
        bundle: ``tls_context`` costs 30 ms of CPU, some 200 ms with a large bundle, of a one-call command."""
        import httpx2

        return httpx2.Client(timeout=self.timeouts(), verify=tls_context() if tls else False, **kwargs)

    def but(self, **changes: Any) -> HttpPolicy:
        return replace(self, **changes)

    def send(self, once: Callable[[Try], T], deadline: Deadline | None = None, *,
             sleep: Callable[[float], None] = time.sleep) -> T:  # fmt: skip
        """The one send loop, for blocking clients (publishers over HTTP, e-mail over SMTP): ``once`` makes
        one attempt within its ``Try`` (its time, its watchdog) and returns the outcome, or raises ``Again``
        for a failure the policy may retry (anything else ends the loop as it is). Attempts go on as
        ``after`` says (``Sending``: the same decisions as ``asend``'s), each after its wait, all within
        ``deadline`` (this policy's own, by default); when the policy stops, ``GaveUp`` says why."""
        sending = Sending(self, deadline)
        while True:
            attempt = sending.begin(watch=True)
            try:
                return once(attempt)
            except Again as again:
                wait = sending.failed(again)
            finally:
                attempt.watchdog.cancel()
            if wait > 0:
                sleep(wait)

    async def asend(self, once: Callable[[Try], Awaitable[T]], deadline: Deadline | None = None, *,
                    sleep: Callable[[float], Awaitable[None]] | None = None) -> T:  # fmt: skip
        """The one send loop, for async clients (the forges, the LLM endpoint): ``send`` with ``await``, the
        same ``Sending`` deciding between attempts. An attempt bounds its I/O with ``Try.within()`` (what is
        left of its time when the I/O starts: it may first wait for a slot or a rate-limit gate)."""
        import asyncio

        pause = sleep or asyncio.sleep
        sending = Sending(self, deadline)
        while True:
            attempt = sending.begin(watch=False)
            try:
                return await once(attempt)
            except Again as again:
                wait = sending.failed(again)
            if wait > 0:
                await pause(wait)


class Again(Exception):
    """An attempt that failed for the server's or the network's sake (a lost connection, a timeout, a 5xx or
    429, an SMTP 4xx): the one send loop decides whether it goes again. ``problem`` says what happened (its
    host only: no secret), ``asked`` is the server's ``Retry-After``. What the policy's decision
    (``HttpPolicy.after``) is given besides: ``kind``, the count this failure adds to (a forge's rate-limit
    refusals are counted apart from its failures), ``retries``, that count's own limit (else the policy's),
    ``step``, the back-off step for a count (else the count), and ``breaker``, the endpoint's. ``then`` is
    told the decision and returns the wait the loop sleeps (an LLM limiter that pauses the others instead
    returns 0); ``cause`` is for the caller, to word the failure when the policy gives up."""

    def __init__(self, problem: str, *, asked: float | None = None, kind: str = "failure",
                 retries: int | None = None, step: Callable[[int], int] | None = None,
                 breaker: CircuitBreaker | None = None, then: Callable[[Retry], float] | None = None,
                 cause: Any = None) -> None:  # fmt: skip
        super().__init__(problem)
        self.problem, self.asked, self.kind, self.retries = problem, asked, kind, retries
        self.step, self.breaker, self.then, self.cause = step, breaker, then, cause


class GaveUp(Exception):
    """The one send loop stopped trying: ``why`` is the policy's reason (``Retry.give_up``) or ``spent``
    (the deadline passed); ``problem`` is the last attempt's, after ``attempts`` of them; ``again`` the last
    failure itself and ``count`` its kind's count."""

    def __init__(self, problem: str, why: str, attempts: int, asked: float | None = None, *,
                 again: Again | None = None, count: int = 0) -> None:  # fmt: skip
        super().__init__(problem)
        self.problem, self.why, self.attempts, self.asked = problem, why, attempts, asked
        self.again, self.count = again, count


class Sending:
    """One run of the one send loop (``HttpPolicy.send`` and ``asend`` alike): its deadline, its attempts
    and each kind's count of failures, and every decision between two attempts."""

    def __init__(self, policy: HttpPolicy, deadline: Deadline | None = None) -> None:
        self.policy = policy
        self.deadline = deadline or Deadline(policy.deadline)
        self.number = 0
        self.counts: dict[str, int] = {}
        self.last: Again | None = None

    def begin(self, *, watch: bool) -> Try:
        """The next attempt, if the deadline leaves time for one; ``watch``: with a watchdog over its
        sockets (a blocking client's only way to stop a dripping read)."""
        left = self.deadline.left()
        if left <= 0:
            raise self._stop("spent", with_asked=False)
        self.number += 1
        extensions, watchdog = self.deadline.guard(self.policy.timeout) if watch else ({}, Watchdog([]))
        return Try(self.number, min(self.policy.timeout, left), extensions, watchdog, self.deadline,
                   self.policy.timeout)  # fmt: skip

    def failed(self, again: Again) -> float:
        """The policy's decision after a failed attempt: the wait before the next one, or ``GaveUp``."""
        self.last = again
        count = self.counts[again.kind] = self.counts.get(again.kind, 0) + 1
        left = self.deadline.left()
        if left <= 0:
            raise self._stop("spent")
        step = again.step(count) if again.step is not None else None
        retry = self.policy.after(count, asked=again.asked, left=left, breaker=again.breaker,
                                  retries=again.retries, step=step)  # fmt: skip
        wait = again.then(retry) if again.then is not None else retry.wait
        if retry.give_up:
            raise self._stop(retry.give_up)
        return wait

    def _stop(self, why: str, *, with_asked: bool = True) -> GaveUp:
        again = self.last
        stop = GaveUp(again.problem if again else "", why, self.number,
                      again.asked if again and with_asked else None, again=again,
                      count=self.counts.get(again.kind, 0) if again else 0)  # fmt: skip
        stop.__suppress_context__ = True  # the Again it follows is in ``again``, not in a traceback
        return stop


@dataclass(frozen=True)
class Try:
    """One attempt of the send loop: its number (1-based), its own time (the request's ``timeout``, or
    what is left of the deadline if less), and the watchdog that cuts its sockets at that time (a request
    records them through ``extensions``; a client of another protocol adds its socket to
    ``watchdog.sockets``). An async attempt bounds its I/O with ``within()`` instead."""

    number: int
    seconds: float
    extensions: dict[str, Any]
    watchdog: Watchdog
    deadline: Deadline | None = None
    limit: float = math.inf  # one request's own time (the policy's timeout)

    def within(self) -> asyncio.Timeout:
        """An async attempt's I/O bound, from the moment it starts: one request's time, or what is left of the
        deadline if less."""
        import asyncio

        left = self.deadline.left() if self.deadline is not None else math.inf
        return asyncio.timeout(max(0.0, min(self.limit, left)))


class Deadline:
    """The end of one piece of outbound work (a delivery, a check): requests get what is left of it, and a
    watchdog shuts a request's socket down when it runs out — the only way to stop a blocking read that
    keeps receiving a byte at a time (httpx's timeouts are per read). Async clients use
    ``asyncio.timeout`` for the same."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self.end = clock() + seconds

    def left(self) -> float:
        return self.end - self.clock()

    def guard(self, limit: float = math.inf) -> tuple[dict[str, Any], Watchdog]:
        """Request extensions that record the request's sockets, and the started watchdog over them: it
        cuts them when the deadline runs out, or after ``limit`` seconds (one request's own timeout, the
        whole request however slowly it drips) if that comes first."""
        sockets: list[socket.socket] = []

        def trace(event: str, info: dict[str, Any]) -> None:
            if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                sock = info["return_value"].get_extra_info("socket")
                if sock is not None:
                    sockets.append(sock)

        watchdog = Watchdog(sockets)
        watchdog.start(max(0.0, min(limit, self.left())))
        return {"trace": trace}, watchdog


class Watchdog:
    """Shuts a request's sockets down after a time unless cancelled first; ``fired`` says whether it did
    (the request failed for its time, not for the server)."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        self.sockets = sockets
        self.fired = False
        self._timer: threading.Timer | None = None

    def start(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class CircuitBreaker:
    """Counts consecutive failures of one endpoint (timeouts, lost connections, 5xx); once ``threshold``
    of them in a row are timeouts, or span at least ``min_span`` seconds (from the start of the first
    failed request, so a burst of 503s from one blip does not count), it opens and stays open for the rest
    of the run: no new request goes to a dead endpoint.

    Any answer that proves the endpoint alive (a success, a 4xx, a 429) resets the count.
    """

    def __init__(
        self,
        endpoint: str,
        threshold: int,
        *,
        min_span: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.threshold = max(1, threshold)
        self.min_span = min_span
        self.consecutive = 0
        self.last_failure = ""
        self.opened = False
        self._clock = clock
        self._streak_start: float | None = None
        self._timeouts = 0  # consecutive timeouts at the end of the streak

    @property
    def reason(self) -> str:
        return (
            f"{self.endpoint} was left alone for the rest of the run after {self.consecutive} consecutive "
            f"failures (last: {self.last_failure})"
        )

    def now(self) -> float:
        return self._clock()

    def success(self) -> None:
        if not self.opened:
            self.consecutive = self._timeouts = 0
            self._streak_start = None

    def failure(self, what: str, started: float | None = None, *, timed_out: bool = False) -> bool:
        """Record a failure of a request that started at ``started`` (``now()`` clock); True when this
        one opened the breaker. Timeouts need no span: each one already waited a whole deadline."""
        if self.opened:
            return False
        now = self._clock()
        began = now if started is None else started
        self._streak_start = began if self._streak_start is None else min(self._streak_start, began)
        self.consecutive += 1
        self.last_failure = what
        self._timeouts = self._timeouts + 1 if timed_out else 0
        spanned = now - self._streak_start >= self.min_span or self._timeouts >= self.threshold
        if self.consecutive >= self.threshold and spanned:
            self.opened = True
            return True
        return False

    def trip(self, what: str) -> bool:
        """Open at once (the endpoint did not answer even a trivial request); True if it was closed."""
        self.consecutive = max(self.consecutive + 1, self.threshold)
        self.last_failure = what
        opened, self.opened = not self.opened, True
        return opened
