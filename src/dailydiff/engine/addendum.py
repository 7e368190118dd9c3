"""Late commits and their addendum: a unit kind of its own, delivered through the one deliver.

A commit is **late** when it lands in a day whose report was already delivered without it (a local commit
made at 23:50 and pushed at 02:30, after the 02:00 run). The day is built again — targets that update in
place (files, GitHub) get the new report — and every chat and e-mail target that had the day gets one
addendum, "2 late commit(s) for 2026-04-23", listing them: an edition of kind ``addendum``
(render/edition.py) sent by ``deliver`` like every unit, keyed ``late:<repo>#<hash of its commits>``, by
its own unit (``AddendumUnit``, below), which needs its day: the day's engine only records the targets that
got the late commits in the day's own report (``told_in_report``).
The ledger also keeps, per target, one row per announced commit (under the day's key, target
``<target>#late:<sha>``), so an addendum never repeats a commit and a commit is never announced twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from dailydiff.engine.base import BaseUnit
from dailydiff.engine.deliver import DeliveryResult, Told, is_delivered, publishers_for
from dailydiff.engine.jobs import RepoJob
from dailydiff.engine.outcome import BUILT, After, Send, UnitOutcome, day_key
from dailydiff.models import DayReport, LateCommit, ReportCommit
from dailydiff.render.edition import UnitKey, addendum_edition, digest_edition

if TYPE_CHECKING:  # the editions are imported where an addendum is sent (start-up is measured)
    from dailydiff.publish.base import Publisher
    from dailydiff.render.digest import DayDigest
    from dailydiff.render.edition import Edition
    from dailydiff.settings import Settings
    from dailydiff.store import Store

_ANNOUNCED = "#late:"


def late_commits(
    store: Store, repo: str, date: dt.date, language: str, commits: Sequence[ReportCommit], now: dt.datetime
) -> list[LateCommit]:
    """The day's commits that a delivered report of the day did not have, each with when it was first
    seen (kept from the stored report across rebuilds). Nothing is late in a day never delivered."""
    previous = store.get_report(repo, date, language)
    if previous is None or previous.partial:
        return []  # an unsettled day's later commits are the day's own, not late
    rows = store.deliveries(repo, date, language)
    if not any(row.state == "delivered" and _ANNOUNCED not in target for target, row in rows.items()):
        return []
    known = {c.sha for c in previous.commits}
    seen = {late.sha: late for late in previous.late}
    first_seen = now.astimezone(dt.UTC).replace(microsecond=0)
    return [
        seen.get(c.sha) or LateCommit(sha=c.sha, first_seen=first_seen)
        for c in commits
        if c.sha not in known or c.sha in seen
    ]


def told_in_report(
    report: DayReport, targets: Sequence[Publisher]
) -> Callable[[Store, list[DeliveryResult]], After]:
    """After the day's own deliveries (one per target): a chat or e-mail target that got the whole report just
    now has its late commits in it, recorded as announced (its addendum unit then owes it none); so has a
    target that updates in place (files, GitHub) whose ledger row is this very report."""

    def told(store: Store, delivered: list[DeliveryResult]) -> After:
        if not report.late:
            return After()
        unit = (report.repo, report.date, report.language)
        rows = []
        for publisher, outcome in zip(targets, delivered, strict=True):
            if publisher.updates_in_place:
                row = store.delivery(*unit, publisher.target)
                if row is None or row.state != "delivered" or row.content_hash != outcome.content_hash:
                    continue
            elif outcome.status != "ok":
                continue
            rows += _told(store, unit, publisher, _late(report), "in the day's report")
        return After(rows)

    return told


def addendum_sends(
    report: DayReport, settings: Settings, targets: Sequence[Publisher], store: Store
) -> list[Send]:
    """Each chat and e-mail target that has the day in the ledger as delivered gets one addendum of the late
    commits it was not told about (a target that got the whole report with them was told then:
    ``told_in_report``); a target whose delivery of the day failed, or that waits for the day to settle, none."""
    if not report.late or report.partial:
        return []
    unit = (report.repo, report.date, report.language)
    late = _late(report)
    sends = []
    for publisher in targets:
        row = None if publisher.updates_in_place else store.delivery(*unit, publisher.target)
        if row is None or row.state != "delivered":
            continue
        untold = [c for c in late if not _announced(store, unit, publisher, c.sha)]
        if not untold:
            continue
        edition = addendum_edition(report, untold, settings)
        rows = _told(store, unit, publisher, untold, f"addendum {edition.key.repo}")
        sends.append(Send(edition, [publisher], (), note=f"addendum ({len(untold)} late commit(s))",
                          claim_timeout=settings.run.claim_timeout, then=_once_sent(edition, publisher, rows)))  # fmt: skip
    return sends


def _once_sent(
    edition: Edition, publisher: Publisher, rows: list[Told]
) -> Callable[[Store, list[DeliveryResult]], After]:
    """The addendum is in the ledger as delivered to ``publisher``: only then are its commits (or days) told.
    A send that did not happen — failed, skipped because the run is stopping, claimed by a process that then
    died — tells nothing: the next start sends it."""

    def told(store: Store, _: list[DeliveryResult]) -> After:
        row = store.delivery(edition.key.repo, edition.key.date, edition.key.language, publisher.target)
        return After(rows if row is not None and row.state == "delivered" else [])

    return told


def _late(report: DayReport) -> list[ReportCommit]:
    late_shas = {lc.sha for lc in report.late}
    return [c for c in report.commits if c.sha in late_shas]


def owes_addendum(store: Store, report: DayReport, targets: Sequence[Publisher]) -> bool:
    """A target that had the day has not been told of one of its late commits yet — a chat or e-mail
    target's addendum failed, or the day was stored again without being sent (`watch`, a push hook) after a
    target that updates in place got it: the day is not up to date, and the next run sends what is owed."""
    unit = (report.repo, report.date, report.language)
    told = list(targets)
    if not report.late or not told:
        return False
    rows = store.deliveries(*unit)
    return any(
        rows.get(p.target) is not None
        and rows[p.target].state == "delivered"
        and not _announced(store, unit, p, late.sha)
        for p in told
        for late in report.late
    )


def _announced(store: Store, unit: tuple[str, dt.date, str], publisher: Publisher, sha: str) -> bool:
    row = store.delivery(*unit, f"{publisher.target}{_ANNOUNCED}{sha}")
    return row is not None and row.state == "delivered"


def _told(store: Store, unit: tuple[str, dt.date, str], publisher: Publisher, commits: Sequence[ReportCommit],
          how: str) -> list[Told]:  # fmt: skip
    """The ledger rows that record ``commits`` announced to ``publisher`` (those not announced yet)."""
    return [Told(unit, f"{publisher.target}{_ANNOUNCED}{c.sha}", publisher.name, c.sha, how)
            for c in commits if not _announced(store, unit, publisher, c.sha)]  # fmt: skip


# --- a digest-day's addendum: a repository whose day arrived after the digest was sent ------------------

_TOLD = "#day:"


def digest_addendum(digest: DayDigest, settings: Settings, targets: Sequence[Publisher],
                   claim_timeout: float) -> Callable[[Store, list[DeliveryResult]], After]:  # fmt: skip
    """A digest-day built again because a day it lacked arrived later (a repository in a later timezone):
    once the digest is sent, each chat and e-mail target that had it gets one addendum of the repositories it
    was sent without. The ledger keeps, per target, one row per repository told (under the digest's key,
    target ``<target>#day:<repo>``): the whole digest sent just now tells every stored one; an addendum never
    repeats one."""
    unit = (f"digest:{digest.name}", digest.date, digest.language)
    stored = [r.repo for r in digest.repos if r.stored]

    def after(store: Store, delivered: list[DeliveryResult]) -> After:
        rows = store.deliveries(*unit)
        done = After()
        for publisher, outcome in zip(targets, delivered, strict=True):
            if publisher.updates_in_place or outcome.status in ("failed", "waiting") or not stored:
                continue
            if not is_delivered(store, UnitKey(*unit), [publisher]):
                continue  # not sent to it (the run was stopped, or another process has it): it is told nothing
            told = {t.split(_TOLD, 1)[1] for t in rows if t.startswith(publisher.target + _TOLD)}
            untold = [repo for repo in stored if repo not in told]
            if not untold:
                continue
            if outcome.status == "ok" or not told:  # the whole digest went out now (or before rows were kept)
                done.told += _told_repos(unit, publisher, untold, "in the digest")
                continue
            edition = digest_addendum_edition(digest, untold, settings)
            then = _once_sent(
                edition, publisher, _told_repos(unit, publisher, untold, f"addendum {edition.key.repo}")
            )
            done.sends.append(Send(edition, [publisher], (), claim_timeout, note=f"addendum ({', '.join(untold)})",
                                   then=then))  # fmt: skip
        return done

    return after


def digest_addendum_edition(digest: DayDigest, repos: Sequence[str], settings: Settings) -> Edition:
    """The digest of ``repos`` alone, for that day: its own ledger key (``digest:<name>#late:<hash>``) and
    a title that names what it adds."""
    import hashlib

    from dailydiff.render.digest import rules_overview

    chosen = set(repos)
    part = digest.model_copy(
        update={
            "repos": [r for r in digest.repos if r.repo in chosen],
            "high": [c for c in digest.high if c.repo in chosen],
            "watch": [c for c in digest.watch if c.repo in chosen],
            "total": sum(r.total for r in digest.repos if r.repo in chosen),
            "late": True,
        }
    )
    part = part.model_copy(update={"overview": rules_overview(part)})  # its own counts, not the night's
    edition = digest_edition(part, settings)
    tag = hashlib.sha256(",".join(sorted(chosen)).encode()).hexdigest()[:16]
    edition.key = UnitKey(f"digest:{digest.name}#late:{tag}", digest.date, digest.language)
    edition.title = f"{edition.title}: {', '.join(repos)}"
    edition.subject = f"{edition.subject}: {', '.join(repos)}"
    return edition


def _told_repos(
    unit: tuple[str, dt.date, str], publisher: Publisher, repos: Sequence[str], how: str
) -> list[Told]:
    return [
        Told(unit, f"{publisher.target}{_TOLD}{repo}", publisher.name, repo, how, at_once=True)
        for repo in repos
    ]


# --- the addendum as a unit: after its day ------------------------------------------------------------------


@dataclass(frozen=True)
class AddendumUnit(BaseUnit):
    """The addendum of a repository's day: it needs its day (``needs``: the day's unit key, or the
    repository's look-back unit for the days a look-back built again) and is built from what the store and
    the ledger then hold: each chat and e-mail target that had the day gets the late commits it was not told
    about (``addendum_sends``), sent by the runner like every edition. Keyed like what it needs: one per
    day unit (``addendum:<repo> <date>``), one per look-back (``addendum:look-back:<repo> <today>``), whose
    days are the ``[run] lookback_days`` before today besides the plan's own."""

    kind: ClassVar[str] = "addendum"
    job: RepoJob
    date: dt.date  # the day (a look-back's: today, in the repository's timezone)
    needs: tuple[str, ...] = ()
    look_back: bool = False
    besides: tuple[dt.date, ...] = ()

    @property
    def key(self) -> str:
        return f"addendum:{'look-back:' if self.look_back else ''}{self.job.repo_id} {self.date.isoformat()}"

    @property
    def label(self) -> str:
        return f"addendum {self.job.label} {self.date.isoformat()}"

    @property
    def days(self) -> list[dt.date]:
        if not self.look_back:
            return [self.date]
        back = self.job.settings.run.lookback_days
        window = [self.date - dt.timedelta(days=n) for n in range(back, -1, -1)]
        return [day for day in window if day not in self.besides]

    @classmethod
    async def build(cls, context: Any, units: Sequence[AddendumUnit]) -> tuple[list[UnitOutcome], str]:
        import asyncio

        outcomes: list[UnitOutcome] = []
        why: list[str] = []
        for unit in units:
            built, undone = await asyncio.to_thread(unit._build, context)
            outcomes += built
            why += undone
        return outcomes, "; ".join(why)

    def _build(self, context: Any) -> tuple[list[UnitOutcome], list[str]]:  # context: engine/units.py's
        """The addenda owed for its days, and why it is not done: a day of it not delivered everywhere yet
        (a shared plan builds that day again, and this unit after it, whatever plan names them)."""
        job, settings = self.job, self.job.settings
        everywhere = publishers_for(job.entry, job.index, context.available)
        targets = [p for p in everywhere if not p.updates_in_place]
        repo = job.repo_id
        if not targets:
            return [], []
        outcomes, undone = [], []
        limit, language = settings.analysis.max_failure_ratio, settings.report.language
        with context.own_store() as store:
            for day in self.days:
                report = store.get_report(repo, day, language)
                if report is None or report.failure_gate(limit).gated:
                    continue  # a gated day is not published: nor is its addendum
                sends = addendum_sends(report, settings, targets, store)
                if sends:
                    outcomes.append(UnitOutcome(self.kind, f"{job.label} {day.isoformat()}", BUILT, date=day,
                                                repo=repo, key=day_key(repo, day), sends=sends))  # fmt: skip
                if (report.late or not self.look_back) and not is_delivered(
                    store, UnitKey(repo, day, language), everywhere
                ):
                    undone.append(f"{job.label} {day.isoformat()}: not delivered everywhere yet")
        return outcomes, undone


def plan_addenda(plan: Any, available: Sequence[Publisher]) -> None:
    """An addendum unit after each day unit and each look-back unit of a repository that has a chat or
    e-mail target (files and GitHub update in place: the rebuilt day is their addendum)."""
    for unit in list(plan.units.values()):
        if unit.kind not in ("day", "look-back"):
            continue
        job, back = unit.job, unit.kind == "look-back"
        if all(p.updates_in_place for p in publishers_for(job.entry, job.index, available)):
            continue
        plan.add(
            AddendumUnit(job, unit.date, (unit.key,), look_back=back, besides=unit.besides if back else ())
        )


def plan_run_addenda(at: Any) -> None:  # at: engine/runner.py's PlanContext
    plan_addenda(at.plan, at.available)
