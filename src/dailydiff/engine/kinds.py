"""The table of unit kinds: each kind, its unit class and its planner, as ``module:name`` strings imported only
when a plan has units of it (start-up is measured), with when a plan has any (read from what the plan is made
of, without importing the kind's modules).

``plan_run`` (engine/runner.py) runs the planners of the kinds a `run` plans beside its days in this order (a
kind's units may need the ones before); the kinds without one are planned by their command (``PLANNERS`` in
engine/commands.py). A new kind adds its own module — its unit class on ``BaseUnit`` (engine/base.py), its
planner, its edition builder — and its row here: nothing else in engine/ changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PlanContext = Any  # engine/runner.py's PlanContext: what a kind's units are planned from


@dataclass(frozen=True)
class Kind:
    unit: str  # "module:Class", the unit class
    planner: str = ""  # "module:function", given the run's PlanContext ('': its command plans it)
    # Whether the run has any (its modules not loaded else); None: whenever it has a planner.
    wanted: Callable[[PlanContext], bool] | None = None

    def plan(self, at: PlanContext) -> None:
        if self.planner and (self.wanted is None or self.wanted(at)):
            load(self.planner)(at)


def load(where: str) -> Any:
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)


KINDS: dict[str, Kind] = {
    "day": Kind("dailydiff.engine.units:DayUnit"),  # the plan's own days: `run`, `report`, `watch`
    "look-back": Kind("dailydiff.engine.units:LookBackUnit"),  # planned with the days
    "addendum": Kind("dailydiff.engine.addendum:AddendumUnit", "dailydiff.engine.addendum:plan_run_addenda"),
    "alert": Kind(
        "dailydiff.engine.alerts:AlertUnit",
        "dailydiff.engine.alerts:plan_alerts",
        lambda at: any(topic.alert for job in at.jobs for topic in job.topics),
    ),
    "digest": Kind("dailydiff.engine.units:DigestUnit", "dailydiff.engine.runner:plan_digests"),
    "week": Kind("dailydiff.engine.units:WeekUnit", "dailydiff.engine.runner:plan_weeks"),
    "release": Kind(  # `run` with [notes] on_tag, and `notes`
        "dailydiff.engine.release:ReleaseUnit",
        "dailydiff.engine.release:plan_releases",
        lambda at: any(job.settings.notes.on_tag for job in at.jobs),
    ),
    "stored-day": Kind("dailydiff.engine.units:StoredDayUnit"),  # `publish`
    "site": Kind("dailydiff.engine.site:SiteUnit"),  # `site build`
    "watch-test": Kind("dailydiff.engine.watching:TestUnit"),  # `watch test`
}
