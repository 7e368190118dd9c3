"""One model request with the retry policy, and what it cost: the LLM analyser's send loop.

``Caller.call`` sends one completion through the run's client and concurrency limit, each request an attempt
of the one send loop (``HttpPolicy.asend``: the policy counts and decides the retries), and decides what each
failure means (analysis/llm.py's module docstring has the whole policy): a 429 lowers the limit and waits
its Retry-After; a timeout or a dropped stream with others in flight is overload (the limit comes down,
the request goes again); 5xx, lost connections and a timeout alone back off and count for the breaker;
a refused key or an unknown model is fatal for the run. Every request is added to the commit's
``Attempts``; one the server worked on counts against ``MAX_REQUESTS_PER_COMMIT``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.limits import AdaptiveLimit, Ticket
from dailydiff.analysis.prompting import PromptBook
from dailydiff.common.holding import check_held
from dailydiff.common.http import Again, GaveUp, HttpPolicy, Retry, Try
from dailydiff.errors import EndpointRefused
from dailydiff.models import Level, Usage
from dailydiff.settings import LLMSettings, ModelProfile
from dailydiff.store import Store

log = logging.getLogger("dailydiff.llm")

# A commit's answered requests, escalation included: the first answer, a re-ask (its shape) or a repair (its
# claims), a deeper answer, and its repair.
MAX_REQUESTS_PER_COMMIT = 4
OVERLOAD_RETRIES = 6  # a request timed out under load goes again this many times at most
FIRST = float("-inf")  # the priority of what the day waits on (escalations, the overview)


class Fatal(Exception):
    """An error that makes every further call pointless (a refused key, an unknown model)."""

    def __init__(self, error: LLMCallError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class CallStats:
    """What the endpoint did to us during one run (for the run summary and the benchmark)."""

    requests: int = 0
    retried: int = 0
    peak_limit: int = 0
    limit_decreases: int = 0
    overloads: int = 0  # timeouts while the server was loaded: the limit came down, the request went again
    dropped: int = 0  # streams the server ended unfinished for our next request: capped below, went again
    loops: int = 0  # answers stopped in the stream because they repeated themselves
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class Attempts:
    """One commit's requests: ``answered`` (those the server worked on) counts against
    MAX_REQUESTS_PER_COMMIT, ``usage`` adds up."""

    answered: int = 0
    usage: Usage = field(default_factory=Usage)
    priority: float = 0.0  # for the limit: lower gets a slot first

    @property
    def left(self) -> int:
        return MAX_REQUESTS_PER_COMMIT - self.answered


@dataclass
class _Tries:
    """One call's own counts (the one send loop counts each kind's failures): overloads so far; when the
    last request went."""

    overloads: int = 0
    started: float = 0.0


class AnalyzerState(Protocol):
    """What a session reads and keeps on the run's analyser (analysis/llm.py's ``LLMAnalyzer``): what the
    endpoint is, the run's figures, and the prompts."""

    name: str
    endpoint: str
    settings: LLMSettings
    policy: HttpPolicy
    profile: ModelProfile
    prompts: PromptBook
    grounding: str  # [analysis] grounding: "repair", "mark" or "off"
    stats: CallStats
    store: Store | None
    breaker: Any
    mode: str | None
    mode_source: str
    context_window: int
    context_source: str
    streams: bool | None
    prepared: bool
    refused: LLMCallError | None
    slots: int | None
    answered: dict[tuple[str, str], int]

    def learn(self, *, mode: str | None = None, context_window: int | None = None,
              streams: bool | None = None, source: str = "") -> None: ...  # fmt: skip

    def first_token_within(self, prompt_tokens: int, *, unmeasured: bool = False) -> float: ...

    def saw_prompt(self, reply: Reply) -> None: ...

    def allowance(self, depth: Level) -> int: ...

    def fingerprint(self, depth: Level, language: str) -> str: ...

    def _fatal_error(self, error: LLMCallError) -> EndpointRefused: ...


def price(profile: ModelProfile, prompt_tokens: int, completion_tokens: int, cached_tokens: int | None = None,
          *, at: dt.datetime | None = None, model_version: str = "") -> Usage:  # fmt: skip
    """What one answer cost as the provider bills it: its cached prompt tokens at the cached price, at the
    prices of the time of day it was asked at (``[[llm.models."…".windows]]``)."""
    input_price, output_price, cached_price = profile.rates(at or dt.datetime.now(dt.UTC))
    hit = min(cached_tokens or 0, prompt_tokens)
    cost = ((prompt_tokens - hit) * input_price + hit * cached_price + completion_tokens * output_price) / 1e6
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=round(cost, 6),
                 cached_tokens=cached_tokens, model_version=model_version)  # fmt: skip


class Caller:
    """The send loop of a session (``_Session`` in analysis/llm_session.py provides these)."""

    analyzer: AnalyzerState
    settings: LLMSettings
    policy: HttpPolicy
    profile: ModelProfile
    client: ChatClient
    limit: AdaptiveLimit
    breaker: Any

    def negotiating(self) -> bool:
        return False

    async def call(
        self,
        messages: list[dict[str, str]],
        fmt: dict[str, Any] | None,
        max_tokens: int,
        attempts: Attempts | None = None,
        *,
        estimate: int = 0,
        temperature: float | None = None,
        penalty: float = 0.0,
        slot: Ticket | None = None,
    ) -> Reply:
        """One completion with the retry policy: 429 → shrink and wait for Retry-After; a timeout while
        the server is loaded → shrink and try again (overload, not failure); 5xx, lost connections and a
        timeout at the lowest limit → jittered exponential backoff, and the breaker counts them;
        auth/not-found → fatal; anything else (a loop included) → raise. Every request is added to
        ``attempts``; one the server worked on (answered, timed out or cut off; not a transport fault, not
        a 429) is counted against the commit's cap, and none goes out past it; ``attempts.priority`` orders
        the wait for a slot (``slot``: one the caller already holds, for the first attempt)."""
        attempts = attempts if attempts is not None else Attempts()
        tries, held = _Tries(), [slot]

        async def once(_attempt: Try) -> Reply:  # one attempt of the one send loop (HttpPolicy.asend)
            slot, held[0] = held[0], None
            if self.breaker.opened:
                if slot is not None:
                    self.limit.release(slot)
                raise LLMCallError("unavailable", self.breaker.reason)
            ticket = slot if slot is not None else await self.limit.acquire(attempts.priority)
            try:
                if self.breaker.opened:  # (opened while this waited for its slot)
                    raise LLMCallError("unavailable", self.breaker.reason)
                check_held()  # a shared plan's unit taken over meanwhile: not one more request for it
                self.analyzer.stats.requests += 1
                attempts.usage = attempts.usage + Usage(requests=1)
                tries.started = self.breaker.now()
                if self.analyzer.streams is False:
                    self.client.stream = False  # it answers whole anyway: one total deadline, not three
                reply = await self.client.complete(
                    messages, fmt, max_tokens, temperature=temperature, penalty=penalty,
                    first_token_within=self.analyzer.first_token_within(estimate, unmeasured=self.negotiating()),
                )  # fmt: skip
                self.noticed_whole()
            except LLMCallError as error:
                raise self._after_error(error, ticket, attempts, tries) from None
            except BaseException:
                self.limit.release(ticket)
                raise
            return self._answered(reply, ticket, attempts, estimate)

        try:
            return await self.policy.asend(once)
        except GaveUp as stop:
            if stop.why == "breaker":
                raise LLMCallError("unavailable", self.breaker.reason) from None
            assert stop.again is not None
            raise stop.again.cause from None

    def noticed_whole(self) -> None:
        """The endpoint answered a streamed request with one JSON body: its requests go unstreamed now."""
        if self.client.answers_whole and self.analyzer.streams is not False:
            log.warning("%s answers a streamed request with one JSON body (it ignores `stream`): "
                        "taken as it is, and its requests go unstreamed from now on (remembered; "
                        "[llm] stream = false says so in the config)", self.analyzer.endpoint)  # fmt: skip
            self.analyzer.learn(streams=False)

    def _answered(self, reply: Reply, ticket: Ticket, attempts: Attempts, estimate: int) -> Reply:
        self.limit.release(ticket, first_token=reply.first_token, work=reply.prompt_work)
        self.analyzer.saw_prompt(reply)
        self.breaker.success()
        attempts.answered += 1
        attempts.usage = attempts.usage + price(self.profile, reply.prompt_tokens, reply.completion_tokens,
                                                reply.cached_tokens, model_version=reply.model_version)  # fmt: skip
        if reply.prompt_tokens and estimate:
            attempts.usage = attempts.usage + Usage(estimated_prompt_tokens=estimate)
        return reply

    def _retried(self, retry: Retry) -> float:
        """The one send loop's decision told: a retry counted (not a give-up), its wait slept."""
        self.analyzer.stats.retried += not retry.give_up
        return retry.wait

    def _after_error(self, error: LLMCallError, ticket: Ticket, attempts: Attempts, tries: _Tries) -> Again:
        """What a failed request means: an ``Again`` for the one send loop (HttpPolicy.asend) to decide on,
        or the error raised (the ticket is given back either way)."""
        stats = self.analyzer.stats
        if error.kind == "unavailable":
            self.limit.release(ticket)
            raise error
        stats.errors[error.kind] = stats.errors.get(error.kind, 0) + 1
        if error.kind in ("auth", "not_found"):
            self.limit.release(ticket)
            raise Fatal(error) from None
        if error.kind == "rate_limited":
            return self._rate_limited(error, ticket)
        if error.kind in ("interrupted", "timeout"):
            again = self._lost(error, ticket, attempts, tries)
            if again is not None:
                return again
        else:
            self.limit.release(ticket)
        if not error.retryable:
            self.breaker.success()  # it answered
            attempts.answered += 1
            if error.kind == "loop":
                attempts.usage = attempts.usage + price(
                    self.profile, error.prompt_tokens, error.tokens, error.cached_tokens
                )
            raise error
        if self.breaker.failure(f"{error.kind}: {error}", tries.started, timed_out=error.kind == "timeout"):
            log.warning("%s", self.breaker.reason)
        if attempts.left <= 0 and not self.breaker.opened:  # (the commit's own cap of requests)
            raise error
        return Again(str(error), asked=error.retry_after, breaker=self.breaker, then=self._retried,
                     cause=error)  # fmt: skip

    def _rate_limited(self, error: LLMCallError, ticket: Ticket) -> Again:
        """A 429: alive, only busy. The policy decides (its own count for 429s, a back-off one step
        longer); the limiter, this endpoint's hook, pauses the others for the wait."""
        self.breaker.success()

        def pause_others(retry: Retry) -> float:
            # Alone, every new request waits out the pause (this one with them), else only this one waits.
            crowd = self.limit.rate_limited(ticket, retry.wait)
            wait = self._retried(retry)
            return wait if crowd else 0.0

        return Again(str(error), asked=error.retry_after, kind="rate_limited", cause=error,
                     retries=self.policy.busy_retries, step=lambda hits: min(hits, 6) + 1,
                     then=pause_others)  # fmt: skip

    def _lost(self, error: LLMCallError, ticket: Ticket, attempts: Attempts, tries: _Tries) -> Again | None:
        """A timeout or a stream that ended early: the server worked on it and the answer is lost. It counts
        against the commit's cap, and goes again only within it (an ``Again``: at once, as overload). A
        partial answer is raised for the caller's "cut off" path; None: a transport fault for the breaker."""
        stats = self.analyzer.stats
        attempts.answered += 1
        interrupted = error.kind == "interrupted"
        loaded = self.limit.interrupted(ticket) if interrupted else self.limit.timed_out(ticket)
        if loaded:
            # The server is queueing (or drops a stream for the next request): fewer in flight.
            tries.overloads += 1
            if interrupted:
                stats.dropped += 1
            else:
                stats.overloads += 1
            log.info("%s: %s with others in flight; the limit is %d now and the request goes again",
                     self.analyzer.endpoint, error, int(self.limit.limit))  # fmt: skip
            if attempts.left <= 0:
                raise error  # overload, not the endpoint's failure: the breaker is left alone
            if tries.overloads <= OVERLOAD_RETRIES:  # again at once: the server's load, not a failure
                return Again(str(error), asked=0.0, kind="overload", retries=OVERLOAD_RETRIES,
                             then=self._retried, cause=error)  # fmt: skip
        if interrupted:
            # The endpoint answered, in part: the caller's "cut off" path, not an outage (no transport
            # retry, nothing counted against the endpoint).
            self.breaker.success()
            if error.tokens:
                attempts.usage = attempts.usage + price(
                    self.profile, error.prompt_tokens, error.tokens, error.cached_tokens
                )
            raise error
        return None
