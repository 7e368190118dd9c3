"""Days of an already opened source through the one runner (engine/runner.py ``run_plan``): what the tests
of sources, windows and analysers build their reports with. A plan of the repository's day units, no
targets; the source and the analyser the test opened are the ones the engine uses (``RunOptions.opened``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from dailydiff.analysis import Analyzer
from dailydiff.common.dates import DateSpec
from dailydiff.engine.identity import repo_ref
from dailydiff.engine.jobs import adhoc_job
from dailydiff.engine.runner import Plan, run_plan
from dailydiff.engine.stages import DayOutcome
from dailydiff.engine.stream import RunOptions
from dailydiff.engine.units import DayUnit
from dailydiff.models import DayReport
from dailydiff.settings import Settings, WatchTopic
from dailydiff.sources import CommitSource
from dailydiff.store import Store

GATED = {"gated", "kept-previous"}


@dataclass
class RangeOutcome:
    days: list[DayOutcome] = field(default_factory=list)
    fetched: int = 0

    @property
    def reports(self) -> list[DayReport]:
        return [d.report for d in self.days]


def run_days(
    source: CommitSource,
    dates: Sequence[dt.date],
    settings: Settings,
    store: Store,
    analyzer: Analyzer,
    *,
    now: dt.datetime | None = None,
    watch: Sequence[WatchTopic] = (),
) -> RangeOutcome:
    """The reports of ``dates``, each day a unit of one plan run by the runner; a repository that fails
    raises (as `report` does)."""
    job = adhoc_job(repo_ref(settings, source.repo, name=source.repo), settings, watch=watch)
    plan = Plan(jobs=[job], now=now)
    for date in dates:
        plan.add(DayUnit(job, date))
    spec = DateSpec(first=min(dates).isoformat(), last=max(dates).isoformat())
    options = RunOptions(dates=spec, now=now, skip_delivered=False, raise_errors=True,
                         opened={job.key: (source, analyzer)})  # fmt: skip
    outcomes = run_plan(plan, options, [], store, settings)
    days = [
        DayOutcome(o.report, gated=o.status in GATED, kept_previous=o.status == "kept-previous")
        for o in sorted(outcomes, key=lambda o: o.date)
        if o.report is not None and o.date in set(dates)
    ]
    return RangeOutcome(days=days, fetched=outcomes[0].figures.get("fetched", 0) if outcomes else 0)
