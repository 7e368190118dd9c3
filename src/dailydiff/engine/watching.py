"""One alert pass, for the triggers that are not `run`: `dailydiff watch` (every ``--every``) and `serve`'s
push hooks. A plan of today's day of each repository — built and stored, its report sent nowhere — and the
alert unit after them (engine/alerts.py), through the one runner: the same fetch (conditional requests:
an unchanged branch costs one 304), the same analysis and the same ledger as `run`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dailydiff.common.dates import DateSpec
from dailydiff.common.timewindow import local_date_of
from dailydiff.engine.alerts import add_alerts, alert_topics, silent_days
from dailydiff.engine.jobs import RepoJob, plan_jobs
from dailydiff.engine.outcome import UnitOutcome
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.settings import Settings
from dailydiff.store import Store


def alerting_jobs(settings: Settings, base_dir: Path | None = None) -> list[RepoJob]:
    """The configured repositories with a ``[[watch]]`` topic that alerts."""
    return [job for job in plan_jobs(settings, base_dir=base_dir) if alert_topics(job)]


def job_of_push(jobs: Sequence[RepoJob], repository: str) -> RepoJob | None:
    """The configured repository a push names (GitHub's ``repository.full_name``, GitLab's
    ``project.path_with_namespace``), whatever its source: its id, its ``name``, the forge name of its
    source or the repository its clone URL names — compared without case, as forges do."""
    from dailydiff.sources import forge_name
    from dailydiff.sources.git import web_base_from_remote

    wanted = repository.strip().lower()
    for job in jobs:
        remote = web_base_from_remote(job.source)  # a clone's URL names its repository (a `name` or not)
        names = {job.repo_id, job.entry.name or "", forge_name(job.source) or "", remote[0] if remote else ""}
        if wanted in {n.lower() for n in names if n}:
            return job
    return None


def alert_pass(
    settings: Settings,
    jobs: Sequence[RepoJob],
    store: Store,
    available: Sequence[Publisher],
    now: dt.datetime,
    open_store: Callable[[], Store],
    *,
    build: bool = True,
) -> list[UnitOutcome]:
    """Build yesterday and today of each of ``jobs`` (stored, sent nowhere), then alert what fires;
    ``build=False``: alert from what is stored (held alerts whose quiet hours ended)."""
    from dailydiff.engine.runner import Plan

    plan = Plan()
    if build:
        silent_days(plan, jobs, now)
    add_alerts(plan, jobs, now)
    return _run(plan, settings, store, available, now, open_store)


def build_days(
    settings: Settings,
    days: Sequence[tuple[RepoJob, dt.date]],
    store: Store,
    now: dt.datetime,
    open_store: Callable[[], Store],
) -> list[UnitOutcome]:
    """Build and store these days (sent nowhere, nothing alerted): what `watch test` judges commits in."""
    from dailydiff.engine.runner import Plan

    plan = Plan()
    for job, date in days:
        silent_days(plan, [job], now, date)
    return _run(plan, settings, store, [], now, open_store)


def _run(plan: Any, settings: Settings, store: Store, available: Sequence[Publisher], now: dt.datetime,
         open_store: Callable[[], Store]) -> list[UnitOutcome]:  # fmt: skip
    from dailydiff.engine.runner import run_plan
    from dailydiff.engine.stream import RunOptions

    today = local_date_of(now, settings.report.timezone)
    options = RunOptions(dates=DateSpec(date=today.isoformat()), now=now, skip_delivered=False,
                         concurrency=settings.run.concurrency, secrets=Secrets(os.environ), keep_commits=False,
                         open_store=open_store, lookback=False)  # fmt: skip
    return run_plan(plan, options, available, store, settings)


def judge_commits(
    settings: Settings,
    base_dir: Path | None,
    store: Store,
    topic_name: str,
    shas: Sequence[str],
    open_store: Callable[[], Store],
) -> tuple[list[str], list[str]]:
    """`watch test`: one line per commit — whether ``topic_name`` fires and why — judged the way the alert
    pass judges it (the stored day's level and types, the stored commit's patches); a day not stored yet is
    built first (stored, sent nowhere). Returns the lines and the shas no configured repository has."""
    from dailydiff.common.dates import clock
    from dailydiff.common.text import clean
    from dailydiff.errors import UsageError
    from dailydiff.scoring.alerting import verdict
    from dailydiff.sources import open_source

    topics = {t.name: t for t in settings.watch}
    if topic_name not in topics:
        raise UsageError(f"no [[watch]] topic named {topic_name!r}", f"topics: {', '.join(topics) or 'none'}")
    topic = topics[topic_name]
    jobs = [job for job in plan_jobs(settings, base_dir=base_dir) if topic in job.topics]
    sources: dict[str, Any] = {}
    found: list[tuple[RepoJob, str, dt.date]] = []
    missing: list[str] = []
    for sha in shas:
        for job in jobs:
            if job.repo_id not in sources:
                sources[job.repo_id] = open_source(job.source, job.settings, job.source_options, store)
            landed = sources[job.repo_id].landed(sha)
            if landed is not None:
                found.append((job, landed[0], local_date_of(landed[1], job.settings.report.timezone)))
                break
        else:
            missing.append(sha)

    def stored(job: RepoJob, full: str, date: dt.date) -> Any:
        report = store.get_report(job.repo_id, date, job.settings.report.language)
        hit = [rc for rc in report.commits if rc.sha == full] if report is not None else []
        return (report, hit[0]) if hit else None

    unbuilt = sorted({(job.index, date) for job, full, date in found if stored(job, full, date) is None})
    if unbuilt:
        by_index = {job.index: job for job, _full, _date in found}
        build_days(
            settings, [(by_index[i], d) for i, d in unbuilt], store, clock(settings.run.now), open_store
        )
    lines = []
    for job, full, date in found:
        hit = stored(job, full, date)
        if hit is None:
            lines.append(f"{full[:12]}  {job.label}  ?      {topic.name}: the day {date} could not be built")
            continue
        report, rc = hit
        commit = store.get_commit(report.repo, full) or rc
        types = [t.value for t in rc.analysis.change_types] if rc.analysis is not None else []
        judged = verdict(commit, topic, rc.level, types)
        mark = "fires" if judged.fires else "no   "
        lines.append(clean(f"{full[:12]}  {job.label}  {mark}  {topic.name}: {judged.line()}"))
    return lines, missing
