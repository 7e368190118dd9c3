"""How many units a process builds at once: as many as keep the model endpoint's room full.

A unit's requests come in waves (its commits' first analyses, the escalations, the day's overview) with
store writes and rendering between them, so a fixed number of units at once leaves the endpoint idle when its
limit is large (64 requests at once at a hosted provider) and piles up units that only wait when it is small.
The room starts one more unit while the requests the running units have asked and not had answered, plus
what the units that have asked nothing yet are expected to ask (the mean of the units finished so far,
from a first guess, at least one each), are
fewer than ``ROUNDS`` times the analyser's current concurrency limit (analysis/limits.py finds it): one
round in flight, one waiting for a slot, so a slot that frees is taken at once. ``FLOOR`` units always run
(the limit is not known before the first request; a day with no commits asks nothing), ``CEILING`` at most
(each running unit holds its commits in memory).

Without a model (the rules analyser: git's and the CPU's pace) or with ``[run] concurrency`` set by hand,
the number is fixed. The claims object (engine/runner.py, engine/shared.py) enters the room before it
claims a unit, so a worker of a shared plan never holds a lease on a unit it cannot start yet.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.analysis.base import AnalysisSession
    from dailydiff.models import Analysis, Overview, ReportCommit

log = logging.getLogger("dailydiff.run")

FLOOR = 4  # units at once whatever the endpoint (and all of them without a model)
CEILING = 64  # units at once at most
ROUNDS = 2  # requests kept asked per slot of the analyser's limit
FIRST_GUESS = 2.0  # requests a unit is expected to ask before any unit has finished
PRIOR_UNITS = 8  # the first guess weighs as much as this many finished units
# A unit that has asked nothing yet counts for at least one request: the units that finish first are the ones
# that ask nothing (a day without commits), and a mean of none would let a worker take every unit at once.
LEAST_EXPECTED = 1.0


@dataclass
class Seat:
    """One running unit: how many requests it has asked so far."""

    asked: int = 0


_SEAT: contextvars.ContextVar[Seat | None] = contextvars.ContextVar("dailydiff_unit_seat", default=None)


class UnitRoom:
    """Units at once: ``fixed`` of them when set (``[run] concurrency`` by hand), else found (see above)."""

    def __init__(self, fixed: int = 0) -> None:
        self.fixed = max(0, fixed)
        self.capacity: Callable[[], int | None] = lambda: None  # the analyser's limit now (None: no model)
        # Other workers of a shared plan stopped holding units (engine/shared.py): the slots they held at the
        # model endpoint are free, this many (None: not known) (the engine tells its sessions' limits).
        self.peers_left: Callable[[int | None], None] = lambda freed: None
        self.running = 0
        self.peak = 0  # the most units at once this run
        self.asking = 0  # requests asked by the running units and not answered yet
        self.fresh = 0  # running units that have asked nothing yet
        self._finished = 0
        self._finished_asked = 0
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def most(self) -> int:
        """The most units at once it may ever allow (how many claimers a shared plan runs)."""
        return self.fixed or CEILING

    def expected(self) -> float:
        """Requests a unit asks: the mean of the units finished so far, from a first guess."""
        mean = (self._finished_asked + FIRST_GUESS * PRIOR_UNITS) / (self._finished + PRIOR_UNITS)
        return max(LEAST_EXPECTED, mean)

    def has_room(self) -> bool:
        if self.fixed:
            return self.running < self.fixed
        if self.running < FLOOR:
            return True
        limit = self.capacity()
        if limit is None or self.running >= CEILING:
            return False
        return self.asking + self.fresh * self.expected() < ROUNDS * limit

    async def enter(self) -> Seat:
        """Wait for room for one more unit (first come, first seated), and take it."""
        if self._waiters or not self.has_room():
            loop = asyncio.get_running_loop()
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                while True:
                    await waiter
                    if self.has_room():
                        break
                    waiter = loop.create_future()  # woken, but the room filled again: first in line still
                    self._waiters.insert(0, waiter)
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                else:  # woken and cancelled at once: the wake goes to the next
                    self._wake()
                raise
        seat = Seat()
        log.debug("a unit starts: %d running, %d asked not answered, %d fresh, limit %s", self.running + 1,
                  self.asking, self.fresh, self.capacity())  # fmt: skip
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.fresh += 1
        self._wake()  # the room may hold the next one too
        return seat

    def leave(self, seat: Seat, *, built: bool = True) -> None:
        """The unit is done (``built``: it counts in the mean of what a unit asks; a seat given back unused,
        when no unit was free to claim, does not)."""
        self.running -= 1
        self.fresh -= seat.asked == 0
        if built:
            self._finished += 1
            self._finished_asked += seat.asked
        self._wake()

    @contextmanager
    def seated(self, seat: Seat) -> Iterator[None]:
        """The unit built under this: the requests of its tasks are counted as its own."""
        token = _SEAT.set(seat)
        try:
            yield
        finally:
            _SEAT.reset(token)

    def wake(self) -> None:
        """What the room allows may have grown without a unit leaving or an answer landing (the run's first
        model session opened: its limit is known now, not at the first units' end): waiters are looked at."""
        self._wake()

    def _wake(self) -> None:
        """The first waiter goes when there is room (it wakes the next once it has taken its seat)."""
        if self._waiters and self.has_room():
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)

    def asked(self) -> None:
        self.asking += 1
        seat = _SEAT.get()
        if seat is not None:
            self.fresh -= seat.asked == 0
            seat.asked += 1

    def answered(self) -> None:
        self.asking -= 1
        self._wake()


class CountedSession:
    """An analysis session whose requests the room counts (asked, not yet answered)."""

    def __init__(self, session: AnalysisSession, room: UnitRoom) -> None:
        self.session = session
        self.room = room

    @property
    def in_flight(self) -> int:
        return self.session.in_flight

    @property
    def capacity(self) -> int | None:
        return self.session.capacity

    def expect(self, language: str) -> None:
        self.session.expect(language)

    def peers_left(self, freed: int | None = None) -> None:
        """Other workers of a shared plan hold no units any more (a model's session takes their slots:
        ``freed`` of them, None when not known)."""
        told = getattr(self.session, "peers_left", None)
        if told is not None:
            told(freed)

    async def analyse(self, request: Any, language: str) -> Analysis:
        self.room.asked()
        try:
            return await self.session.analyse(request, language)
        finally:
            self.room.answered()

    async def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        self.room.asked()
        try:
            return await self.session.overview(commits, language)
        finally:
            self.room.answered()


__all__ = ["CEILING", "FLOOR", "CountedSession", "Seat", "UnitRoom"]
