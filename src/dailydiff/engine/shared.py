"""Workers that share one plan (`run --plan NAME`): the run's units (repository × day) live in the store,
and any number of `dailydiff run` processes, on any machines, claim them one at a time with a lease.

- Every worker adds the same units to the plan (the first one creates them) and claims the next unit that
  nobody holds. A heartbeat thread, with its own store connection, renews the leases this process holds
  every third of the lease, so a busy worker keeps its units however long a day takes.
- A worker that dies stops renewing: once its lease runs out, its unit is claimed by another worker (an
  idle worker waits for exactly that while units are held elsewhere). What the dead worker had stored —
  commits, analyses, deliveries claimed in the ledger — is reused, so only what it had in flight is redone.
- A worker that stops early (Ctrl-C) gives its units back at once.

How a unit is built is the caller's (``run_unit``): this module only decides who builds what.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from dailydiff.engine.dates import DateSpec
from dailydiff.engine.plan import RepoJob
from dailydiff.engine.stream import RepoResult, RunOptions, run_jobs
from dailydiff.errors import StoreError
from dailydiff.publish.base import Publisher
from dailydiff.settings import Settings
from dailydiff.store import Claim, Store

log = logging.getLogger("dailydiff.run")
U = TypeVar("U")
R = TypeVar("R")


def worker_name() -> str:
    """Unique per process, readable in the store: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def share_limits(settings: Settings, slots: int) -> Settings:
    """Units built at once in one process share its `[llm]` and `[github]` concurrency."""
    if slots <= 1:
        return settings
    # A measured limit (0) stays measured: each process finds its share of the server by itself.
    share = max(1, settings.llm.concurrency // slots) if settings.llm.concurrency else 0
    llm = settings.llm.model_copy(update={"concurrency": share})
    github = settings.github.model_copy(update={"concurrency": max(1, settings.github.concurrency // slots)})
    return settings.model_copy(update={"llm": llm, "github": github})


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
    _held: dict[str, Claim] = field(default_factory=dict)
    _lost: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(
        self, units: dict[str, U], run_unit: Callable[[U, Store], tuple[bool, str, R]], slots: int = 1
    ) -> list[UnitOutcome[R]]:
        """Build units of the plan until none is left: ``run_unit(unit, store) → (ok, detail, result)``,
        ``slots`` at a time, each slot with its own store connection. Returns what this worker built."""
        with self.open_store() as store:
            total = store.plan_units(self.plan, list(units))
        if total != len(units):
            log.warning("plan %s has %d units, this worker planned %d (different config or dates?)",
                        self.plan, total, len(units))  # fmt: skip
        outcomes: list[UnitOutcome[R]] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                self._work(units, run_unit, outcomes)
            except BaseException as exc:  # e.g. the store went away: the worker stops, the caller hears
                errors.append(exc)
                self._stop.set()

        # Daemon threads: Ctrl-C stops the process at once (units held are given back first); what was
        # analysed so far is stored, and the unit is built again by whoever claims it next.
        threads = [threading.Thread(target=self._heartbeat, name="dailydiff-lease", daemon=True)]
        threads += [
            threading.Thread(target=work, name=f"dailydiff-unit-{i}", daemon=True)
            for i in range(max(1, slots))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads[1:]:
                while thread.is_alive():
                    thread.join(0.2)
        finally:
            self._stop.set()
            self._give_back()
        if errors:
            raise errors[0]
        return outcomes

    def _work(
        self,
        units: dict[str, U],
        run_unit: Callable[[U, Store], tuple[bool, str, R]],
        outcomes: list[UnitOutcome[R]],
    ) -> None:
        with self.open_store() as store:
            while not self._stop.is_set():
                claim = store.claim_unit(self.plan, self.worker, self.lease)
                if claim is None:
                    if not self._others_hold_units(store):
                        return
                    self._stop.wait(self.poll)  # a unit held elsewhere may be left behind by a dead worker
                    continue
                outcomes.append(self._build(store, claim, units, run_unit))

    def _build(
        self,
        store: Store,
        claim: Claim,
        units: dict[str, U],
        run_unit: Callable[[U, Store], tuple[bool, str, R]],
    ) -> UnitOutcome[R]:
        with self._lock:
            self._held[claim.unit] = claim
        if claim.previous_worker:
            log.info("%s: taking over from %s (its lease ran out)", claim.unit, claim.previous_worker)
        unit = units.get(claim.unit)
        try:
            if unit is None:
                ok, detail, result = False, "not in this worker's plan (another config?)", None
            else:
                ok, detail, result = run_unit(unit, store)
        except StoreError:
            # The store itself failed (full disk, lost server): not this unit's fault; the worker stops and
            # the unit goes back to the plan for whoever can still write.
            with self._lock:
                self._held.pop(claim.unit, None)
            with contextlib.suppress(StoreError):
                store.release_unit(claim)
            raise
        except Exception as exc:  # one unit failing never stops the worker
            log.debug("unit failed", exc_info=True)
            ok, detail, result = False, f"{type(exc).__name__}: {exc}", None
        except BaseException:
            with self._lock:
                self._held.pop(claim.unit, None)
            store.release_unit(claim)
            raise
        with self._lock:
            self._held.pop(claim.unit, None)
            lost = claim.unit in self._lost
        finished = store.complete_unit(claim, detail) if ok else store.fail_unit(claim, detail)
        if not finished:
            lost = True
            log.warning("%s: the lease ran out before it was done; another worker took it over", claim.unit)
        return UnitOutcome(claim.unit, ok, detail, result, claim.attempt, claim.previous_worker, lost)

    def _others_hold_units(self, store: Store) -> bool:
        return any(s.state == "running" for s in store.unit_states(self.plan))

    def _heartbeat(self) -> None:
        with self.open_store() as store:
            while not self._stop.wait(self.lease / 3):
                with self._lock:
                    held = list(self._held.values())
                for claim in held:
                    if not store.renew_unit(claim, self.lease):
                        with self._lock:
                            self._lost.add(claim.unit)

    def _give_back(self) -> None:
        with self._lock:
            held = list(self._held.values())
        if held:
            with self.open_store() as store:
                for claim in held:
                    store.release_unit(claim)


def unit_key(label: str, date_text: str) -> str:
    return f"{label} {date_text}"


def run_shared(
    jobs: Sequence[RepoJob],
    options: RunOptions,
    available: Sequence[Publisher],
    plan: SharedPlan,
    slots: int,
) -> list[RepoResult]:
    """`run --plan`: this worker's share of the units of ``jobs`` × their days, each built by the engine as
    a run of one repository and one day. Returns one result per repository this worker touched."""
    units: dict[str, tuple[RepoJob, dt.date]] = {}
    for job in jobs:
        for date in options.dates.resolve(job.settings.report.timezone, options.now):
            units[unit_key(job.label, date.isoformat())] = (
                replace(job, settings=share_limits(job.settings, slots)),
                date,
            )

    def run_unit(unit: tuple[RepoJob, dt.date], store: Store) -> tuple[bool, str, RepoResult]:
        job, date = unit
        # A unit checks its own day for late commits; the look-back before today is a whole run's job.
        one_day = replace(options, dates=DateSpec(date=date.isoformat()), concurrency=1, lookback=False)
        (result,) = run_jobs([job], one_day, list(available), store)
        return result.status != "failed", result.error or result.status, result

    outcomes = plan.run(units, run_unit, slots)
    log.info("plan %s: %s", plan.plan, summarize(outcomes))
    merged: dict[str, RepoResult] = {}
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            job, _date = units[outcome.unit]
            result = RepoResult(key=job.label, source=job.label, status="failed", error=outcome.detail)
        mine = merged.setdefault(result.key, replace(result, days=[], status="ok", duration_seconds=0.0))
        mine.days += result.days
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
    return f"{len(outcomes)} unit(s) built by this worker: {done} ok, {len(outcomes) - done} failed, {taken} taken over"


__all__ = ["SharedPlan", "UnitOutcome", "run_shared", "share_limits", "summarize", "unit_key", "worker_name"]
