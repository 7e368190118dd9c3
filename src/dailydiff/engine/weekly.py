"""Weekly digests as units: a repository's ISO week, built from its stored days (no fetching), rendered
once into an edition (render/edition.py) and delivered through the one deliver (engine/deliver.py) and
ledger (key ``week:<repo>``, the week's Monday, the language) — by `run` on the ``[weekly] weekday``
of each week to ``[weekly] publishers``, and by `weekly --publish`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dailydiff.engine.deliver import DeliveryResult, deliver, pick_publishers
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.render.charts import type_counts
from dailydiff.render.edition import Edition, week_edition
from dailydiff.render.week import IsoWeek, WeekDigest, build_digest
from dailydiff.settings import Settings
from dailydiff.store import Store


@dataclass
class WeekOutcome:
    repo: str
    week: str
    language: str
    publish: list[DeliveryResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"repo": self.repo, "week": self.week, "language": self.language,
                "publish": [p.as_dict() for p in self.publish]}  # fmt: skip


def iso_week(date: dt.date) -> IsoWeek:
    year, week, _ = date.isocalendar()
    return IsoWeek(year=year, week=week)


def build_week(store: Store, repo: str, iso: IsoWeek, settings: Settings) -> WeekDigest | None:
    """The week of ``repo`` in its report language, or None when no day of it is stored."""
    language = settings.report.language
    reports = {day: store.get_report(repo, day, language) for day in iso.days}
    if not any(reports.values()):
        return None
    return build_digest(repo, iso, reports, timezone=settings.report.timezone, language=language,
                        top_n=settings.weekly.top_commits)  # fmt: skip


def edition_of(store: Store, week: WeekDigest, settings: Settings) -> Edition:
    """The week's edition; its charts compare its change types with the week before's."""
    before = (
        store.get_report(week.repo, week.start - dt.timedelta(days=7 - i), week.language) for i in range(7)
    )
    stored = [r for r in before if r is not None]
    return week_edition(week, settings, type_counts(stored) if stored else None)


def weekly_publishers(settings: Settings, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers ``[weekly] publishers`` names (every one when it names none)."""
    return pick_publishers(settings.weekly.publishers or None, "weekly.publishers", available)


def deliver_weeks(
    store: Store,
    units: Sequence[tuple[str, Settings, dt.date]],
    available: Sequence[Publisher],
    *,
    force: bool = False,
    secrets: Secrets | None = None,
) -> list[WeekOutcome]:
    """`run`: for each (repository, its settings, a day the run built) that is its ``[weekly] weekday``,
    the week of that day to ``[weekly] publishers``, once per target through the ledger."""
    outcomes = []
    for repo, settings, date in units:
        if not settings.weekly.delivers_on(date):
            continue
        week = build_week(store, repo, iso_week(date), settings)
        if week is None:
            continue
        targets = weekly_publishers(settings, available)
        results = deliver(edition_of(store, week, settings), targets, store, force=force, secrets=secrets,
                          claim_timeout=settings.run.claim_timeout)  # fmt: skip
        outcomes.append(WeekOutcome(repo, week.week, week.language, results))
    return outcomes
