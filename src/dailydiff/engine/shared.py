"""Workers that share one plan (`run --plan NAME`): the run's units (repository × day, digest × day) live in
the store, and any number of `dailydiff run` processes, on any machines, claim them one at a time with a
lease. A unit is a repository-day whatever plan names it, so two plans never build one unit twice.

- Every worker adds the same units to the plan (the first one creates them) and claims the next unit that
  nobody holds and whose needs are settled, done or failed (a digest-day waits for its repositories'
  days, then is built from what they stored). A heartbeat
  thread, with its own store connection, renews the leases this process holds every third of the lease.
- Every claim carries a **fencing token** that grows with each claim of the unit. The unit's writes —
  analyses, report, delivery claims (and so the files and messages sent after them) — go through the store
  only while the token is still the unit's (``store.FENCE``), and no LLM request leaves for a unit whose
  lease is gone (``common.holding``): a worker frozen past its lease and resumed after another worker took
  the unit over stops before writing and says so. Taking a unit over makes the old worker's delivery claims
  stale at once (they are recorded as interrupted and sent by the new holder).
- All lease times are the store's clock, so a worker whose clock is off changes nothing.
- A worker that stops early (Ctrl-C, SIGTERM) lets its in-flight sends finish and be recorded, then gives its
  units back. Running the same plan again retries the units that failed, and a unit is done only when every
  delivery of its day is recorded as delivered.
- One event loop per process: a worker's units share one engine (one analyser session, the LLM and GitHub
  limits), as many at a time as its room allows (engine/room.py: enough to keep the model busy), like `run`
  without a plan. A unit is claimed only once it has a seat, so no lease waits on a busy worker.
- An idle worker looks for a unit again the moment one of its own units ends (a digest-day may be ready
  then), else every ``poll`` seconds (a unit another worker ends, or leaves behind when it dies).
- The workers share the model endpoint, each with a limit of its own (analysis/limits.py): a 429 above the
  crowd settles each at a share of it. The heartbeat thread looks every ``peers_look`` seconds at which
  workers hold units; once fewer do, twice in a row (a worker between two units holds none for a moment),
  the room is told (``UnitRoom.peers_left``): the slots the others held are free, and this worker's limit
  takes them at once instead of one more a round — at the end of a night the last worker would otherwise
  end its last units at the share it had beside the others. Each worker records its share (its model
  limit) on the units it holds, at each claim and as it changes, so the room is told how many more slots
  are its own (``_look_at_peers``): the limit grows by that many, not by doubling until a refusal (a
  refused request waits its ``Retry-After``, and on the night's last rounds that wait is the night's end).

How a unit is built is the caller's (``run_unit``): this module decides who builds what, and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dailydiff.common.holding import UNIT_GUARD
from dailydiff.engine.deliver import claim_owner
from dailydiff.engine.room import UnitRoom
from dailydiff.engine.runner import Claimed
from dailydiff.errors import EndpointRefused, LeaseLostError, StoreError, StoreFullError
from dailydiff.store import FENCE, Claim, Store

log = logging.getLogger("dailydiff.run")
U = TypeVar("U")
RunUnit = Callable[[U], Awaitable[tuple[bool, str, Any]]]


@dataclass
class SharedPlan:
    """One process's part in a shared plan."""

    open_store: Callable[[], Store]
    plan: str
    lease: float
    worker: str = field(default_factory=claim_owner)  # readable in the store: host, pid, a random tag
    shared = True
    # How often an idle worker looks again while other workers hold the rest (a unit they end, a dead
    # worker's): at the end of a night each worker but the last waits so, and the night lasts until it has
    # seen that nothing is left (a second's poll was up to a second more per night; a look is two queries).
    poll: float = 0.25
    retries: int = 3  # a unit built again after the store's connection was lost (a server restart)
    peers_look: float = 0.25  # how often the heartbeat thread looks at which workers hold units
    _held: dict[str, Claim] = field(default_factory=dict)
    _valid_until: dict[str, float] = field(default_factory=dict)  # by this process's monotonic clock
    _lost: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _heartbeat_store: Store | None = None
    _heartbeat_thread: threading.Thread | None = None
    _free: asyncio.Event | None = None  # set: a unit may be free to claim (cleared while none is)
    _ended: int = 0  # units this worker ended (a claim that found none is tried again at once if this moved)
    _drained: bool = False  # no unit left to claim or held by anyone
    _timer: asyncio.TimerHandle | None = None
    _peers: set[str] | None = None  # the other workers holding units at the last look (None: not looked yet)
    _fewer: bool = False  # the last look saw fewer of them (told once a second look agrees)
    _crowd_room: int | None = None  # the model slots of every worker holding units, as last seen (see below)
    _left: bool = False  # a worker has left this run: the crowd's room is no longer looked at again
    _told: Callable[[int | None], None] | None = None  # the room's ``peers_left``, on the loop's thread
    _share: Callable[[], int | None] = lambda: None  # this worker's model slots now (its room's capacity)

    async def run(
        self,
        units: Mapping[str, U],
        run_unit: RunUnit[U],
        slots: int | UnitRoom = 1,
        needs: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Claimed]:
        """Build units of the plan until none is left: ``await run_unit(unit) → (ok, detail, result)``,
        as many at a time as ``slots`` (a number, or the engine's room) allows, on this event loop. Returns
        what this worker built. The caller calls ``finish`` once the loop is closed (its threads done): units
        still held are given back then."""
        room = slots if isinstance(slots, UnitRoom) else UnitRoom(max(1, slots))
        loop = asyncio.get_running_loop()

        def peers_left(freed: int | None) -> None:  # from the heartbeat thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing is asked any more
                loop.call_soon_threadsafe(room.peers_left, freed)

        self._told = peers_left
        self._share = room.capacity
        # The two connections are made at once (each waits on the server: a new session, authentication).
        opened = await asyncio.gather(
            asyncio.to_thread(self.open_store), asyncio.to_thread(self.open_store), return_exceptions=True
        )
        stores = [s for s in opened if isinstance(s, Store)]
        failed = [e for e in opened if isinstance(e, BaseException)]
        if failed:
            for store in stores:
                store.close()
            raise failed[0]
        control, self._heartbeat_store = stores
        try:
            total = await self._call(control.plan_units, self.plan, list(units), needs)
            if total != len(units):
                log.warning("plan %s has %d units, this worker planned %d (different config or dates?)",
                            self.plan, total, len(units))  # fmt: skip
            self._heartbeat_thread = threading.Thread(
                target=self._heartbeat, name="dailydiff-lease", daemon=True
            )
            self._heartbeat_thread.start()
            outcomes: list[Claimed] = []
            self._free = asyncio.Event()
            self._free.set()
            await asyncio.gather(
                *(self._slot(control, units, run_unit, outcomes, room) for _ in range(room.most))
            )
            return outcomes
        finally:
            if self._timer is not None:
                self._timer.cancel()
            control.close()

    async def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        """A call on the control connection, off the loop; a connection lost to a server restart is tried
        again (the backend reconnects) before the worker gives up."""
        for attempt in range(self.retries + 1):
            try:
                return await asyncio.to_thread(method, *args)
            except (LeaseLostError, StoreFullError):
                raise
            except StoreError:
                if attempt == self.retries:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _slot(self, control: Store, units: Mapping[str, U], run_unit: RunUnit[U],
                    outcomes: list[Claimed], room: UnitRoom) -> None:  # fmt: skip
        while not self._stop.is_set() and not self._drained:
            seat = await room.enter()
            built = False
            try:
                found = await self._claim(control)
                if found is None:
                    continue
                claim, asked = found
                built = True
                with self._lock:
                    self._held[claim.unit] = claim
                    self._valid_until[claim.unit] = asked + self.lease
                with room.seated(seat):
                    outcome = await self._build(claim, units, run_unit)
                with self._lock:
                    self._held.pop(claim.unit, None)
                if not outcome.lost:
                    finish = control.complete_unit if outcome.ok else control.fail_unit
                    if not await self._call(finish, claim, outcome.detail):
                        outcome.lost = True
                if outcome.lost:
                    log.warning(
                        "%s: the lease ran out before it was done; another worker took it over", claim.unit
                    )
                outcomes.append(outcome)
                self._wake()  # a unit that needed it may be free now (a digest-day)
            finally:
                room.leave(seat, built=built)

    async def _claim(self, control: Store) -> tuple[Claim, float] | None:
        """The next unit free to claim and when it was asked for (its lease runs from then), waiting while
        none is free but other workers hold some; None once nothing is left to claim or held (or the worker
        stops)."""
        assert self._free is not None
        while not self._stop.is_set() and not self._drained:
            await self._free.wait()
            if self._drained:
                break
            ended, asked = self._ended, time.monotonic()
            claim = await self._call(control.claim_unit, self.plan, self.worker, self.lease, self._share())
            if claim is not None:
                return claim, asked
            if ended != self._ended:  # one of ours ended while the claim was asked: look again
                continue
            if not self._free.is_set():  # another claimer found none too: it waits for the rest
                continue
            self._free.clear()
            if not await self._call(self._others_hold_units, control):
                self._drained = True
                self._free.set()  # every claimer of this worker ends
                break
            log.debug(
                "plan %s: no unit free (others hold the rest); looking again in %g s", self.plan, self.poll
            )
            # A unit held elsewhere may end, or be left behind by a dead worker: looked for again then.
            self._timer = asyncio.get_running_loop().call_later(self.poll, self._free.set)
        return None

    def _wake(self) -> None:
        assert self._free is not None
        self._ended += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._free.set()

    async def _build(self, claim: Claim, units: Mapping[str, U], run_unit: RunUnit[U]) -> Claimed:
        if claim.previous_worker:
            log.info("%s: taking over from %s (its lease ran out)", claim.unit, claim.previous_worker)
        unit = units.get(claim.unit)
        if unit is None:
            return Claimed(claim.unit, False, "not in this worker's plan (another config?)", None,
                               claim.attempt, claim.previous_worker)  # fmt: skip
        fence, guard = FENCE.set(claim), UNIT_GUARD.set(lambda: self._check_held(claim))
        try:
            for attempt in range(self.retries + 1):
                try:
                    ok, detail, result = await run_unit(unit)
                    break
                except (LeaseLostError, StoreFullError):
                    raise
                except StoreError as exc:  # the connection was lost (a restart): the unit is built again
                    if attempt == self.retries:
                        raise
                    log.warning("%s: %s; building the unit again", claim.unit, exc.message)
                    await asyncio.sleep(0.5 * 2**attempt)
        except LeaseLostError as exc:
            log.warning("%s", exc.message)
            return Claimed(claim.unit, False, exc.message, None, claim.attempt, claim.previous_worker, True)
        except (StoreError, EndpointRefused, asyncio.CancelledError, KeyboardInterrupt):
            raise  # the unit stays held: `finish` gives it back once in-flight sends are recorded
        except Exception as exc:  # one unit failing never stops the worker
            log.debug("unit failed", exc_info=True)
            ok, detail, result = False, f"{type(exc).__name__}: {exc}", None
        finally:
            FENCE.reset(fence)
            UNIT_GUARD.reset(guard)
        with self._lock:
            lost = claim.unit in self._lost
        return Claimed(claim.unit, ok, detail, result, claim.attempt, claim.previous_worker, lost)

    def _check_held(self, claim: Claim) -> None:
        """The guard before an LLM request: cheap while the lease is fresh by this process's monotonic clock
        (it runs on while the process is stopped); past that, asked of the store (and renewed when held)."""
        with self._lock:
            fresh = time.monotonic() < self._valid_until.get(claim.unit, 0.0) and claim.unit not in self._lost
        if fresh or self._renew(claim):
            return
        raise LeaseLostError(
            f"{claim.unit}: this worker's lease ran out and another worker took the unit over; "
            "nothing more is sent or written for it here",
            "nothing to do: the other worker builds and delivers it",
        )

    def _renew(self, claim: Claim) -> bool:
        store = self._heartbeat_store
        if store is None:
            return False
        sent = time.monotonic()
        try:
            held = store.renew_unit(claim, self.lease)
        except StoreError as exc:  # the server is away: the lease may still be ours; say so, try again later
            log.warning("cannot renew the lease of %s: %s", claim.unit, exc.message)
            return False
        with self._lock:
            if held:
                self._valid_until[claim.unit] = sent + self.lease
            else:
                self._lost.add(claim.unit)
        return held

    def _others_hold_units(self, store: Store) -> bool:
        return any(s.state == "running" for s in store.unit_states(self.plan))

    def _heartbeat(self) -> None:
        renew_every = self.lease / 3
        renew_at = time.monotonic() + renew_every
        while not self._stop.wait(max(0.0, min(self.peers_look, renew_at - time.monotonic()))):
            if time.monotonic() >= renew_at:
                with self._lock:
                    held = list(self._held.values())
                for claim in held:
                    self._renew(claim)
                renew_at = time.monotonic() + renew_every
            self._look_at_peers()

    def _look_at_peers(self) -> None:
        """Which other workers hold units now: fewer than before, twice in a row, and the room is told how
        many model slots are its own to take now (None: not known).

        The slots are the crowd's: while no worker has left yet, each look adds this worker's share now to
        the others' (as each last said it), the endpoint's room as the crowd found it. Once workers
        leave, those still holding units share that room equally: each takes its part less what it holds
        (each of them works out the same part), so the last one takes all of it, however unequal the
        shares were and however stale a claim's figure is."""
        store = self._heartbeat_store
        if store is None:
            return
        try:
            holding = store.plan_workers(self.plan)
        except StoreError:  # the server is away: the leases' renewal says so
            return
        mine = self._say_share(store, holding)
        others = set(holding)
        fewer = self._peers is not None and len(others) < len(self._peers)
        if fewer and not self._fewer:
            self._fewer = True
            return
        self._fewer = False
        if fewer and self._told is not None:
            self._free_their_slots(others, mine)
        elif not self._left:
            shares = list(holding.values())
            self._crowd_room = None if mine is None or None in shares else mine + sum(s for s in shares if s)
        self._peers = others

    def _say_share(self, store: Any, holding: dict[str, Any]) -> int | None:
        """This worker's share of the slots now (taken out of ``holding``), said in the store when it holds
        units and its share changed since it last said it."""
        holds = self.worker in holding
        said = holding.pop(self.worker, None)
        mine = self._share()
        if holds and mine is not None and said != mine:
            with contextlib.suppress(StoreError):
                store.say_slots(self.plan, self.worker, mine)
        return mine

    def _free_their_slots(self, others: set[str], mine: int | None) -> None:
        """Workers left: those still holding units share the crowd's room equally; this one is told its part
        less what it holds (None: not known)."""
        assert self._told is not None
        self._left = True
        room = self._crowd_room
        freed = None if room is None or mine is None else max(0, room // (len(others) + 1) - mine)
        log.debug("plan %s: %d other worker(s) hold units now, %d before; their slots are free (%s)",
                  self.plan, len(others), len(self._peers or ()),
                  "not known" if freed is None else f"{freed} more of {room} for this worker")  # fmt: skip
        self._told(freed)

    def finish(self) -> None:
        """Stop renewing and give back the units still held (a worker stopping early). Called after the
        event loop has closed, so that sends in flight have finished and are recorded first."""
        self._stop.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join()
        with self._lock:
            held = list(self._held.values())
            self._held.clear()
        try:
            if held:
                with self.open_store() as store:
                    for claim in held:
                        store.release_unit(claim)
                log.warning("gave back %d unit(s) of plan %s: %s", len(held), self.plan,
                            ", ".join(c.unit for c in held))  # fmt: skip
        finally:
            if self._heartbeat_store is not None:
                self._heartbeat_store.close()
                self._heartbeat_store = None


__all__ = ["SharedPlan"]
