"""Units: what a plan is made of, for every kind — a repository's day, a digest-day, a repository's week,
a run's look-back for late commits (and, in their own modules, a day's addendum: engine/addendum.py; the
static site: engine/site.py; alerts, release notes).

Every kind is one class with the same small surface:

- ``key``: the unit's name in the plan (and in a shared plan's store): ``day <repo> <date>``,
  ``digest <name> <date>``, ``week <repo> <YYYY-Www>``, ``look-back:<repo> <today>``; ``label`` is how lines
  and logs name it;
- ``needs``: the keys of the units it is built from (a digest-day: its repositories' days of that date;
  a week: its repository's days of the week in the plan). **One rule for every kind**: a unit starts once
  every need is *settled* (done or failed) and is built from what exists — what is missing is named in
  it (a digest's "no report", a week's missing days), never silently never;
- ``batch``: units with the same batch may be built by one call (a repository's days: one pass over
  its history), when the claims object hands several out at once (`run` does; a shared plan hands out
  one unit at a time);
- ``build(context, units) → [UnitOutcome]``: builds them; each outcome says what to send (``sends``: an
  edition, its targets, what a delivered message settles besides), never what was sent: the runner
  (engine/runner.py) sends it through the one deliver, then asks ``undone`` whether the units are done.

Each unit ends in one ``UnitOutcome``; engine/printer.py turns outcomes into the ✓/–/✗ lines, the JSON
summary and the exit code, whatever the kind.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from dailydiff.common.dates import DateSpec
from dailydiff.common.secrets import scrub
from dailydiff.engine.base import BaseUnit, Context
from dailydiff.engine.deliver import delivery_alerts, is_delivered, publishers_for
from dailydiff.engine.identity import RepoRef
from dailydiff.engine.jobs import RepoJob
from dailydiff.engine.outcome import (
    BUILT,
    EMPTY,
    FAILED,
    GATED,
    KEPT,
    NOTHING,
    UP_TO_DATE,
    Send,
    UnitOutcome,
    day_key,
    failed,
)

if TYPE_CHECKING:  # the editions and publishers are imported where a unit is built or sent
    from dailydiff.models import DayReport
    from dailydiff.publish.base import Publisher
    from dailydiff.settings import DigestEntry, Settings
    from dailydiff.store import Store

log = logging.getLogger("dailydiff.run")


# --- a repository's day ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayUnit(BaseUnit):
    """A repository's day: fetched, scored, analysed, gated and assembled by the engine; its edition made
    here and sent by the runner."""

    kind: ClassVar[str] = "day"
    job: RepoJob
    date: dt.date
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return day_key(self.job.repo_id, self.date)

    @property
    def label(self) -> str:
        return f"{self.job.label} {self.date.isoformat()}"

    @property
    def batch(self) -> str:
        return f"days of {self.job.repo_id}"

    @classmethod
    async def build(cls, context: Context, units: Sequence[Any]) -> tuple[list[UnitOutcome], str]:
        return await build_days(context, units)

    @classmethod
    def undone(cls, context: Context, units: Sequence[Any], outcomes: Sequence[UnitOutcome]) -> str:
        """Why the days are not done: built, and every delivery recorded (or held back until the day
        settles), else the plan's next run builds them again."""
        job = units[0].job
        return "; ".join(filter(None, (day_done(o, job, context.available, context.store) for o in outcomes)))


async def build_days(context: Context, units: Sequence[Any]) -> tuple[list[UnitOutcome], str]:
    """A repository's day units and its look-back unit (one batch: one pass over its history, one listing),
    or any of them alone (a shared plan hands out one unit at a time). The one path of the look-back for
    late commits, plain or shared."""
    job = units[0].job
    days = sorted((u for u in units if u.kind == "day"), key=lambda u: u.date)
    dates = [u.date for u in days]
    back = [u for u in units if u.kind == LookBackUnit.kind]
    spec = None
    if dates:
        spec = (DateSpec(date=dates[0].isoformat()) if len(dates) == 1
                else DateSpec(first=dates[0].isoformat(), last=dates[-1].isoformat()))  # fmt: skip
    besides = back[0].besides if back else None
    result = await context.engine.run_job(job, context.available, dates=spec, look_back_besides=besides)
    if result.status == "failed" and not dates:
        outcome = failed(back[0], result.error or "failed", result.repo)
        return [outcome], outcome.detail
    outcomes = _day_outcomes(result, job, days)
    await context.engine.off(_day_sends, context, job, outcomes, result.rewrites)
    return outcomes, ""


def _day_sends(
    context: Context, job: RepoJob, outcomes: Sequence[UnitOutcome], rewrites: Sequence[DayReport]
) -> None:
    """Each built day's edition to the command's outputs and to the repository's targets (a gated day: to the
    outputs that do not keep it, the targets said skipped); then the files of days whose revert links a later
    day changed, written again to the outputs that update in place (nothing is sent twice)."""
    from dailydiff.engine.addendum import told_in_report
    from dailydiff.render.edition import day_edition

    settings, options = job.settings, context.options
    publishers = publishers_for(job.entry, job.index, context.available)
    for outcome in outcomes:
        report = outcome.report
        if report is None or outcome.status not in (BUILT, GATED, KEPT):
            continue
        # The day's edition, each part rendered once on first use, for every target; with a line for each of
        # the repository's targets that has failed for days.
        alerts = (delivery_alerts(context.store, {report.repo: publishers}, settings.run.alert_after,
                                  report.language) if publishers else [])  # fmt: skip
        edition = day_edition(report, settings, options.history, alerts=alerts)
        held = outcome.status != BUILT
        shown = [o for o in options.outputs if not (held and o.updates_in_place)]
        outcome.sends.append(Send(edition, publishers, shown, settings.run.claim_timeout,
                                  skipped="too many failed analyses" if held else "",
                                  then=None if held else told_in_report(report, publishers)))  # fmt: skip
    in_place = [o for o in options.outputs if o.updates_in_place]
    if outcomes and in_place:
        outcomes[-1].sends += [Send(day_edition(r, settings, options.history), (), in_place, said=False)
                               for r in rewrites]  # fmt: skip


def _day_outcomes(result: Any, job: RepoJob, days: Sequence[DayUnit]) -> list[UnitOutcome]:
    """The engine's days of one repository as unit outcomes (``days``: the day units asked for, in order; a
    look-back day it rebuilt included)."""
    if result.status == "failed":
        return [failed(unit, result.error or "failed", result.repo) for unit in days]
    wanted = {unit.date for unit in days}
    outcomes = [day for day in result.days if day.date in wanted or day.status != UP_TO_DATE]
    for day in outcomes:
        day.key, day.label = day_key(job.repo_id, day.date), f"{job.label} {day.date.isoformat()}"
    if outcomes:  # what the repository's fetch read, and asked each API, once
        outcomes[0].figures["fetched"] = result.fetched
        if result.requests:
            outcomes[0].figures["requests"] = result.requests
    return outcomes


def day_done(outcome: UnitOutcome, job: RepoJob, available: Sequence[Publisher], store: Store) -> str:
    """Why a day unit is not done ('' when it is): built, and every delivery recorded (or held back until
    the day settles). A failed delivery leaves it to be retried by the plan's next run."""
    if outcome.status == FAILED:
        return outcome.detail or "failed"
    if outcome.status != BUILT or outcome.repo is None:
        return ""  # up to date, deferred, or kept back by the failure gate (not sent, by design)
    if not outcome.delivered_ok:  # an addendum that failed too: the plan's next run sends it
        failed = [f"{p.publisher} failed" for p in outcome.publish if p.status == "failed"]
        return f"{outcome.date}: not delivered everywhere ({', '.join(failed)})"
    from dailydiff.render.edition import UnitKey

    publishers = [p for p in publishers_for(job.entry, job.index, available)
                  if not _held(outcome, p)]  # fmt: skip
    if not is_delivered(store, UnitKey(outcome.repo, outcome.date, job.settings.report.language), publishers):
        waiting = [f"{p.publisher} {p.status}" for p in outcome.publish if p.status not in ("ok", "waiting")]
        return f"{outcome.date}: not delivered everywhere ({', '.join(waiting) or 'unrecorded'})"
    return ""


def _held(outcome: UnitOutcome, publisher: Publisher) -> bool:
    return any(p.target == publisher.target and p.status == "waiting" for p in outcome.publish)


def _unmet(outcomes: Sequence[UnitOutcome]) -> str:
    """Why units are not done whatever is sent: a day they need left nothing (the plan's next run builds
    them again)."""
    return "; ".join(f"{o.label}: {o.detail}" for o in outcomes if o.detail)


# --- a repository's look-back, in a shared plan --------------------------------------------------------


@dataclass(frozen=True)
class LookBackUnit(BaseUnit):
    """A repository's look-back for late commits, a unit of every `run` (plain or shared: the one path):
    the ``[run] lookback_days`` before today, besides the plan's own days (units of their own), each built
    again when a delivered report of it misses commits that landed late or still owes a target an addendum
    (it failed); its addendum unit (engine/addendum.py) needs it. A plain run builds it with the
    repository's days (one batch: one pass, one listing); a shared plan hands it out alone — a shared
    plan's day is built once for every plan, so without this unit a late commit in a day a plan delivered
    is never found by a plan. Keyed by today: one look-back a day per repository, whatever plan names it;
    a failed one is retried by running the plan again."""

    kind: ClassVar[str] = "look-back"
    job: RepoJob
    date: dt.date  # today, in the repository's timezone
    besides: tuple[dt.date, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"look-back:{self.job.repo_id} {self.date.isoformat()}"

    @property
    def label(self) -> str:
        return f"look-back {self.job.label} {self.date.isoformat()}"

    @property
    def batch(self) -> str:
        return f"days of {self.job.repo_id}"  # with the repository's days: one pass, one listing

    build = DayUnit.build  # with the repository's days: those it finds late (or owing) are built again
    undone = DayUnit.undone


# --- a digest-day --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestUnit(BaseUnit):
    """One ``[[digest]]`` for one date (in the digest's timezone, whatever its repositories' zones):
    built from the stored reports of its repositories (every configured one named, with "no report"
    where there is none), delivered to the digest's publishers."""

    kind: ClassVar[str] = "digest"
    entry: DigestEntry
    index: int  # position in [[digest]], 1-based (for messages naming the key)
    date: dt.date
    repos: tuple[str, ...]  # every configured repository id (the digest's patterns pick among them)
    needs: tuple[str, ...] = ()
    targets: tuple[Publisher, ...] = ()  # chosen by the plan: its publishers (none: the command's outputs)
    builder: str = "dailydiff run"

    @property
    def key(self) -> str:
        return f"{self.entry.ledger_repo} {self.date.isoformat()}"  # digest:<name>: never a repository's id

    @property
    def label(self) -> str:
        return f"digest {self.entry.name} {self.date.isoformat()}"

    unmet = staticmethod(_unmet)

    def build_one(self, context: Context) -> UnitOutcome:
        from dailydiff.engine.addendum import digest_addendum
        from dailydiff.engine.digests import build_digest_day, llm_for_digests
        from dailydiff.render.edition import digest_edition

        settings = context.settings
        with context.own_store() as store:
            digest, source = build_digest_day(store, settings, self.entry, self.date,
                                              llm_for_digests(settings, store), self.repos)  # fmt: skip
            targets = list(self.targets)
            # The targets each repository's days go to ([[repos]] publishers), parallel to the configured ids.
            day_targets = dict(zip(self.repos, (e.publishers for e in settings.repos), strict=False))
            names = {r.repo: day_targets.get(r.repo) for r in digest.repos}
            configured = {
                repo: [p for p in context.available if n is None or p.name in n] for repo, n in names.items()
            }
            configured[self.entry.ledger_repo] = targets
            alerts = (
                delivery_alerts(store, configured, settings.run.alert_after, digest.language)
                if targets
                else []
            )
            edition = digest_edition(digest, settings, day_targets, alerts)
        # A repository's day that arrived after the digest was sent (a later timezone): its addendum.
        then = digest_addendum(digest, settings, targets, settings.run.claim_timeout)
        send = Send(edition, targets, claim_timeout=settings.run.claim_timeout, then=then)
        missing = [r.repo for r in digest.repos if not r.stored]
        figures = {"name": self.entry.name, "language": digest.language, "repos": len(digest.repos),
                   "commits": digest.total, "high": len(digest.high), "overview": source,
                   "missing": missing}  # fmt: skip
        status = EMPTY if not digest.total else BUILT
        # A day of the plan that left no report: the digest is built again once it has one (a re-run).
        unmet = [repo for repo in missing if day_key(repo, self.date) in self.needs]
        return UnitOutcome("digest", self.label, status, date=self.date, repo=self.entry.ledger_repo,
                           figures=figures, key=self.key, edition=edition, sends=[send],
                           detail=f"built without the day of {', '.join(unmet)}" if unmet else "")  # fmt: skip


# --- a repository's week --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekUnit(BaseUnit):
    """A repository's ISO week, built from its stored days, delivered to ``[weekly] publishers``. A week
    whose days are not all stored and settled is held back from chat and e-mail (files show it marked)."""

    kind: ClassVar[str] = "week"
    ref: RepoRef
    settings: Settings
    monday: dt.date
    needs: tuple[str, ...] = ()
    builder: str = "dailydiff run"
    targets: tuple[Publisher, ...] = ()  # chosen by the plan ([weekly] publishers; none: the outputs only)

    @property
    def repo(self) -> str:
        return self.ref.id

    @property
    def date(self) -> dt.date:
        return self.monday

    @property
    def week(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year:04d}-W{week:02d}"

    @property
    def key(self) -> str:
        return f"week:{self.repo} {self.week}"

    @property
    def label(self) -> str:
        return f"week {scrub(self.ref.id)} {self.week}"

    unmet = staticmethod(_unmet)

    def build_one(self, context: Context) -> UnitOutcome:
        from dailydiff.engine.weekly import build_week, edition_of, iso_week

        with context.own_store() as store:
            week = build_week(store, self.repo, iso_week(self.monday), self.settings)
            if week is None:
                return UnitOutcome("week", self.label, NOTHING, date=self.monday, repo=self.repo, key=self.key,
                                   detail=f"no stored day of {self.repo} in {self.week}")  # fmt: skip
            edition = edition_of(store, week, self.settings, self.builder)
        figures = {"week": week.week, "language": week.language, "commits": week.totals.total,
                   "missing_days": [d.isoformat() for d in week.missing_days]}  # fmt: skip
        status = EMPTY if not week.totals.total else BUILT
        send = Send(edition, self.targets, claim_timeout=self.settings.run.claim_timeout)
        return UnitOutcome("week", self.label, status, date=self.monday, repo=self.repo, figures=figures,
                           key=self.key, edition=edition, sends=[send])  # fmt: skip


# --- a stored day (`publish`) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDayUnit(BaseUnit):
    """A repository's day as the store holds it, sent again through the ledger (`publish`): nothing is
    fetched or analysed."""

    kind: ClassVar[str] = "day"
    report: DayReport
    targets: tuple[Publisher, ...]
    needs: tuple[str, ...] = ()

    @property
    def date(self) -> dt.date:
        return self.report.date

    @property
    def key(self) -> str:
        return day_key(self.report.repo, self.report.date)

    @property
    def label(self) -> str:
        return f"{self.report.repo} {self.report.date.isoformat()}"

    unmet = staticmethod(_unmet)

    def build_one(self, context: Context) -> UnitOutcome:
        from dailydiff.render.edition import day_edition

        with context.own_store() as store:
            alerts = delivery_alerts(store, {self.report.repo: context.available}, context.settings.run.alert_after,
                                     self.report.language) if self.targets else []  # fmt: skip
            edition = day_edition(self.report, context.settings, context.options.history, alerts=alerts)
        send = Send(edition, self.targets, claim_timeout=context.settings.run.claim_timeout)
        return UnitOutcome("day", self.label, BUILT, self.report.date, repo=self.report.repo, report=self.report,
                           key=self.key, edition=edition, sends=[send])  # fmt: skip
