"""`dailydiff run`: every planned repository, concurrently (bounded), each in its own thread with its own
store connection; every day built, then handed to the publishers.

Resumable by construction: analyses are stored the moment they are made (the pipeline), a day whose
publishers all delivered it already is skipped before anything is fetched or built, and each delivery is
recorded as it happens. Killing a run at any point and starting it again redoes nothing that finished.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from dailydiff.analysis import make_analyzer
from dailydiff.engine.dates import DateSpec
from dailydiff.engine.plan import RepoJob, redact, share_limits
from dailydiff.engine.publishing import Publisher, PublishResult, TracksItsOwnOutput, publishers_for
from dailydiff.engine.stages import DayOutcome, build_reports, failure_ratio
from dailydiff.errors import DailyDiffError, SourceError
from dailydiff.models import DayReport
from dailydiff.sources import SourceOptions, open_source, source_kind
from dailydiff.store import Store, open_store

log = logging.getLogger("dailydiff.run")
DELIVERED = {"ok", "skipped"}  # a publisher that had nothing to do (unchanged content) has delivered


@dataclass(frozen=True)
class RunOptions:
    dates: DateSpec
    force: bool = False
    concurrency: int = 4
    now: dt.datetime | None = None  # the generation time written into reports (tests pin it)


@dataclass
class DayResult:
    date: dt.date
    status: str  # "built", "up-to-date", "gated" (too many failed analyses: not published), "kept-previous"
    report: DayReport | None = None
    publish: list[PublishResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date": self.date.isoformat(), "status": self.status}
        if self.report is not None:
            r = self.report
            data.update(
                commits=r.stats.total, high=r.stats.high, medium=r.stats.medium, low=r.stats.low,
                watched=sum(1 for c in r.commits if c.watch), analysed=r.run.analysed, cached=r.run.cached,
                fallback=r.run.fallback, failed=r.run.failed, failures=r.run.failures,
                prompt_tokens=r.run.prompt_tokens, completion_tokens=r.run.completion_tokens, cost=r.run.cost,
            )  # fmt: skip
        data["publish"] = [p.as_dict() for p in self.publish]
        return data


@dataclass
class RepoResult:
    key: str
    source: str
    repo: str | None = None
    status: str = "ok"  # "ok", "failed" (see error), "partial" (a publisher failed), "gated"
    error: str | None = None
    days: list[DayResult] = field(default_factory=list)
    duration_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.key,
            "source": self.source,
            "repo": self.repo,
            "status": self.status,
            "error": self.error,
            "duration_seconds": self.duration_seconds,
            "days": [d.as_dict() for d in self.days],
        }


class _RepoIds:
    """Two entries must not end up as the same repository id (their reports would overwrite each other)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, str] = {}

    def claim(self, repo: str, key: str) -> None:
        with self._lock:
            owner = self._owners.setdefault(repo, key)
        if owner != key:
            raise SourceError(
                f"{key} and {owner} are both the repository {repo!r}",
                "give one of the [[repos]] entries a distinct name",
            )


def run_jobs(jobs: list[RepoJob], options: RunOptions, available: list[Publisher]) -> list[RepoResult]:
    ids = _RepoIds()
    if not jobs:
        return []
    workers = max(1, min(options.concurrency, len(jobs)))
    jobs = [replace(job, settings=share_limits(job.settings, workers)) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dailydiff-repo") as pool:
        futures = [pool.submit(run_job, job, options, available, ids) for job in jobs]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def run_job(
    job: RepoJob, options: RunOptions, available: list[Publisher], ids: _RepoIds | None = None
) -> RepoResult:
    started = time.monotonic()
    result = RepoResult(key=job.label, source=redact(job.entry.source))
    extra = {"repo": job.label}
    log.info("start", extra=extra)
    try:
        store = open_store(job.settings)
    except DailyDiffError as exc:
        return _failed(result, str(exc), started, extra)
    try:
        _run(job, options, available, ids or _RepoIds(), store, result)
    except DailyDiffError as exc:
        return _failed(result, str(exc), started, extra)
    except Exception as exc:
        log.debug("internal error", exc_info=True, extra=extra)
        return _failed(result, f"internal error: {type(exc).__name__}: {exc}", started, extra)
    finally:
        store.close()
    result.duration_seconds = round(time.monotonic() - started, 3)
    statuses = {p.status for d in result.days for p in d.publish}
    if "failed" in statuses:
        result.status = "partial"
    elif any(d.status in {"gated", "kept-previous"} for d in result.days):
        result.status = "gated"
    log.info(
        "done: %s; %d day(s) built, %d up to date",
        result.status,
        sum(d.status != "up-to-date" for d in result.days),
        sum(d.status == "up-to-date" for d in result.days),
        extra=extra,
    )
    return result


def _failed(result: RepoResult, error: str, started: float, extra: dict[str, str]) -> RepoResult:
    result.status = "failed"
    result.error = redact(error)
    result.duration_seconds = round(time.monotonic() - started, 3)
    log.error("failed: %s", result.error, extra=extra)
    return result


def _run(
    job: RepoJob,
    options: RunOptions,
    available: list[Publisher],
    ids: _RepoIds,
    store: Store,
    result: RepoResult,
) -> None:
    settings = job.settings
    extra = {"repo": job.label}
    publishers = publishers_for(job.entry, job.index, available)
    tz, language = settings.report.timezone, settings.report.language
    dates = options.dates.resolve(tz, options.now)
    log.debug(
        "source %s; days %s … %s; timezone %s; language %s; analyser %s; publishers %s",
        redact(job.source), dates[0], dates[-1], tz, language, settings.analysis.analyzer,
        ", ".join(p.name for p in publishers) or "none", extra=extra,
    )  # fmt: skip
    # GitHub repositories are named owner/name; `name` renames local clones and URLs only.
    name = None if source_kind(job.source) == "github" else job.entry.name
    wanted = SourceOptions(name=name, branch=settings.git.branch, all_branches=settings.git.all_branches)
    source = open_source(job.source, settings, wanted, store)
    ids.claim(source.repo, job.key)
    result.repo = source.repo
    todo = []
    for date in dates:
        ratio = settings.analysis.max_failure_ratio
        if not options.force and _delivered(store, publishers, source.repo, date, language, tz, ratio):
            result.days.append(DayResult(date, "up-to-date"))
        else:
            todo.append(date)
    if not todo:
        log.info("every day is up to date", extra=extra)
        return
    log.info("building %d day(s): %s … %s", len(todo), todo[0], todo[-1], extra=extra)
    analyzer = make_analyzer(settings.analysis.analyzer, settings)
    outcome = build_reports(source, todo, settings, store, analyzer, watch=job.topics, now=options.now)
    for day in outcome.days:
        result.days.append(_publish_day(day, publishers, store, options.force, extra))
    result.days.sort(key=lambda d: d.date)


def _delivered(
    store: Store,
    publishers: list[Publisher],
    repo: str,
    date: dt.date,
    language: str,
    tz: str,
    max_failure_ratio: float,
) -> bool:
    if not publishers:  # nothing to deliver to: done once a report is stored that passed the gate
        stored = store.get_report(repo, date, language)
        return stored is not None and failure_ratio(stored) <= max_failure_ratio
    recorded = store.deliveries(repo, date, language)
    for publisher in publishers:
        if isinstance(publisher, TracksItsOwnOutput):
            if not publisher.delivered(repo, date, language, tz):
                return False
        elif recorded.get(publisher.name) not in DELIVERED:
            return False
    return True


def _publish_day(
    day: DayOutcome, publishers: list[Publisher], store: Store, force: bool, extra: dict[str, str]
) -> DayResult:
    report = day.report
    if day.kept_previous or day.gated:
        status = "kept-previous" if day.kept_previous else "gated"
        log.warning("%s: too many failed analyses; not published", report.date, extra=extra)
        skipped = [
            PublishResult(p.name, "skipped", "too many failed analyses", type=_type(p)) for p in publishers
        ]
        return DayResult(report.date, status, report, skipped)
    results = []
    recorded = store.deliveries(report.repo, report.date, report.language)
    for publisher in publishers:
        if not force and _already(publisher, recorded, report):
            results.append(
                PublishResult(publisher.name, "skipped", "already delivered", type=_type(publisher))
            )
            continue
        try:
            outcome = publisher.publish(report)
        except DailyDiffError as exc:
            outcome = PublishResult(publisher.name, "failed", str(exc), type=_type(publisher))
        except Exception as exc:  # one publisher failing never stops the others
            log.debug("publisher error", exc_info=True, extra=extra)
            outcome = PublishResult(
                publisher.name, "failed", f"{type(exc).__name__}: {exc}", type=_type(publisher)
            )
        if not isinstance(publisher, TracksItsOwnOutput):
            store.record_delivery(
                report.repo, report.date, report.language, publisher.name, outcome.status, outcome.detail
            )
        if outcome.status == "failed":
            log.error("%s: publisher %s failed: %s", report.date, publisher.name, outcome.detail, extra=extra)
        results.append(outcome)
    log.info(
        "%s: %d commit(s), %d watched; published to %s",
        report.date,
        report.stats.total,
        sum(1 for c in report.commits if c.watch),
        ", ".join(f"{r.publisher} {r.status}" for r in results) or "nobody",
        extra=extra,
    )
    return DayResult(report.date, "built", report, results)


def _type(publisher: Publisher) -> str:
    return str(getattr(publisher, "type", publisher.name))


def _already(publisher: Publisher, recorded: dict[str, str], report: DayReport) -> bool:
    if isinstance(publisher, TracksItsOwnOutput):
        return publisher.delivered(report.repo, report.date, report.language, report.timezone)
    return recorded.get(publisher.name) in DELIVERED
