"""The one unit runner: every command's plan — `report`, `run`, `run --plan`, `digest`, `weekly` — is a set
of units (engine/units.py) run here, whatever their kinds.

A plan is made once (``plan_run``): the repositories with their identity and effective settings (config <
``[[repos]]`` entry < flags), their days (missed nights caught up), the digest-days and weeks built from
them, each unit with its needs. ``run_plan`` hands the units to a claims object — ``LocalClaims`` (this
process, in memory) or ``SharedPlan`` (engine/shared.py: claimed from the store with a lease) — which
starts a unit once every unit it needs is settled; one engine (one event loop, one analyser session, the
shared limits) builds them all. Every unit ends in one ``UnitOutcome``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from dailydiff.common.aio import inline, run_sync
from dailydiff.common.timewindow import local_date_of
from dailydiff.engine.base import Context
from dailydiff.engine.deliver import (
    DeliveryResult,
    claim_owner,
    deliver,
    pick_publishers,
    publishers_for,
    record_told,
)
from dailydiff.engine.identity import configured_refs
from dailydiff.engine.kinds import KINDS
from dailydiff.engine.outcome import FAILED, Send, UnitOutcome, day_key, failed
from dailydiff.engine.printer import Tally
from dailydiff.engine.room import UnitRoom
from dailydiff.engine.units import DayUnit, DigestUnit, LookBackUnit, WeekUnit
from dailydiff.errors import DailyDiffError, EndpointRefused, StoreError
from dailydiff.sources.git import fetch_once

if TYPE_CHECKING:  # the unit kinds a `run` adds are imported where it plans them (engine/kinds.py)
    from dailydiff.common.dates import DateSpec
    from dailydiff.engine.jobs import RepoJob
    from dailydiff.publish.base import Publisher
    from dailydiff.settings import Settings
    from dailydiff.store import Store

log = logging.getLogger("dailydiff.run")
STOPPED = "stopping: sent by the next start"  # a message not yet claimed when the command was stopped

Unit = Any  # any class with the Unit surface (engine/units.py's ``Unit`` protocol)
# Build a batch of units of one kind: their outcomes, and why they are not done ('' when they are).
BuildBatch = Callable[[Sequence[Any]], Awaitable[tuple[bool, str, list[UnitOutcome]]]]


class Claims(Protocol):
    """Who builds which unit, and when: every unit of ``units`` once its ``needs`` are settled."""

    shared: bool  # claimed through the store by any number of workers (a unit at a time)

    async def run(self, units: Mapping[str, Any], build: BuildBatch, room: UnitRoom,
                  needs: Mapping[str, Sequence[str]]) -> list[Claimed]: ...  # fmt: skip

    def finish(self) -> None: ...


@dataclass
class Claimed:
    """A unit as its claims object saw it end: built by this process (``result``), or not."""

    unit: str
    ok: bool
    detail: str
    result: list[UnitOutcome] | None = None
    attempt: int = 1
    taken_over_from: str | None = None
    lost: bool = False  # the lease ran out while this worker was on it (another worker took it over)


@dataclass
class LocalClaims:
    """`run` without a shared plan: every unit in this process. A repository's days are handed out together
    (one pass over its history); a unit waits for the units it needs to settle, then for room
    (engine/room.py: as many at once as keep the model busy)."""

    shared = False

    async def run(self, units: Mapping[str, Any], build: BuildBatch, room: UnitRoom,
                  needs: Mapping[str, Sequence[str]]) -> list[Claimed]:  # fmt: skip
        settled = {key: asyncio.Event() for key in units}
        batches: dict[str, list[str]] = {}
        for key, unit in units.items():
            batches.setdefault(unit.batch, []).append(key)

        async def one(keys: list[str]) -> list[Claimed]:
            try:
                for key in keys:
                    for need in needs.get(key, ()):
                        if need in settled:
                            await settled[need].wait()
                seat = await room.enter()
                try:
                    with room.seated(seat):
                        ok, detail, outcomes = await build([units[k] for k in keys])
                finally:
                    room.leave(seat)
                return [Claimed(key, ok, detail, outcomes if i == 0 else []) for i, key in enumerate(keys)]
            finally:
                for key in keys:
                    settled[key].set()

        done = await asyncio.gather(*(one(keys) for keys in batches.values()))
        return [claimed for batch in done for claimed in batch]

    def finish(self) -> None:
        return None


# --- the plan ------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """Every unit of a command, keyed, in order (days, then digests, then weeks), with their needs; and
    what running them takes (engine/commands.py builds it from the command's ``Request``)."""

    units: dict[str, Unit] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # lines the command prints before it starts (catch-up)
    request: Any = None  # the command's Request
    available: list[Publisher] = field(default_factory=list)  # every configured target
    jobs: list[RepoJob] = field(default_factory=list)  # the repositories (after sharding)
    shard: Any = None
    now: dt.datetime | None = None
    text: str = ""  # what a command that builds nothing prints (`report --explain`, `publish --dry-run`)
    missing: list[str] = field(default_factory=list)  # the days asked for that the store has none of
    repo: str = ""  # the one repository a `publish` plan sends the days of
    rows: list[dict[str, Any]] = field(default_factory=list)  # `publish --dry-run`: what would be sent
    options: Any = None  # the RunOptions it ran with (set by `run`)
    _by_job: dict[int, list[DayUnit]] | None = field(default=None, repr=False)  # days_of's index

    def add(self, unit: Unit) -> None:
        if unit.kind == "day":
            self._by_job = None
        self.units.setdefault(unit.key, unit)

    def days_of(self, job: RepoJob) -> list[DayUnit]:
        """``job``'s day units, in plan order: an index built once (while no day is added), so that planning
        a unit per repository stays linear in the repositories (5,000 of them)."""
        if self._by_job is None:
            self._by_job = {}
            for unit in self.days():
                self._by_job.setdefault(id(unit.job), []).append(unit)
        return self._by_job.get(id(job), [])

    @property
    def needs(self) -> dict[str, tuple[str, ...]]:
        return {key: unit.needs for key, unit in self.units.items() if unit.needs}

    def days(self) -> list[DayUnit]:
        return [u for u in self.units.values() if u.kind == "day"]  # type: ignore[misc]


@dataclass(frozen=True)
class Span:
    """Which days a plan of repositories covers, and what it builds of them."""

    dates: DateSpec
    now: dt.datetime
    catch_up: bool = False  # a plain `run` (no date given): missed nights are built too
    digests: bool = True  # the configured [[digest]] entries, for the days of the plan
    weeks: bool = True  # each repository's week on its [weekly] weekday
    look_back: bool = False  # `run`: each repository's look-back for late commits is a unit


def plan_run(settings: Settings, jobs: Sequence[RepoJob], request: Span, store: Store | None,
             base_dir: Any = None, available: Sequence[Publisher] = ()) -> Plan:  # fmt: skip
    """The units of a run: each repository's days (and its missed nights), then the digest-days of those
    days, then the weeks they complete; the targets of each chosen here."""
    plan = Plan(available=list(available), jobs=list(jobs), now=request.now)
    caught: dict[str, list[dt.date]] = {}
    lasts: dict[dt.date, dict[tuple[str, str], dt.date]] = {}  # by the first day asked (one a timezone)
    for job in jobs:
        tz = job.settings.report.timezone
        dates = request.dates.resolve(tz, request.now)
        if request.catch_up and store is not None:
            first = dates[0]
            if first not in lasts:  # every repository's last stored day at once, not a query each
                lasts[first] = store.last_report_days(first)
            last = lasts[first].get((job.repo_id, job.settings.report.language))
            missed, note = missed_days(job, last, first, settings.run.catch_up_days)
            if missed:
                caught[job.label] = missed
            if note:
                plan.notes.append(note)
            dates = sorted({*missed, *dates})
        for date in dates:
            plan.add(DayUnit(job, date))
    if request.look_back and store is not None:
        _plan_look_backs(plan, jobs, request.now, store)
    if caught:
        days = sorted({d for ds in caught.values() for d in ds})
        plan.notes.insert(0, f"catching up {len(days)} missed day(s) ({_span(days)}) of "
                             f"{', '.join(sorted(caught))}")  # fmt: skip
    at = PlanContext(plan, settings, jobs, request, store, base_dir, available)
    for kind in KINDS.values():  # the kinds a `run` plans beside its days (engine/kinds.py), in order
        kind.plan(at)
    return plan


@dataclass(frozen=True)
class PlanContext:
    """What a unit kind planned beside a run's days is planned from."""

    plan: Plan
    settings: Settings
    jobs: Sequence[RepoJob]
    span: Span
    store: Store | None
    base_dir: Any
    available: Sequence[Publisher]


def _span(days: Sequence[dt.date]) -> str:
    return ", ".join(d.isoformat() for d in days) if len(days) <= 3 else f"{days[0]} … {days[-1]}"


def missed_days(job: RepoJob, last: dt.date | None, first: dt.date, limit: int) -> tuple[list[dt.date], str]:
    """The nights a plain `run` missed for ``job`` (before ``first``, the day it asks for): every day after
    ``last``, the last day stored for it before ``first``, at most ``limit`` of them (the latest); beyond
    that a line naming the gap and the command that fills it. A repository with nothing stored yet (``last``
    None) has missed nothing."""
    if last is None or limit <= 0:
        return [], ""
    gap = [last + dt.timedelta(days=n) for n in range(1, (first - last).days)]
    if len(gap) <= limit:
        return gap, ""
    built, left = gap[-limit:], gap[: len(gap) - limit]
    note = (f"{job.label}: {len(left)} older missed day(s) not built ({left[0]} … {left[-1]}, over [run] "
            f"catch_up_days = {limit}): dailydiff run --from {left[0]} --to {left[-1]}")  # fmt: skip
    return built, note


def _plan_look_backs(plan: Plan, jobs: Sequence[RepoJob], now: dt.datetime, store: Store) -> None:
    """A run's look-back unit per repository (engine/units.py; plain or shared, the one path), when a day
    it would look at (the ``[run] lookback_days`` before today, besides the plan's days) has a stored report:
    a day never built cannot be late."""
    looking = [(job, local_date_of(now, job.settings.report.timezone)) for job in jobs
               if job.settings.run.lookback_days]  # fmt: skip
    if not looking:
        return
    first = min(today - dt.timedelta(days=job.settings.run.lookback_days) for job, today in looking)
    stored = store.report_days_since(first)  # every repository's at once, not a query each
    for job, today in looking:
        own = tuple(sorted(u.date for u in plan.days_of(job)))
        days = stored.get((job.repo_id, job.settings.report.language), set())
        if any(0 <= (today - day).days <= job.settings.run.lookback_days and day not in own for day in days):
            plan.add(LookBackUnit(job, today, own))


def plan_digests(at: PlanContext) -> None:
    """One digest-day per [[digest]] per date, the dates taken in the digest's own timezone ([report]
    timezone) whatever its repositories' zones; it needs every day unit of its date."""
    plan, settings, jobs, request, base_dir, available, store = (at.plan, at.settings, at.jobs, at.span,
                                                                 at.base_dir, at.available, at.store)  # fmt: skip
    if not settings.digest or not request.digests:
        return
    from dailydiff.engine.digests import digest_publishers

    tz = settings.report.timezone
    dates = set(request.dates.resolve(tz, request.now))
    zoned = {u.date for u in plan.days() if u.job.settings.report.timezone == tz}
    dates |= zoned
    # A day of a repository in another timezone arrives after the digest-day of its date was sent: a need
    # that became ready. That digest-day is built again (and its addendum sent once, engine/addendum.py).
    later = {u.date for u in plan.days()} - zoned - dates
    refs = configured_refs(settings, base_dir) if settings.repos else [j.ref for j in jobs]
    ids = tuple(r.id for r in refs)
    for index, entry in enumerate(settings.digest, 1):
        targets = tuple(digest_publishers(entry, index, available))
        language = entry.language or settings.report.language
        sent = {d for d in later if store is not None and store.deliveries(entry.ledger_repo, d, language)}
        for date in sorted(dates | sent):
            plan.add(DigestUnit(entry, index, date, ids, _needs_of(plan, date), targets=targets))


def _needs_of(plan: Plan, date: dt.date) -> tuple[str, ...]:
    """What a digest-day of ``date`` needs: every day unit of that date."""
    return tuple(u.key for u in plan.days() if u.date == date)


def plan_weeks(at: PlanContext) -> None:
    """A repository's week, on its [weekly] weekday: it needs the repository's days of that week."""
    plan, jobs, available = at.plan, at.jobs, at.available
    if not at.span.weeks:
        return
    for job in jobs:
        days = plan.days_of(job)
        weekdays = [unit for unit in days if job.settings.weekly.delivers_on(unit.date)]
        if not weekdays:
            continue
        # (here: a plan without a week loads none of the week's modules, its charts included)
        from dailydiff.engine.weekly import weekly_publishers

        targets = tuple(weekly_publishers(job.settings, available))
        for unit in weekdays:
            monday = unit.date - dt.timedelta(days=unit.date.weekday())
            needs = tuple(u.key for u in days if 0 <= (u.date - monday).days < 7)
            plan.add(WeekUnit(job.ref, job.settings, monday, needs, targets=targets))


# --- running it --------------------------------------------------------------------------------------------


def run_plan(
    plan: Plan,
    options: Any,
    available: Sequence[Publisher],
    store: Store,
    settings: Settings,
    claims: Claims | None = None,
) -> list[UnitOutcome]:
    """Run every unit of ``plan`` through ``claims`` (this process's by default) on one event loop, one
    engine. Ctrl-C cancels it at once: everything analysed so far is stored; KeyboardInterrupt reaches the
    caller."""
    claims = claims or LocalClaims()
    shared = claims.shared

    async def main() -> list[Claimed]:
        async with _engine_for(plan, store, options) as engine:
            engine.count(len(plan.days()))
            context = Context(store, options, available, settings, engine, options.secrets)

            async def build(units: Sequence[Any]) -> tuple[bool, str, list[UnitOutcome]]:
                kind = type(units[0])
                try:
                    outcomes, why = await kind.build(context, units)
                    await _send(outcomes, context)
                    why = "; ".join(
                        filter(None, [why, await engine.off(kind.undone, context, units, outcomes)])
                    )
                except (StoreError, EndpointRefused):
                    # Not the unit's failure: the store cannot be written (a full disk: exit 74), or it is
                    # gone (exit 4), or a shared plan's unit was taken over, or the LLM endpoint refused the
                    # run's key or model (exit 5): the run stops, and says why.
                    raise
                except DailyDiffError as exc:
                    if options.raise_errors:
                        raise
                    return False, str(exc), [failed(u, str(exc)) for u in units]
                return not why, why or "ok", outcomes

            async def build_one(unit: Any) -> tuple[bool, str, list[UnitOutcome]]:
                return await build([unit])

            # A shared plan hands out one unit at a time; this process's claims hand out a batch.
            return await claims.run(plan.units, build_one if shared else build, engine.room, plan.needs)

    try:
        claimed = run_sync(main())
    finally:
        claims.finish()  # after the loop: sends in flight have finished and are recorded
    outcomes = fold_addenda([o for c in claimed for o in (c.result or [])])
    if shared:
        outcomes += [_unbuilt(c, plan.units) for c in claimed if c.result is None]
        log.info("plan: %s", summarize(claimed))
    return outcomes


def _engine_for(plan: Plan, store: Store, options: Any) -> Any:
    """The run's one engine (engine/stream.py); a plan whose every unit says it builds without one
    (``uses_engine = False``: `notes`) runs on what the engine does for all units only, without loading it."""
    if plan.units and not any(unit.uses_engine for unit in plan.units.values()):
        return _NoEngine(options)
    from dailydiff.engine.stream import Engine

    return Engine(store, options)


class _NoEngine:
    """What the engine does for every unit of a run: one fetch per repository for the whole run, the
    progress bar's total."""

    def __init__(self, options: Any) -> None:
        self.tally = options.tally or Tally()
        self.room = UnitRoom(options.concurrency)  # no model: a fixed number, or the room's floor
        self.off = inline
        self._stack = contextlib.ExitStack()

    async def __aenter__(self) -> _NoEngine:
        self._stack.enter_context(fetch_once())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._stack.__exit__(*exc)

    def count(self, days: int) -> None:
        self.tally.units_total += days
        self.tally.changed()


def fold_addenda(outcomes: list[UnitOutcome]) -> list[UnitOutcome]:
    """A day's addendum deliveries said with the day (one line, one row, after its own deliveries); an
    addendum whose day this process did not build (another worker's) stands alone."""
    days = {(o.repo, o.date): o for o in outcomes if o.kind == "day"}
    kept = []
    for outcome in outcomes:
        day = days.get((outcome.repo, outcome.date)) if outcome.kind == "addendum" else None
        if day is None:
            kept.append(outcome)
        else:
            day.publish = [*day.publish, *outcome.publish]
    return kept


def _unbuilt(claimed: Claimed, units: Mapping[str, Unit]) -> UnitOutcome:
    """A unit this worker claimed but has no outcome of: lost to another worker (its), or failed."""
    unit = units[claimed.unit]
    status = "taken-over" if claimed.lost else FAILED
    return UnitOutcome(unit.kind, unit.label, status, unit.date, detail="" if claimed.lost else claimed.detail,
                       key=claimed.unit)  # fmt: skip


def summarize(claimed: Sequence[Claimed]) -> str:
    """One line of counts, each unit counted once: lost (to another worker, whatever it got to), else ok or
    failed — never a negative count (a unit lost after it was built was counted ok and lost)."""
    lost = sum(c.lost for c in claimed)
    done = sum(c.ok and not c.lost for c in claimed)
    failed = len(claimed) - done - lost
    taken = sum(c.taken_over_from is not None for c in claimed)
    return (f"{len(claimed)} unit(s) built by this worker: {done} ok, {failed} failed, "
            f"{taken} taken over, {lost} lost to another worker")  # fmt: skip


def check_targets(settings: Settings, jobs: Sequence[RepoJob], available: Sequence[Publisher]) -> None:
    """Every publisher name the config gives (repositories, weeks, digests) is known: before any work."""
    from dailydiff.engine.digests import check_digest_publishers

    for job in jobs:
        publishers_for(job.entry, job.index, available)
        pick_publishers(job.settings.weekly.publishers or None, "weekly.publishers", available)
    check_digest_publishers(settings, available)


# --- the one way to a target -------------------------------------------------------------------------------


async def _send(outcomes: Sequence[UnitOutcome], context: Context) -> None:
    """What the units' outcomes ask to send (``UnitOutcome.sends``), sent: every edition of every unit kind
    reaches its targets here, on a worker thread with a connection of its own (publishers are blocking
    HTTP and SMTP clients). Once the run is stopped (Ctrl-C: this task cancelled; SIGTERM: engine/deliver.py)
    nothing more is claimed: a message being sent finishes and is recorded, the rest is left to the next
    start."""
    if not any(o.sends for o in outcomes):
        return
    stopping = threading.Event()
    opener = context.options.open_store

    def send_all() -> None:
        if opener is None:
            return send_outcomes(outcomes, context.store, context.options, stopping)
        with opener() as own:
            send_outcomes(outcomes, own, context.options, stopping)

    try:
        if opener is None:
            send_all()
        else:
            await asyncio.to_thread(send_all)
    except asyncio.CancelledError:
        stopping.set()
        raise


def send_outcomes(outcomes: Sequence[UnitOutcome], store: Store, options: Any,
                  stopping: threading.Event | None = None) -> None:  # fmt: skip
    """Each outcome's editions to the command's outputs (``options.outputs``: no ledger) and to their targets
    through the ledger of ``store``: their deliveries and the files written said in the outcome."""
    owner, stopping = claim_owner(), stopping or threading.Event()
    for outcome in outcomes:
        pending, outcome.sends = list(outcome.sends), []
        while pending:
            pending[:0] = _send_one(pending.pop(0), outcome, store, options, owner, stopping)
        # `run`: a day's commits, let go once sent
        if not options.keep_commits and outcome.report is not None:
            outcome.report = outcome.report.model_copy(update={"commits": []})


def _send_one(send: Send, outcome: UnitOutcome, store: Store, options: Any, owner: str,
              stopping: threading.Event) -> list[Send]:  # fmt: skip
    """One send of ``outcome``: its edition to the outputs and through the ledger to its targets, what was
    sent said in the outcome; the sends that follow from it (``send.then``)."""
    targets = () if send.skipped or stopping.is_set() else send.targets
    outputs = options.outputs if send.outputs is None else send.outputs

    def sent(group: Sequence[Any], ledger: Store | None) -> list[DeliveryResult]:
        return deliver(send.edition, group, ledger, force=options.force, secrets=options.secrets,
                       claim_timeout=send.claim_timeout, owner=owner) if group else []  # fmt: skip

    written = [path for out in sent(outputs, None) for path in out.paths]  # no ledger: the files written
    results = sent(targets, store)
    if send.skipped or stopping.is_set():  # (a stop taken while this one was sent too)
        results = [DeliveryResult(p.name, p.type, p.target, "skipped", send.skipped or STOPPED)
                   for p in send.targets]  # fmt: skip
    follow: list[Send] = []
    if send.then is not None:
        after = send.then(store, results)
        record_told(store, after.told, owner)
        for name, count in after.figures.items():
            outcome.figures[name] = outcome.figures.get(name, 0) + count
        follow = list(after.sends)
    if send.note:
        results = [replace(r, detail=f"{send.note}: {r.detail}") for r in results]
    if send.said:
        outcome.publish += results
        outcome.written += written
    return follow


__all__ = [
    "Claimed",
    "LocalClaims",
    "Plan",
    "Span",
    "check_targets",
    "day_key",
    "plan_run",
    "run_plan",
]
