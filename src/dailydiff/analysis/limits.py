"""Concurrency and retry policy for the model endpoint: a limit found by measurement, and jittered backoff.

A laptop's model server (llama.cpp, Ollama, one GPU behind vLLM) does not answer 429 when it is full: it
queues, and answers 200, only later. So the limit watches latency as well as refusals, as a Vegas-style
limiter does (Netflix's concurrency-limits):

- Each answered request gives a sample: the time to its first token (the wait in the server's queue plus
  the prompt's evaluation) and, when the server says it (llama.cpp's ``timings``), how much of that was
  work. The server's queue is what is left: the first token minus the work, or, where the server does not
  say, minus the floor (the least first-token time of the recent samples).
- No queue (a sample near its floor) while the limit is in use: the limit grows, by one per sample at
  first (a slow start that doubles it every round), by one per round after the first decrease. Past a
  ceiling an earlier run found (``known_ceiling``: a 429 refused more), it grows only while a round of work
  (the limit's worth) waits besides what is in flight: only then can one more shorten the run, and a
  refusal costs the refused request's ``Retry-After`` while the others keep the slots busy; on a run's last
  rounds the refused request would go again after everything else, and the run end a ``Retry-After`` late.
- A queue (first tokens well above the work or the floor, smoothed over the last few samples so one
  late answer is not taken for one): the limit comes down, at most once per round (only a request started
  after the last decrease can decrease it again), at once to what the queue says the server works on: the
  requests in flight over how late the recent answers came (the median of the last three: eight in flight
  answered at twice their work make four), by a fifth at least and a half at most (a fifth while the
  queue is under ``DEEP_QUEUE``: a loaded client's hiccups on a fast server say nothing more).
- A 429 while others of ours are still in flight says how many the server admits: the limit comes down at
  once to those still in flight (each further 429 of the crowd brings it lower), and once they are settled
  the number of them the server answered is a ceiling (none answered: a rate over time, not a crowd), as one
  an earlier run found: more is tried one a round, only with a round of work waiting, and only
  ``PROBE_ROUNDS`` rounds after the last refusal, twice as many after each refused try (up to
  ``PROBE_ROUNDS_MOST``), a round again once one more was answered. Not a cap for the run: the server's
  slots may be shared with other clients (the workers of a shared plan, each with a limit of its own), and
  what another holds now it gives back later. The refused request goes again after its ``Retry-After``
  (the others keep the slots busy meanwhile). A 429 with nothing else of
  ours in flight (a rate over time, not a crowd) halves the limit and pauses new requests until the
  ``Retry-After`` moment. A request that timed out while others were in flight is overload, not failure:
  it halves the limit too (the caller tries again). Only a timeout at the lowest limit, alone in flight,
  is the endpoint's failure.
- A run that starts knowing nothing of the endpoint's speed (no answer yet, none remembered) with at least
  ``REFERENCE_ROUNDS`` rounds of work waiting sends its first request alone: its answer is the unloaded
  latency the queue is measured against (a server slower under load answers every request of a full
  first wave equally late, and nothing else would show it). A shorter run does not pay that round: its
  first wave goes at once, the server's stated slots or ``DEFAULT_START`` wide.

- The workers of a shared plan share the endpoint, each with a limit of its own: a crowd's ceiling is a share
  of it. When the plan says the others hold no more units (``peers_left``: engine/shared.py), what they held
  is free. Where the workers said their shares, the limit takes its part of the crowd's slots (shared with
  the workers still holding units) at once, and that is the ceiling it probes past (with a round of work
  waiting, as above): doubling until a refusal overshoots by up to the limit, and on a night's last rounds
  the refused requests, sent again after their ``Retry-After``, are what the night waits for. Where nothing
  was said, the ceiling is forgotten for the run and the limit doubles a round again from where it is, until
  the next refusal (one more a round from a share of four would take a dozen rounds to fill sixteen). What
  the next run starts from stays the share found beside the others.

The limit starts where the last run at this endpoint and model left it (the analyser remembers it in the
store), else at the configured concurrency, else at ``DEFAULT_START`` (8: a provider's usual concurrency;
a one-slot laptop server queues the others, 200 only later, and the first-token deadline sees the queue —
no request of ours is lost to it); where the server says how many
requests it works on at once (llama.cpp ``/props`` ``total_slots``) it starts there and stays at most there.
It never exceeds the configured concurrency (``concurrency = 0``: ``CEILING``). Slots are granted by priority
(lowest value first, in arrival order among equals): the engine's most likely escalations go first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_START = 8  # nothing known of the endpoint: a provider's usual concurrency (see above)
CEILING = 64
FLOOR_SAMPLES = 24  # the floor is the least first-token time of this many recent samples
QUEUED_RATIO = 1.5  # a first token this many times the work (or the floor) is a queue…
QUEUED_SLACK = 0.05  # …and at least this many seconds above it (scheduling noise is no queue)
DECREASE = 0.8  # a queue brings the limit down by a fifth at least…
HALVE = 0.5  # …and by a half at most, a round
DEEP_QUEUE = 0.2  # seconds of queue (median of the last three) before it is taken at its word, not a fifth
SMOOTHING = 0.3  # weight of the newest sample in the smoothed first-token ratio
REFERENCE_ROUNDS = 3  # a first run with this many rounds of work waiting sends its first request alone
PROBE_ROUNDS = 1  # past a ceiling a 429 found this run, one more is tried this many rounds after the refusal…
PROBE_ROUNDS_MOST = 8  # …twice as many after each refused try, up to this many


@dataclass
class Ticket:
    """One granted slot: when and in which round it started, and how many were in flight with it."""

    started: float
    generation: int
    in_flight: int
    limit: int
    serial: int = 0


class AdaptiveLimit:
    def __init__(
        self,
        maximum: int = 0,
        *,
        start: int | None = None,
        latency: float | None = None,
        known_ceiling: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = maximum if maximum > 0 else CEILING
        self.configured = self.maximum  # what the user allows; ``maximum`` below it is the server's word
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
        self.initial = int(self.limit)  # where it started (the server's stated slots, once it says)
        # The most the server admitted at once where an earlier run found it (the limit starts there): more is
        # tried one a round, and only with a round of work waiting (see above).
        self.known_ceiling = known_ceiling if known_ceiling and known_ceiling > 0 else None
        self.slow_start = self.known_ceiling is None
        self.found: int | None = None  # the most a 429 showed the server admitting of ours, its latest word
        self._probe_rounds = PROBE_ROUNDS  # rounds after a refusal before one more is tried past ``found``
        self._probe_at = 0.0  # the clock's time from which one more may be tried past it
        self._found_serial = 0  # the last ticket granted when ``found`` was set
        self._unsettled: set[int] = set()  # serials of the tickets in flight
        self.fastest: float | None = None  # the least first-token time of the run (the endpoint's latency)
        self._floor: deque[float] = deque(maxlen=FLOOR_SAMPLES)
        # The unloaded latency is known (a remembered run's fastest first token) or has been measured: no
        # request need go alone for it.
        self.referenced = latency is not None and latency > 0
        if self.referenced:
            self._floor.append(float(latency or 0.0))
        self._ratio = 1.0  # first token / baseline, smoothed
        self._ratios: deque[float] = deque(maxlen=3)  # the last few, unsmoothed
        self._queues: deque[float] = deque(maxlen=3)  # their seconds over the baseline
        self._clock = clock
        self._waiting: list[tuple[float, int, asyncio.Future[Ticket]]] = []
        self._order = itertools.count()
        self._serials = itertools.count(1)
        self._issued = 0  # the last serial granted
        # Each crowd a 429 was refused above: the serials of ours in flight then, still unsettled, and how
        # many of them the server answered. Settled, the answered ones are what it admits (none: a rate
        # over time refused them all, and says nothing about a crowd).
        # (Whether the refused request was a try past the last ceiling is kept beside: a refused try waits
        # twice as many rounds for the next.)
        self._crowds: list[tuple[set[int], list[int], bool]] = []
        self._shared: tuple[int, int | None] | None = None  # (proven, ceiling) when the other clients left
        self._timer: asyncio.TimerHandle | None = None
        self._soon: asyncio.Handle | None = None
        # How busy the limit was kept: seconds × requests in flight, and seconds × the limit, over the time
        # there was work (requests in flight or waiting for a slot).
        self.in_flight_seconds = 0.0
        self.limit_seconds = 0.0
        self._accounted = clock()

    @property
    def ceiling(self) -> int | None:
        """The most the server was found to admit at once this run (its stated slots, a crowd a 429 refused
        above, a stream dropped for the next request), or None."""
        found = [int(self.maximum)] if self.maximum < self.configured else []
        found += [self.found] if self.found is not None else []
        return min(found) if found else None

    @property
    def proven(self) -> int:
        """The limit as far as this run bore it out: where it is, at most the most requests in flight at
        once (or where it started): a limit grown on a few answers is not taken for the server's."""
        return max(1, min(int(self.limit), max(self.initial, self.peak_active)))

    def to_remember(self) -> tuple[int, int | None]:
        """Where the next run starts (``proven``) and the ceiling it keeps to: the share found beside the
        other clients when they left during the run, not what this one had alone after them."""
        return self._shared if self._shared is not None else (self.proven, self.ceiling)

    def peers_left(self, freed: int | None = None) -> None:
        """Other clients of the endpoint (the workers of a shared plan) stopped: the slots they held are free,
        ``freed`` of them where they said. The limit takes those on top of its share, a ceiling probed past
        only with a round of work waiting; not said, the crowd's ceiling is forgotten for this run and the
        limit doubles a round from where it is until the next refusal settles it again (see above)."""
        if freed is None and self.found is None and self.known_ceiling is None:
            return  # no ceiling holds the limit back: it grows as it would
        self._account()
        if self._shared is None:
            self._shared = (self.proven, self.ceiling)
        self._crowds.clear()  # refused beside the others: they say nothing of the endpoint without them
        self._probe_rounds = PROBE_ROUNDS
        self._probe_at = 0.0
        if freed is not None:
            self.limit = float(min(self.maximum, int(self.limit) + freed))
            self.found = self.known_ceiling = int(self.limit)
            self._found_serial = self._issued
            self.slow_start = False
            self.peak_limit = max(self.peak_limit, int(self.limit))
        else:
            self.found = self.known_ceiling = None
            self.slow_start = True
        self._dispatch()

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
            if not self.peak_active:  # said before any request: the limit never was higher in use
                self.peak_limit = self.initial = int(self.limit)
            self._dispatch()

    async def acquire(self, priority: float = 0.0) -> Ticket:
        """Wait for a slot (lower ``priority`` first); the ticket goes back to ``release``."""
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        self._account()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        if self.referenced or not self.active:
            self._dispatch()
        elif self._soon is None:
            # The first request is out and nothing is measured yet: the requests that arrive together are
            # counted together (the backlog that decides whether the first goes alone), a tick later.
            self._soon = asyncio.get_running_loop().call_soon(self._dispatch_soon)
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._give_back(future.result())  # granted just as the waiter was cancelled
            raise

    def _grant(self) -> Ticket:
        self._account()
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        serial = self._issued = next(self._serials)
        self._unsettled.add(serial)
        return Ticket(self._clock(), self.generation, self.active, int(self.limit), serial)

    def _dispatch(self) -> None:
        pause = self.paused_until - self._clock()
        if pause > 0:
            if self._timer is None and self._waiting:
                self._timer = asyncio.get_running_loop().call_later(pause, self._wake)
            return
        while self._waiting and self.active < int(self.limit) and not self._alone():
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(self._grant())

    def _alone(self) -> bool:
        """The first request of a run that knows nothing of the endpoint's speed goes alone while at least
        ``REFERENCE_ROUNDS`` rounds of work wait (its answer is the reference the queue is measured against)."""
        if self.referenced or not self.active:
            return False
        return self.active + len(self._waiting) >= REFERENCE_ROUNDS * int(self.limit)

    def _dispatch_soon(self) -> None:
        self._soon = None
        self._dispatch()

    def _wake(self) -> None:
        self._timer = None
        self._dispatch()

    def _give_back(self, ticket: Ticket, *, answered: bool = False) -> None:
        self._account()
        self.referenced = True  # (one settled request, answered or not, ends the wait for a reference)
        self.active -= 1
        self._unsettled.discard(ticket.serial)
        self._settle(ticket.serial, answered)
        self._dispatch()

    def _settle(self, serial: int, answered: bool) -> None:
        for crowd in list(self._crowds):
            pending, count, tried = crowd
            if serial not in pending:
                continue
            pending.discard(serial)
            count[0] += answered
            if not pending:
                self._crowds.remove(crowd)
                if count[0] > 0:  # the server admitted this many of ours: a ceiling, grown past only gently
                    self._refused_at(max(self.minimum, count[0]), tried)

    def _refused_at(self, admitted: int, tried: bool) -> None:
        """A crowd of ours settled, ``admitted`` of it answered: the ceiling, tried again some rounds later
        (twice as many rounds when this refusal was of a try past the last ceiling)."""
        if tried:
            self._probe_rounds = min(PROBE_ROUNDS_MOST, 2 * self._probe_rounds)
        self.found = self.known_ceiling = admitted
        self._found_serial = self._issued
        self.limit = min(self.limit, float(admitted))
        self._probe_at = self._clock() + self._probe_rounds * (self.fastest or 0.0)

    # what the server did -----------------------------------------------------------------------

    def release(self, ticket: Ticket, *, first_token: float | None = None, work: float | None = None) -> None:
        """The request answered (``first_token``: seconds from the request to its first token; ``work``:
        the part of it the server says it spent working) — or did not (no sample)."""
        busy = max(ticket.in_flight, self.active)  # in flight when it started or when it ended
        self._give_back(ticket, answered=first_token is not None)
        if first_token is None:
            return
        self.fastest = first_token if self.fastest is None else min(self.fastest, first_token)
        if self.found is not None and ticket.in_flight > self.found and ticket.serial > self._found_serial:
            # (a request sent after the refusal, with more in flight than it allowed, answered: room again)
            self.found = self.known_ceiling = ticket.in_flight
            self._probe_rounds = PROBE_ROUNDS
        baseline = self._baseline(first_token, work)
        ratio = first_token / baseline if baseline > 0 else 1.0
        # One late sample is noise (a busy client, a long prompt); a queue makes them late one after
        # another: the decision is on the smoothed ratio.
        self._ratio += SMOOTHING * (ratio - self._ratio)
        queued = self._ratio > QUEUED_RATIO and first_token - baseline > QUEUED_SLACK
        self._ratios.append(ratio)
        self._queues.append(first_token - baseline)
        if queued:
            # At once to what the queue says the server works on: those in flight over how late the recent
            # answers came (their median: one late answer is noise), by a fifth to a half a round; a queue
            # of a few scheduling hiccups (a loaded client, milliseconds of work) by a fifth only.
            late = statistics.median(self._ratios)
            real = statistics.median(self._queues) >= DEEP_QUEUE
            self._decrease(ticket, min(DECREASE, max(HALVE, busy / late / self.limit)) if real else DECREASE)
        elif ratio <= QUEUED_RATIO and busy * 2 >= int(self.limit) and self._may_grow():
            # Grow only while the limit is in use: an idle limit proves nothing about the server.
            step = 1.0 if self.slow_start else 1.0 / self.limit
            self.limit = min(float(self.maximum), self.limit + step)
            self.increases += 1
            self.peak_limit = max(self.peak_limit, int(self.limit))
        self._dispatch()

    def _baseline(self, first_token: float, work: float | None) -> float:
        """What the answer's first token would take unqueued: the work the server says it did, else the
        fastest of the recent first tokens (this one with them)."""
        if work is not None and work > 0:
            return work
        self._floor.append(first_token)
        return min(self._floor)

    def _may_grow(self) -> bool:
        """Whether one more is worth trying: below the maximum, and, at or past a ceiling an earlier run
        found, only while the limit's worth of work waits for a slot besides what is in flight (see above)."""
        if self.limit >= self.maximum:
            return False
        if self.known_ceiling is None or self.limit < self.known_ceiling:
            return True
        return len(self._waiting) >= int(self.limit) and self._clock() >= self._probe_at

    def rate_limited(self, ticket: Ticket, retry_after: float | None) -> bool:
        """A 429. With others of ours still in flight it is a crowd the server refuses: the limit comes down
        at once to those others, and, once they are settled, stays for the run at most at those it answered
        (True: only the refused request waits its Retry-After). Alone in flight, a rate over time: halve
        (once per round), pause every new request until Retry-After, and False."""
        self._account()
        others = self._unsettled - {ticket.serial}
        if others:
            self.slow_start = False
            tried = self.found is not None and len(others) >= self.found
            self._crowds.append((set(others), [0], tried))
            if len(others) < self.limit:
                self.limit = float(max(self.minimum, len(others)))
                self.generation += 1
                self.decreases += 1
            self._give_back(ticket)
            return True
        self._decrease(ticket, 0.5)
        if retry_after is not None:
            self.paused_until = max(self.paused_until, self._clock() + min(retry_after, 120.0))
        self._give_back(ticket)
        return False

    def timed_out(self, ticket: Ticket) -> bool:
        """A request ran out of time. True when that is overload (the endpoint has answered this run, and
        others were in flight or the limit can still come down): the limit is halved and the caller tries
        again. False: a failure at the lowest limit, alone in flight, or before any answer — the endpoint's,
        for the breaker."""
        # (An endpoint that has not answered once this run shows no load, only silence: its failure.)
        answered = self.fastest is not None
        overload = answered and (ticket.in_flight > self.minimum or ticket.limit > self.minimum)
        if overload:
            self._decrease(ticket, 0.5)
        self._give_back(ticket)
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
        self._give_back(ticket)
        return crowded

    def _decrease(self, ticket: Ticket, factor: float) -> None:
        self._account()
        self.slow_start = False
        if ticket.generation >= self.generation:
            self.limit = max(float(self.minimum), self.limit * factor)
            self.generation += 1
            self.decreases += 1
