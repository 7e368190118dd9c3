"""One alert pass, for the triggers that are not `run`: `dailydiff watch` (every ``--every``) and `serve`'s
push hooks. A plan of today's day of each repository — built and stored, its report sent nowhere — and the
alert unit after them (engine/alerts.py), through the one runner: the same fetch (conditional requests:
an unchanged branch costs one 304), the same analysis and the same ledger as `run`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from dailydiff.common.text import clean
from dailydiff.common.timewindow import local_date_of
from dailydiff.engine.alerts import add_alerts, alert_topics, alert_types, silent_days
from dailydiff.engine.base import BaseUnit
from dailydiff.engine.jobs import RepoJob, plan_jobs
from dailydiff.engine.outcome import BUILT, UnitOutcome
from dailydiff.engine.runner import Plan
from dailydiff.errors import UsageError
from dailydiff.scoring.alerting import verdict
from dailydiff.settings import Settings, WatchTopic
from dailydiff.sources import open_source
from dailydiff.store import Store


def alerting_jobs(settings: Settings, base_dir: Path | None = None) -> list[RepoJob]:
    """The configured repositories with a ``[[watch]]`` topic that alerts."""
    return [job for job in plan_jobs(settings, base_dir=base_dir) if alert_topics(job)]


def job_of_push(jobs: Sequence[RepoJob], repository: str) -> RepoJob | None:
    """The configured repository a push names (GitHub's ``repository.full_name``, GitLab's
    ``project.path_with_namespace``), whatever its source: its id, its ``name``, the forge name of its
    source or the repository its clone URL names — compared without case, as forges do."""
    wanted = repository.strip().lower()
    return next((job for job in jobs if wanted in job.ref.aliases(job.entry.name)), None)


def alert_plan(jobs: Sequence[RepoJob], now: dt.datetime, *, build: bool = True) -> Any:
    """Yesterday and today of each of ``jobs`` (stored, sent nowhere; ``build=False``: none), then the alert
    unit after them: what `watch` (engine/commands.py) and the push hooks run."""
    plan = Plan(jobs=list(jobs), now=now)
    if build:
        silent_days(plan, jobs, now)
    add_alerts(plan, jobs, now)
    return plan


Found = tuple[RepoJob, str, dt.date]  # a commit of `watch test`: its repository, full sha and day there


def test_plan(settings: Settings, base_dir: Path | None, store: Store, topic_name: str, shas: Sequence[str],
              now: dt.datetime) -> Any:  # fmt: skip
    """`watch test`: the days of the commits not stored yet (built and stored, sent nowhere), then one unit
    that judges every commit found (``TestUnit``); the plan's ``missing``: the shas no configured
    repository has."""
    topics = {t.name: t for t in settings.watch}
    if topic_name not in topics:
        raise UsageError(f"no [[watch]] topic named {topic_name!r}", f"topics: {', '.join(topics) or 'none'}")
    topic = topics[topic_name]
    jobs = [job for job in plan_jobs(settings, base_dir=base_dir) if topic in job.topics]
    sources: dict[str, Any] = {}
    found: list[Found] = []
    plan = Plan(jobs=jobs, now=now)
    for sha in shas:
        for job in jobs:
            if job.repo_id not in sources:
                sources[job.repo_id] = open_source(job.source, job.settings, job.source_options, store)
            landed = sources[job.repo_id].landed(sha)
            if landed is not None:
                found.append((job, landed[0], local_date_of(landed[1], job.settings.report.timezone)))
                break
        else:
            plan.missing.append(sha)
    for job, full, date in found:
        if _stored(store, job, full, date) is None:
            silent_days(plan, [job], now, date)
    if found:
        plan.add(TestUnit(topic, tuple(found), now.date(), tuple(u.key for u in plan.days())))
    return plan


def _stored(store: Store, job: RepoJob, full: str, date: dt.date) -> Any:
    report = store.get_report(job.repo_id, date, job.settings.report.language)
    hit = [rc for rc in report.commits if rc.sha == full] if report is not None else []
    return (report, hit[0]) if hit else None


@dataclass(frozen=True)
class TestUnit(BaseUnit):
    """`watch test`: whether ``topic`` fires for each commit found, and why — judged the way the alert unit
    judges it (the stored day's level and types, the stored commit's patches); nothing is sent. Its lines
    are its outcome's ``figures["lines"]``."""

    __test__ = False  # not a pytest class
    kind: ClassVar[str] = "watch-test"
    topic: WatchTopic
    found: tuple[Found, ...]
    date: dt.date
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"watch-test {self.topic.name}"

    def build_one(self, context: Any) -> UnitOutcome:
        lines, topic = [], self.topic
        with context.own_store() as store:
            for job, full, date in self.found:
                hit = _stored(store, job, full, date)
                if hit is None:
                    lines.append(
                        f"{full[:12]}  {job.label}  ?      {topic.name}: the day {date} could not be built"
                    )
                    continue
                report, rc = hit
                commit = store.get_commit(report.repo, full) or rc
                judged = verdict(commit, topic, rc.level, alert_types(rc))
                mark = "fires" if judged.fires else "no   "
                lines.append(clean(f"{full[:12]}  {job.label}  {mark}  {topic.name}: {judged.line()}"))
        return UnitOutcome(self.kind, self.label, BUILT, self.date, key=self.key, figures={"lines": lines})
