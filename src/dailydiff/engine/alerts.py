"""Alerts: the commits a ``[[watch]]`` topic with ``alert = [...]`` fires for, sent at once to those targets.

**One unit kind, three triggers.** ``AlertUnit`` reads the stored days of its repositories (today and
yesterday in each one's timezone: what the day units of the same plan just built), finds every commit ×
topic that fires (scoring/alerting.py; every commit of those two days, each repository's in its own zone,
and none of an older day, so turning alerts on never floods a channel with history), and returns an edition
for each to each target, which the runner sends through the one ``deliver`` and the delivery ledger, keyed
``alert:<repo>@<sha>#<topic>`` × target: sent exactly once whatever triggers it —
`run` (a plan's days, then this unit: after the day's report, which marks commits alerted by an earlier
trigger), `dailydiff watch` (cli/watch.py: yesterday and today built without their report being sent, then
this unit) or `serve`'s push hooks (web/hooks.py, the same plan; engine/watching.py).

Per target, in one pass:

- each target is sent its alerts in its own language, and judges quiet hours in its own timezone (``[[publish]]
  language``/``timezone``; else the repository's ``[report]`` ones);
- alerts of a topic in its quiet hours (``quiet``) wait; once the hours end, those committed during them go
  out as **one** message;
- at most ``max_per_hour`` single alerts an hour go to a target (the least of its topics'); more become one
  folded message listing them (one fold an hour; later ones wait for the next hour);
- a folded message has a ledger row of its own (``alerts:<publisher>#<hash>``); each alert it carries is
  recorded delivered with the hash ``folded:…`` (nothing more is sent for it).

Time is the store's clock, or ``[run] now`` when set (tests and replays), never the machine's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from dailydiff.common.timewindow import local_date_of
from dailydiff.engine.base import BaseUnit, Context
from dailydiff.engine.deliver import DeliveryResult, Told, pick_publishers
from dailydiff.engine.jobs import RepoJob
from dailydiff.engine.outcome import BUILT, NOTHING, After, Send, UnitOutcome
from dailydiff.engine.units import DayUnit
from dailydiff.models import DayReport, ReportCommit
from dailydiff.publish.base import Publisher
from dailydiff.render.alert import AlertItem, alert_edition, folded_edition
from dailydiff.scoring.alerting import commit_types, last_quiet_window, quiet_window, verdict
from dailydiff.settings import WatchTopic
from dailydiff.settings.publishers import entry_names
from dailydiff.store import Delivery, Store

log = logging.getLogger("dailydiff.alerts")

HOUR = dt.timedelta(hours=1)
FOLDED = "folded:"  # the ledger hash of an alert sent inside a folded message


def alert_topics(job: RepoJob) -> list[WatchTopic]:
    return [t for t in job.topics if t.alert]


@dataclass(frozen=True)
class AlertUnit(BaseUnit):
    """The alerts of some repositories' stored days, as one unit (see the module's docstring)."""

    kind: ClassVar[str] = "alert"
    jobs: tuple[RepoJob, ...]
    date: dt.date  # the day of the plan (its key)
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"alerts {self.date.isoformat()}"

    def build_one(self, context: Context) -> UnitOutcome:
        with context.own_store() as store:
            now = context.options.now or store.clock()
            items = find_alerts(store, self.jobs, now)
            sends, held = alert_sends(store, items, topic_index(self.jobs), context.available, now,
                                      targets=target_preferences(context.settings))  # fmt: skip
        for send in sends:
            send.claim_timeout = context.settings.run.claim_timeout
        figures = {"alerts": len(items), "single": 0, "folded": 0, "held": held, "messages": 0}
        return UnitOutcome(self.kind, self.label, BUILT if items else NOTHING, self.date, figures=figures,
                           key=self.key, sends=sends)  # fmt: skip


def add_alerts(plan: Any, jobs: Sequence[RepoJob], now: dt.datetime) -> None:
    """The plan's alert unit (the one registration in ``plan_run``): after every day of the plan, over the
    repositories with a topic that alerts; nothing when none does."""
    alerting = tuple(job for job in jobs if alert_topics(job))
    if not alerting:
        return

    ids = {job.repo_id for job in alerting}
    days = [unit for unit in plan.days() if unit.job.repo_id in ids]
    older = sorted({u.date for u in days
                    if u.date < local_date_of(now, u.job.settings.report.timezone) - dt.timedelta(days=1)})  # fmt: skip
    if older:  # a backfill alerts nothing of its older days: said, so that no one waits for those alerts
        span = ", ".join(map(str, older)) if len(older) <= 3 else f"{older[0]} … {older[-1]}"
        plan.notes.append(f"alerts: the commits of {len(older)} day(s) before yesterday ({span}) are not alerted; "
                          "[[watch]] alert covers yesterday and today")  # fmt: skip
    plan.add(AlertUnit(alerting, now.astimezone(dt.UTC).date(), tuple(unit.key for unit in days)))


def plan_alerts(at: Any) -> None:  # at: engine/runner.py's PlanContext
    add_alerts(at.plan, at.jobs, at.span.now)


def silent_days(plan: Any, jobs: Sequence[RepoJob], now: dt.datetime, date: dt.date | None = None) -> None:
    """Yesterday and today (or ``date``) of each repository (in its timezone), built and stored but sent
    nowhere: what `watch` and the push hooks alert from (the day's report is `run`'s to send, with each
    commit's pull request: a keyword in a pull request's title or labels alerts from `run`)."""
    for job in jobs:
        # No pull-request lookups: an unchanged branch then costs one request (a 304) a look; `run` adds them.
        github = job.settings.github.model_copy(update={"pull_requests": False})
        quiet = replace(job, entry=job.entry.model_copy(update={"publishers": []}),
                        settings=job.settings.model_copy(update={"github": github}))  # fmt: skip
        today = local_date_of(now, job.settings.report.timezone)
        # Yesterday too (one listing with today's): a commit made before midnight and pushed after it.
        for day in [date] if date else [today - dt.timedelta(days=1), today]:
            plan.add(DayUnit(quiet, day))


# --- finding -----------------------------------------------------------------------------------------------


def alert_types(rc: ReportCommit) -> list[str]:
    """The commit's change types, as its analysis gives them (none without one)."""
    return [t.value for t in rc.analysis.change_types] if rc.analysis is not None else []


def find_alerts(store: Store, jobs: Sequence[RepoJob], now: dt.datetime) -> list[AlertItem]:
    """Every commit × alerting topic that fires, in the stored days (today and yesterday, in each
    repository's timezone) of ``jobs``; oldest first."""
    items: list[AlertItem] = []
    for job in jobs:
        topics = alert_topics(job)
        if not topics:
            continue
        report_settings = job.settings.report
        today = local_date_of(now, report_settings.timezone)
        for date in (today - dt.timedelta(days=1), today):
            report = store.get_report(job.repo_id, date, report_settings.language)
            if report is not None:
                items += _fired(store, report, topics, now)
    return sorted(items, key=lambda i: (i.committed_at, i.repo, i.sha, i.topic))


def _fired(
    store: Store, report: DayReport, topics: Sequence[WatchTopic], now: dt.datetime
) -> list[AlertItem]:
    found = []
    for rc in report.commits:
        if rc.committed_at > now + HOUR:
            continue  # a clock that runs ahead is not news yet
        commit = store.get_commit(report.repo, rc.sha) or rc  # the stored commit has its patches (diff rules)
        for topic in topics:
            judged = verdict(commit, topic, rc.level, alert_types(rc))
            if judged.fires:
                found.append(item_of(rc, report, topic.name, judged.reasons))
    return found


def item_of(rc: ReportCommit, report: DayReport, topic: str, why: Sequence[str]) -> AlertItem:
    return AlertItem(repo=report.repo, sha=rc.sha, topic=topic, why=tuple(why), title=rc.title, level=rc.level,
                     types=tuple(commit_types(rc, alert_types(rc))),
                     summary=rc.analysis.summary if rc.analysis is not None else "", url=rc.url,
                     committed_at=rc.committed_at, date=report.date, language=report.language,
                     timezone=report.timezone)  # fmt: skip


# --- sending -----------------------------------------------------------------------------------------------


def target_preferences(settings: Any) -> dict[str, tuple[str, str]]:
    """Each [[publish]] entry's alert language and timezone, by its name ('' where it keeps the repository's)."""
    return {name: (entry.language, entry.timezone)
            for name, entry in zip(entry_names(settings.publish), settings.publish, strict=True)}  # fmt: skip


def topic_index(jobs: Sequence[RepoJob]) -> dict[str, WatchTopic]:
    return {t.name: t for job in jobs for t in job.topics}


class _Target:
    """One target's pass: its ledger rows for the alerts it is owed, and what it may be sent this hour."""

    def __init__(self, store: Store, publisher: Publisher, items: Sequence[AlertItem]) -> None:
        # The ledger's times are the store's clock: the hour is judged by it too.
        now = store.clock()
        self.rows: dict[str, Delivery | None] = {
            i.ledger_repo: store.delivery(i.ledger_repo, i.date, i.language, publisher.target) for i in items
        }
        recent = [
            r for r in self.rows.values() if r and r.state == "delivered" and r.updated_at >= now - HOUR
        ]
        self.singles_this_hour = sum(not r.content_hash.startswith(FOLDED) for r in recent)
        self.folded_this_hour = any(r.content_hash.startswith(FOLDED) for r in recent)

    def owed(self, item: AlertItem) -> bool:
        row = self.rows[item.ledger_repo]
        return row is None or row.state != "delivered"


def alert_sends(
    store: Store,
    items: Sequence[AlertItem],
    topics: Mapping[str, WatchTopic],
    available: Sequence[Publisher],
    now: dt.datetime,
    *,
    targets: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[list[Send], int]:
    """What ``items`` (each of a topic in ``topics``) send to the targets their topics name, each in the
    target's language and judged by its timezone (``targets``: name -> (language, timezone), '' for the
    repository's), and how many wait; ``now`` judges quiet hours (the hour of bursts is the ledger's: the
    store's clock). The runner sends them."""
    sends: list[Send] = []
    held = 0
    publishers = {p.name: p for p in available}
    for name, owed_items in _by_target(items, topics, available, targets or {}).items():
        held += _sends_to(store, publishers[name], owed_items, topics, now, sends)
    return sends, held


def _by_target(items: Sequence[AlertItem], topics: Mapping[str, WatchTopic], available: Sequence[Publisher],
               targets: Mapping[str, tuple[str, str]]) -> dict[str, list[AlertItem]]:  # fmt: skip
    """Each alert once per target its topic names, in the target's language and timezone."""
    by_target: dict[str, list[AlertItem]] = {}
    for item in items:
        topic = topics[item.topic]
        for publisher in pick_publishers(topic.alert, f"watch {topic.name!r} alert", available):
            language, timezone = targets.get(publisher.name, ("", ""))
            own = replace(item, language=language or item.language, timezone=timezone or item.timezone)
            by_target.setdefault(publisher.name, []).append(own)
    return by_target


def _sends_to(store: Store, publisher: Publisher, owed_items: list[AlertItem], topics: Mapping[str, WatchTopic],
              now: dt.datetime, sends: list[Send]) -> int:  # fmt: skip
    """One target's alerts: those quiet hours hold now wait; those quiet hours held, one message; the rest
    one message each up to the topic's hourly most, the overflow folded into one (one an hour). Returns how
    many wait."""
    target = _Target(store, publisher, owed_items)
    rest, held = _past_quiet_hours(publisher, [i for i in owed_items if target.owed(i)], topics, now, sends)
    most = min(topics[i.topic].max_per_hour for i in owed_items)
    budget = max(0, most - target.singles_this_hour)
    sends += [Send(alert_edition(item), [publisher], then=_single) for item in rest[:budget]]
    overflow = rest[budget:]
    if overflow and not target.folded_this_hour:
        sends.append(_fold(publisher, overflow, most=most))
    elif overflow:
        held += len(overflow)  # one folded message an hour: the rest waits for the next
    return held


def _past_quiet_hours(publisher: Publisher, owed: list[AlertItem], topics: Mapping[str, WatchTopic],
                      now: dt.datetime, sends: list[Send]) -> tuple[list[AlertItem], int]:  # fmt: skip
    """What quiet hours held, folded into one message each (added to ``sends``); the alerts left to send
    and how many quiet hours hold now."""
    quiet_now = [i for i in owed if quiet_window(topics[i.topic].quiet, now, i.timezone)]
    ended = _quiet_ended(owed, quiet_now, topics, now)
    sends += [_fold(publisher, held, quiet=quiet) for quiet, held in ended.items()]  # what quiet hours held
    folded_now = {id(i) for held in ended.values() for i in held}
    return [i for i in owed if i not in quiet_now and id(i) not in folded_now], len(quiet_now)


def _single(store: Store, results: list[DeliveryResult]) -> After:
    ok = int(results[0].status == "ok")
    return After(figures={"single": ok, "messages": ok})


def _quiet_ended(owed: Sequence[AlertItem], quiet_now: Sequence[AlertItem], topics: Mapping[str, WatchTopic],
                 now: dt.datetime) -> dict[str, list[AlertItem]]:  # fmt: skip
    """The alerts whose commit landed in quiet hours that have ended, by quiet window."""
    ended: dict[str, list[AlertItem]] = {}
    for item in owed:
        if item in quiet_now:
            continue
        window = last_quiet_window(topics[item.topic].quiet, now, item.timezone)
        if window is not None and window[0] <= item.committed_at < window[1]:
            ended.setdefault(topics[item.topic].quiet, []).append(item)
    return ended


def _fold(publisher: Publisher, items: Sequence[AlertItem], *, quiet: str = "", most: int = 0) -> Send:
    """Several alerts as one message to ``publisher``; once it is delivered, each alert is recorded
    delivered in it (a failed one is folded again by the next pass)."""
    first = items[0]
    edition = folded_edition(publisher.name, items, quiet=quiet, most=most, date=first.date,
                             language=first.language)  # fmt: skip

    def told(store: Store, results: list[DeliveryResult]) -> After:
        key = edition.key
        row = store.delivery(key.repo, key.date, key.language, publisher.target)
        if row is None or row.state != "delivered":
            return After()
        marker = FOLDED + key.repo
        rows = [Told((i.ledger_repo, i.date, i.language), publisher.target, publisher.name, marker,
                     f"folded into {edition.title}", sent=False) for i in items]  # fmt: skip
        return After(rows, {"folded": len(items), "messages": int(results[0].status == "ok")})

    return Send(edition, [publisher], then=told)
