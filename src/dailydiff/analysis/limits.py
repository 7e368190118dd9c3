"""Concurrency and retry policy for the model endpoint: a limit found by measurement, and jittered backoff.

A laptop's model server (llama.cpp, Ollama, one GPU behind vLLM) does not answer 429 when it is full: it
queues, and answers 200, only later. So the limit watches latency as well as refusals, as a Vegas-style
limiter does (Netflix's concurrency-limits):

- Each answered request gives a sample: the time to its first token (the wait in the server's queue plus
  the prompt's evaluation) and, when the server says it (llama.cpp's ``timings``), how much of that was
  work. The server's queue is what is left: the first token minus the work, or, where the server does not
  say, minus the floor (the least first-token time of the recent samples).
- No queue (a sample near its floor) while the limit is in use: the limit grows, by one per sample at
  first (a slow start that doubles it every round), by one per round after the first decrease.
- A queue (first tokens well above the work or the floor, smoothed over the last few samples so one
  late answer is not taken for one): the limit comes down by a fifth, at most once per round (only a request started after the last decrease can decrease it again).
- A 429 halves it and pauses new requests until the ``Retry-After`` moment; a request that timed out
  while others were in flight is overload, not failure: it halves the limit too (the caller tries again).
  Only a timeout at the lowest limit, alone in flight, is the endpoint's failure.

The limit starts, and stays at most, where the server says how many requests it works on at once
(llama.cpp ``/props`` ``total_slots``), else starts at the configured concurrency, else at ``DEFAULT_START``; it never exceeds the
configured concurrency (``concurrency = 0``: ``CEILING``). Slots are granted by priority (lowest value
first, in arrival order among equals): the engine's most likely escalations go first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_START = 4
CEILING = 64
FLOOR_SAMPLES = 24  # the floor is the least first-token time of this many recent samples
QUEUED_RATIO = 1.5  # a first token this many times the work (or the floor) is a queue…
QUEUED_SLACK = 0.05  # …and at least this many seconds above it (scheduling noise is no queue)
DECREASE = 0.8
SMOOTHING = 0.3  # weight of the newest sample in the smoothed first-token ratio


@dataclass
class Ticket:
    """One granted slot: when and in which round it started, and how many were in flight with it."""

    started: float
    generation: int
    in_flight: int
    limit: int


class AdaptiveLimit:
    def __init__(
        self, maximum: int = 0, *, start: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.maximum = maximum if maximum > 0 else CEILING
        first = start if start and start > 0 else (maximum if maximum > 0 else DEFAULT_START)
        self.limit = float(min(self.maximum, max(1, first)))
        self.minimum = 1
        self.active = 0
        self.generation = 0
        self.paused_until = 0.0
        self.decreases = 0
        self.increases = 0
        self.peak_active = 0
        self.peak_limit = int(self.limit)
        self.slow_start = True
        self._floor: deque[float] = deque(maxlen=FLOOR_SAMPLES)
        self._ratio = 1.0  # first token / baseline, smoothed
        self._clock = clock
        self._waiting: list[tuple[float, int, asyncio.Future[Ticket]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        # How busy the limit was kept: seconds × requests in flight, and seconds × the limit, over the time
        # there was work (requests in flight or waiting for a slot).
        self.in_flight_seconds = 0.0
        self.limit_seconds = 0.0
        self._accounted = clock()

    @property
    def kept_busy(self) -> float:
        """The requests in flight as a share of the limit, time-weighted while there was work (1.0: none)."""
        return self.in_flight_seconds / self.limit_seconds if self.limit_seconds > 0 else 1.0

    def _account(self) -> None:
        """Before any change: the time since the last one, weighted by what was in flight and the limit."""
        now = self._clock()
        span, self._accounted = now - self._accounted, now
        if self.active or self._waiting:
            self.in_flight_seconds += self.active * span
            self.limit_seconds += int(self.limit) * span

    # slots -------------------------------------------------------------------------------------

    def start_at(self, slots: int) -> None:
        """The server said how many requests it works on at once: start there and stay at or below it
        (more would only wait in its queue, and time out there; within the configured ceiling)."""
        if slots > 0:
            self._account()
            self.maximum = min(self.maximum, slots)
            self.limit = float(min(self.maximum, slots))
            self._dispatch()

    async def acquire(self, priority: float = 0.0) -> Ticket:
        """Wait for a slot (lower ``priority`` first); the ticket goes back to ``release``."""
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        self._account()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self._dispatch()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._give_back()  # granted just as the waiter was cancelled
            raise

    def _grant(self) -> Ticket:
        self._account()
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        return Ticket(self._clock(), self.generation, self.active, int(self.limit))

    def _dispatch(self) -> None:
        pause = self.paused_until - self._clock()
        if pause > 0:
            if self._timer is None and self._waiting:
                self._timer = asyncio.get_running_loop().call_later(pause, self._wake)
            return
        while self._waiting and self.active < int(self.limit):
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(self._grant())

    def _wake(self) -> None:
        self._timer = None
        self._dispatch()

    def _give_back(self) -> None:
        self._account()
        self.active -= 1
        self._dispatch()

    # what the server did -----------------------------------------------------------------------

    def release(self, ticket: Ticket, *, first_token: float | None = None, work: float | None = None) -> None:
        """The request answered (``first_token``: seconds from the request to its first token; ``work``:
        the part of it the server says it spent working) — or did not (no sample)."""
        busy = max(ticket.in_flight, self.active)  # in flight when it started or when it ended
        self._give_back()
        if first_token is None:
            return
        if work is not None and work > 0:
            baseline = work
        else:
            self._floor.append(first_token)
            baseline = min(self._floor)
        ratio = first_token / baseline if baseline > 0 else 1.0
        # One late sample is noise (a busy client, a long prompt); a queue makes them late one after
        # another: the decision is on the smoothed ratio.
        self._ratio += SMOOTHING * (ratio - self._ratio)
        queued = self._ratio > QUEUED_RATIO and first_token - baseline > QUEUED_SLACK
        if queued:
            self._decrease(ticket, DECREASE)
        elif ratio <= QUEUED_RATIO and busy * 2 >= int(self.limit) and self.limit < self.maximum:
            # Grow only while the limit is in use: an idle limit proves nothing about the server.
            step = 1.0 if self.slow_start else 1.0 / self.limit
            self.limit = min(float(self.maximum), self.limit + step)
            self.increases += 1
            self.peak_limit = max(self.peak_limit, int(self.limit))
        self._dispatch()

    def rate_limited(self, ticket: Ticket, retry_after: float | None) -> None:
        """A 429: halve (once per round) and pause until Retry-After."""
        self._decrease(ticket, 0.5)
        if retry_after is not None:
            self.paused_until = max(self.paused_until, self._clock() + min(retry_after, 120.0))
        self._give_back()

    def timed_out(self, ticket: Ticket) -> bool:
        """A request ran out of time. True when that is overload (others were in flight, or the limit can
        still come down): the limit is halved and the caller tries again. False: a failure at the lowest
        limit, alone in flight — the endpoint's, for the breaker."""
        overload = ticket.in_flight > self.minimum or ticket.limit > self.minimum
        if overload:
            self._decrease(ticket, 0.5)
        self._give_back()
        return overload

    def interrupted(self, ticket: Ticket) -> bool:
        """A streamed answer ended unfinished. True when others were in flight: the server works on fewer
        at once than that (llama-cpp-python's drops a stream when the next request comes in), so the
        limit is capped below it for the run and the caller tries again. False: the endpoint's failure."""
        crowded = ticket.in_flight > 1 or self.active > 1
        self._account()
        if crowded:
            self.maximum = max(self.minimum, min(self.maximum, max(ticket.in_flight, self.active) - 1))
            self.limit = min(self.limit, float(self.maximum))
            self.slow_start = False
        self._give_back()
        return crowded

    def _decrease(self, ticket: Ticket, factor: float) -> None:
        self._account()
        self.slow_start = False
        if ticket.generation >= self.generation:
            self.limit = max(float(self.minimum), self.limit * factor)
            self.generation += 1
            self.decreases += 1
