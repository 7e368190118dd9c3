"""Workers that share one plan (`run --plan NAME`): the run's units (repository × day, digest × day) live in
the store, and any number of `dailydiff run` processes, on any machines, claim them one at a time with a
lease. A unit is a repository-day whatever plan names it, so two plans never build one unit twice.

- Every worker adds the same units to the plan (the first one creates them) and claims the next unit that
  nobody holds and whose needs are done (a digest-day waits for its repositories' days). A heartbeat
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
  limits), ``[run] concurrency`` units at a time, like `run` without a plan.

How a unit is built is the caller's (``run_unit``): this module decides who builds what, and when.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from dailydiff.common.aio import run_sync
from dailydiff.common.holding import UNIT_GUARD
from dailydiff.engine.dates import DateSpec
from dailydiff.engine.deliver import is_delivered, publishers_for
from dailydiff.engine.plan import RepoJob
from dailydiff.engine.stream import Engine, RepoResult, RunOptions
from dailydiff.errors import LeaseLostError, StoreError, StoreFullError
from dailydiff.publish.base import Publisher
from dailydiff.render.edition import UnitKey
from dailydiff.settings import Settings
from dailydiff.store import Claim, Store, open_store
from dailydiff.store.interface import FENCE

log = logging.getLogger("dailydiff.run")
U = TypeVar("U")
R = TypeVar("R")
RunUnit = Callable[[U], Awaitable[tuple[bool, str, R]]]


def worker_name() -> str:
    """Unique per process, readable in the store: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class UnitOutcome(Generic[R]):
    unit: str
    ok: bool
    detail: str
    result: R | None = None
    attempt: int = 1
    taken_over_from: str | None = None
    lost: bool = False  # the lease ran out while this worker was on it (another worker took it over)


@dataclass
class SharedPlan:
    """One process's part in a shared plan."""

    open_store: Callable[[], Store]
    plan: str
    lease: float
    worker: str = field(default_factory=worker_name)
    poll: float = 1.0  # how often an idle worker looks for a unit whose worker died
    retries: int = 3  # a unit built again after the store's connection was lost (a server restart)
    _held: dict[str, Claim] = field(default_factory=dict)
    _valid_until: dict[str, float] = field(default_factory=dict)  # by this process's monotonic clock
    _lost: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _heartbeat_store: Store | None = None
    _heartbeat_thread: threading.Thread | None = None

    def build(
        self,
        units: Mapping[str, U],
        run_unit: RunUnit[U, R],
        slots: int = 1,
        needs: Mapping[str, Sequence[str]] | None = None,
    ) -> list[UnitOutcome[R]]:
        """``run`` on an event loop of its own, then ``finish``: for callers without a loop."""
        try:
            return run_sync(self.run(units, run_unit, slots, needs))
        finally:
            self.finish()

    async def run(
        self,
        units: Mapping[str, U],
        run_unit: RunUnit[U, R],
        slots: int = 1,
        needs: Mapping[str, Sequence[str]] | None = None,
    ) -> list[UnitOutcome[R]]:
        """Build units of the plan until none is left: ``await run_unit(unit) → (ok, detail, result)``,
        ``slots`` at a time on this event loop. Returns what this worker built. The caller calls ``finish``
        once the loop is closed (its threads done): units still held are given back then."""
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
            outcomes: list[UnitOutcome[R]] = []
            await asyncio.gather(
                *(self._slot(control, units, run_unit, outcomes) for _ in range(max(1, slots)))
            )
            return outcomes
        finally:
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

    async def _slot(
        self, control: Store, units: Mapping[str, U], run_unit: RunUnit[U, R], outcomes: list[UnitOutcome[R]]
    ) -> None:
        while not self._stop.is_set():
            asked = time.monotonic()
            claim = await self._call(control.claim_unit, self.plan, self.worker, self.lease)
            if claim is None:
                if not await self._call(self._others_hold_units, control):
                    return
                log.debug(
                    "plan %s: no unit free (others hold the rest); looking again in %g s",
                    self.plan,
                    self.poll,
                )
                await asyncio.sleep(self.poll)  # a unit held elsewhere may be left behind by a dead worker
                continue
            with self._lock:
                self._held[claim.unit] = claim
                self._valid_until[claim.unit] = asked + self.lease
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

    async def _build(self, claim: Claim, units: Mapping[str, U], run_unit: RunUnit[U, R]) -> UnitOutcome[R]:
        if claim.previous_worker:
            log.info("%s: taking over from %s (its lease ran out)", claim.unit, claim.previous_worker)
        unit = units.get(claim.unit)
        if unit is None:
            return UnitOutcome(claim.unit, False, "not in this worker's plan (another config?)", None,
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
            return UnitOutcome(
                claim.unit, False, exc.message, None, claim.attempt, claim.previous_worker, True
            )
        except (StoreError, asyncio.CancelledError, KeyboardInterrupt):
            raise  # the unit stays held: `finish` gives it back once in-flight sends are recorded
        except Exception as exc:  # one unit failing never stops the worker
            log.debug("unit failed", exc_info=True)
            ok, detail, result = False, f"{type(exc).__name__}: {exc}", None
        finally:
            FENCE.reset(fence)
            UNIT_GUARD.reset(guard)
        with self._lock:
            lost = claim.unit in self._lost
        return UnitOutcome(claim.unit, ok, detail, result, claim.attempt, claim.previous_worker, lost)

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
        while not self._stop.wait(self.lease / 3):
            with self._lock:
                held = list(self._held.values())
            for claim in held:
                self._renew(claim)

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


def unit_key(label: str, date_text: str) -> str:
    return f"{label} {date_text}"


@dataclass(frozen=True)
class DigestDay:
    """A digest-day unit: one ``[[digest]]`` for one date, ready once its repositories' days are done."""

    name: str
    date: dt.date


def run_shared(
    jobs: Sequence[RepoJob],
    options: RunOptions,
    available: Sequence[Publisher],
    plan: SharedPlan,
    store: Store,
    settings: Settings | None = None,
) -> tuple[list[RepoResult], list[Any]]:
    """`run --plan`: this worker's share of the units of ``jobs`` × their days, built by one engine on one
    event loop (``[run] concurrency`` units at a time), and of the ``[[digest]]`` days of ``settings``, each
    taken by whichever worker is free once the days of every repository of the plan are done. Returns one
    result per repository this worker touched, and the digests it delivered (``DigestOutcome``)."""
    units: dict[str, tuple[RepoJob, dt.date] | DigestDay] = {}
    needs: dict[str, list[str]] = {}
    for job in jobs:
        for date in options.dates.resolve(job.settings.report.timezone, options.now):
            units[unit_key(job.label, date.isoformat())] = (job, date)
    for entry in settings.digest if settings is not None else []:
        dates = {date for job, date in (u for u in units.values() if isinstance(u, tuple))}
        for date in sorted(dates):
            key = unit_key(f"digest:{entry.name}", date.isoformat())
            units[key] = DigestDay(entry.name, date)
            needs[key] = [k for k, u in units.items() if isinstance(u, tuple) and u[1] == date]
    digests: list[Any] = []

    # A unit checks its own day for late commits; the look-back before today is a whole run's job.
    unit_options = replace(options, lookback=False)

    async def main() -> list[UnitOutcome[RepoResult | None]]:
        async with Engine(store, unit_options) as engine:

            async def run_unit(
                unit: tuple[RepoJob, dt.date] | DigestDay,
            ) -> tuple[bool, str, RepoResult | None]:
                if isinstance(unit, DigestDay):
                    assert settings is not None
                    return await asyncio.to_thread(build_digest, unit, settings, options, available, digests)
                job, date = unit
                result = await engine.run_job(job, available, dates=DateSpec(date=date.isoformat()))
                return unit_outcome(result, job, date, available, store)

            return await plan.run(units, run_unit, max(1, options.concurrency), needs)

    try:
        outcomes = run_sync(main())
    finally:
        plan.finish()  # after the loop: sends in flight have finished and are recorded
    log.info("plan %s: %s", plan.plan, summarize(outcomes))
    return merge_results(outcomes, units), digests


def build_digest(
    unit: DigestDay, settings: Settings, options: RunOptions, available: Sequence[Publisher], out: list[Any]
) -> tuple[bool, str, None]:
    """A digest-day unit, on a connection of its own (a worker thread): built from the stored reports of
    the day and delivered through the ledger (its claims fenced by the unit's, as a repository-day's)."""
    from dailydiff.engine.digests import llm_for_digests, run_digests

    with (options.open_store or (lambda: open_store(settings)))() as own:
        done = run_digests(settings, own, [unit.date], available, name=unit.name, force=options.force,
                           secrets=options.secrets, analyzer=llm_for_digests(settings, own))  # fmt: skip
    out.extend(done)
    failed = [f"{p.publisher} {p.status}" for o in done for p in o.publish if p.status == "failed"]
    if failed:
        return False, f"digest {unit.name} {unit.date}: not delivered everywhere ({', '.join(failed)})", None
    return True, "ok", None


def unit_outcome(
    result: RepoResult, job: RepoJob, date: dt.date, available: Sequence[Publisher], store: Store
) -> tuple[bool, str, RepoResult | None]:
    """A unit is done when its report is built and every delivery of the day is recorded as delivered: a
    failed delivery, or one another process claimed, leaves it to be retried by the plan's next run."""
    if result.status == "failed":
        return False, result.error or "failed", result
    language = job.settings.report.language
    for day in result.days:
        if day.status != "built" or result.repo is None:
            continue  # up to date, or kept back by the failure gate (not sent, by design)
        publishers = publishers_for(job.entry, job.index, available)
        if not is_delivered(store, UnitKey(result.repo, day.date, language), publishers):
            waiting = [f"{p.publisher} {p.status}" for p in day.publish if p.status != "ok"]
            return False, f"{date}: not delivered everywhere ({', '.join(waiting) or 'unrecorded'})", result
    return True, result.status, result


def merge_results(
    outcomes: Sequence[UnitOutcome[RepoResult | None]],
    units: Mapping[str, tuple[RepoJob, dt.date] | DigestDay],
) -> list[RepoResult]:
    merged: dict[str, RepoResult] = {}
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            unit = units[outcome.unit]
            if isinstance(unit, DigestDay):
                continue  # a digest's outcome is told with the digests
            job, _date = unit
            status = "ok" if outcome.lost else "failed"  # a unit lost to another worker is that worker's
            result = RepoResult(key=job.label, source=job.label, status=status,
                                error=None if outcome.lost else outcome.detail)  # fmt: skip
        mine = merged.setdefault(
            result.key, replace(result, days=[], status="ok", duration_seconds=0.0, requests={})
        )
        mine.days += result.days
        for api, spent in result.requests.items():  # each unit's requests to each API, added up
            mine.requests[api] = {k: mine.requests.get(api, {}).get(k, 0) + v for k, v in spent.items()}
        mine.duration_seconds = round(mine.duration_seconds + result.duration_seconds, 3)
        mine.repo = mine.repo or result.repo
        if _RANK[result.status] > _RANK[mine.status]:
            mine.status, mine.error = result.status, result.error
    for result in merged.values():
        result.days.sort(key=lambda d: d.date)
    return list(merged.values())


_RANK = {"ok": 0, "gated": 1, "partial": 2, "failed": 3}


def summarize(outcomes: Sequence[UnitOutcome[R]]) -> str:
    done = sum(o.ok for o in outcomes)
    taken = sum(o.taken_over_from is not None for o in outcomes)
    lost = sum(o.lost for o in outcomes)
    return (f"{len(outcomes)} unit(s) built by this worker: {done} ok, {len(outcomes) - done - lost} failed, "
            f"{taken} taken over, {lost} lost to another worker")  # fmt: skip


__all__ = ["SharedPlan", "UnitOutcome", "run_shared", "summarize", "unit_key", "worker_name"]
