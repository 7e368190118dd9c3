"""``plan(request)`` and ``run(plan)``: every command's one way into the engine.

``plan`` decides everything before any work, once: each repository's identity (engine/identity.py), its
effective settings (defaults < config < ``[[repos]]`` entry < flags), its units and the targets of each
(``[[repos]] publishers``, digest and weekly publishers, ``--only``, the command's outputs). ``run`` hands
the units to the one runner (engine/runner.py) and returns their outcomes. Each command has one planner
below, registered in ``PLANNERS``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING, Any, NamedTuple

from dailydiff.common.dates import DateSpec, checked_days, clock, resolve_dates
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.deliver import configured_publishers, stored_history
from dailydiff.engine.identity import config_entry, configured_refs, repo_ref
from dailydiff.engine.jobs import adhoc_job, parse_shard, plan_jobs, with_flags
from dailydiff.engine.kinds import load
from dailydiff.engine.request import Request, RunRequest
from dailydiff.engine.runner import Plan, Span, check_targets, plan_run, run_plan
from dailydiff.engine.runoptions import RunOptions
from dailydiff.engine.units import DayUnit, DigestUnit, StoredDayUnit, WeekUnit
from dailydiff.errors import ConfigError, DailyDiffError, PublishError, UsageError
from dailydiff.sources.git import fetch_once
from dailydiff.store import open_store

if TYPE_CHECKING:  # publish/ and render/ are imported where a command sends or renders (start-up is measured)
    from dailydiff.engine.jobs import RepoJob
    from dailydiff.engine.outcome import UnitOutcome
    from dailydiff.models import DayReport
    from dailydiff.publish.base import Publisher, Secrets
    from dailydiff.settings import Settings
    from dailydiff.store import Store


def plan(request: Request) -> Plan:
    """The units of ``request`` with their needs and targets; nothing is built or sent."""
    built = PLANNERS[request.command](request)
    if built.request is None:
        built.request = request
    return built


def run(plan: Plan) -> list[Any]:
    """Every unit of ``plan`` through the one runner: their outcomes (engine/outcome.py)."""
    request: Request = plan.request
    if not plan.units:
        return []

    settings, runs = request.settings, _RUNS.get(request.command, _Runs())
    reopen = request.open_store or _opener(settings)
    history = stored_history(reopen) if settings.site.charts and request.command in _CHARTED else None
    days = sorted({u.date for u in plan.days()} or {u.date for u in plan.units.values()})
    dates = DateSpec(first=days[0].isoformat(), last=days[-1].isoformat())
    options = RunOptions(dates=request.dates if request.command == "report" else dates, force=request.force,
                         now=plan.now, concurrency=settings.run.concurrency, tally=request.tally,
                         secrets=_secrets(), outputs=request.targets.outputs, history=history,
                         keep_commits=False, open_store=reopen, skip_delivered=runs.skip_delivered,
                         raise_errors=runs.raise_errors)  # fmt: skip
    plan.options = options
    claims = None
    if isinstance(request.of, RunRequest) and request.of.plan_name:
        from dailydiff.engine.shared import SharedPlan

        claims = SharedPlan(reopen, request.of.plan_name, settings.store.lease_seconds)
    return run_plan(plan, options, plan.available, request.store, settings, claims)


_CHARTED = ("run", "report", "publish")  # the commands whose days' mails carry the history chart


# How a command's units run where it differs from `run` (a day delivered everywhere is up to date, a failed
# repository is recorded and the run goes on, the days before today are looked at for late commits).
class _Runs(NamedTuple):
    skip_delivered: bool = True
    raise_errors: bool = False


_RUNS: dict[str, _Runs] = {
    "report": _Runs(skip_delivered=False, raise_errors=True),
    "notes": _Runs(raise_errors=True),
    "watch": _Runs(skip_delivered=False),  # today's days again, sent nowhere
    "watch-test": _Runs(skip_delivered=False),
    "site": _Runs(raise_errors=True),  # `site build`: its error is the command's, said once
}


def _secrets() -> Secrets:
    """The publishers' secrets, from the environment."""
    from dailydiff.publish.base import Secrets

    return Secrets(os.environ)


def _opener(settings: Settings) -> Callable[[], Any]:
    return lambda: open_store(settings)


def _now(request: Request, timezones: Sequence[str]) -> dt.datetime:
    """The run's clock, once the days asked for are checked in every timezone the run uses: no day in the
    future, no range over ``[run] max_days`` without --yes (both before any work)."""
    if request.now is not None:
        return request.now
    settings = request.settings
    now = clock(settings.run.now)
    for tz in sorted({settings.report.timezone, *timezones}):
        checked_days(request.dates, tz, now, max_days=settings.run.max_days, yes=request.yes)
    return now


# --- run ---------------------------------------------------------------------------------------------------


def _plan_run(request: Request) -> Plan:
    """Every configured repository (its share with --shard), its days and missed nights, the digest-days and
    weeks they complete."""
    from dailydiff.analysis import preload_llm
    from dailydiff.publish.files import output_dir_publisher

    settings = request.settings
    shard = parse_shard(request.of.shard)
    jobs = plan_jobs(settings, shard, base_dir=request.config_dir, flags=request.flags)
    preload_llm(job.settings for job in jobs)  # the SDK's import overlaps the start below
    now = _now(request, [job.settings.report.timezone for job in jobs])
    target = request.targets.output_dir or (
        Path(settings.run.output_dir) if settings.run.output_dir else None
    )
    files = (
        output_dir_publisher(target, settings.report.path_template, settings.report.formats)
        if target
        else None
    )
    available = configured_publishers(settings.publish, _secrets(), files)
    check_targets(settings, jobs, available)  # unknown publisher names: configuration errors, before any work
    span = Span(request.dates, now, catch_up=request.of.catch_up, digests=shard is None, look_back=True)
    planned = plan_run(settings, jobs, span, request.store, request.config_dir, available)
    planned.shard = shard
    return planned


# --- report ----------------------------------------------------------------------------------------------


def _report_job(request: Request) -> Any:
    settings = with_flags(request.settings, request.flags)
    spec = settings.forge_source(request.given.source or "")  # an address on the configured GitLab
    ref = repo_ref(settings, spec, base_dir=request.config_dir, name=request.given.name, store=request.store)
    if ref.note and request.say is not None:
        request.say(ref.note)
    return adhoc_job(ref, settings, branch=request.given.branch, all_branches=request.given.all_branches)


def _plan_report(request: Request) -> Plan:
    """One repository given on the command line, its days."""
    job = _report_job(request)
    now = _now(request, ())
    dates, notes = request.dates, []
    if request.of is not None and request.of.reanalyze is not None:
        dates, note = _reanalyze(job, request, request.of.reanalyze)
        request, notes = replace(request, dates=dates), [note]
    planned = Plan(jobs=[job], now=now, notes=notes)
    if request.targets.publish:
        planned.available = configured_publishers(request.settings.publish, _secrets())
    for date in dates.resolve(job.settings.report.timezone, now):
        planned.add(DayUnit(job, date))
    if request.targets.publish:
        from dailydiff.engine.addendum import plan_addenda

        plan_addenda(planned, planned.available)
    planned.request = request
    return planned


def _reanalyze(job: Any, request: Request, sha: str) -> tuple[DateSpec, str]:
    """--reanalyze SHA: its stored analyses dropped; the plan is its day (and the line that says so)."""
    from dailydiff.engine.explain import locate_commit

    found = locate_commit(job, request.store, sha, request.dates, "--reanalyze")
    dropped = request.store.forget_analyses(job.repo_id, found.commit.sha)
    return DateSpec(date=found.day.isoformat()), (
        f"re-analysing {found.commit.sha[:12]} of {job.repo_id} ({dropped} stored analysis(es) "
        f"dropped): building {found.day} again"
    )


def _plan_claims(request: Request) -> Plan:
    """`report --claims SHA`: each claim of one commit's stored analysis and where it was found; nothing is
    built."""
    from dailydiff.engine.explain import claims_of_commit, locate_commit

    job = _report_job(request)
    found = locate_commit(job, request.store, request.of.explain or "", request.dates, "--claims")
    return Plan(jobs=[job], text=claims_of_commit(found, job, request.store))


def _plan_explain(request: Request) -> Plan:
    """`report --explain SHA`: the rules that fire for one commit, found in the store or the repository;
    nothing is built."""
    from dailydiff.engine.explain import explain_commit, locate_commit

    job = _report_job(request)
    found = locate_commit(job, request.store, request.of.explain or "", request.dates, "--explain")
    return Plan(jobs=[job], text=explain_commit(found, job))


# --- publish -------------------------------------------------------------------------------------------


def _plan_publish(request: Request) -> Plan:
    """Stored days sent again through the configured targets (``--only``: those named), or their
    previews with --dry-run."""
    from dailydiff.publish.registry import build_publishers, select

    settings = with_flags(request.settings, request.flags)
    dates = resolve_dates(
        request.dates.date, request.dates.first, request.dates.last, settings.report.timezone
    )
    source = request.given.source or ""
    repo = request.given.repo or repo_ref(settings, source, base_dir=request.config_dir, name=request.given.name,
                                    opened=True).id  # fmt: skip
    language = settings.report.language
    reports = [request.store.get_report(repo, d, language) for d in dates]
    found = [r for r in reports if r is not None]
    missing = [d.isoformat() for d, r in zip(dates, reports, strict=True) if r is None]
    if not found:
        raise PublishError(f"no stored {language} report of {repo} for {', '.join(missing)}",
                           f"build it first: dailydiff report {source} --date {missing[0]}")  # fmt: skip
    if not settings.publish:
        raise PublishError(
            "no [[publish]] entries are configured", "add some to dailydiff.toml (see the README)"
        )
    secrets = _secrets()
    configured = build_publishers(settings.publish, secrets)
    targets = tuple(select(configured, request.targets.only))
    # --only: the others are alerted on
    planned = Plan(available=list(configured), missing=missing, repo=repo)
    if request.targets.dry_run:
        planned.text = _previews(found, settings, targets, secrets, request)
        planned.rows = [{"repo": r.repo, "date": r.date.isoformat(), "publisher": p.name, "type": p.type,
                         "status": "skipped", "detail": "dry run"} for r in found for p in targets]  # fmt: skip
        return planned
    for report in found:
        planned.add(StoredDayUnit(report, targets))
    return planned


def _previews(reports: Sequence[DayReport], settings: Settings, targets: Sequence[Publisher], secrets: Secrets,
              request: Request) -> str:  # fmt: skip
    from dailydiff.render.edition import day_edition

    history = stored_history(request.open_store or _opener(settings)) if settings.site.charts else None
    out = []
    for report in reports:
        edition = day_edition(report, settings, history)
        for publisher in targets:
            out.append(
                f"== {publisher.name} ({publisher.type}) ==\n{secrets.redact(publisher.preview(edition))}\n"
            )
    return "".join(out)


# --- digest --------------------------------------------------------------------------------------------


def _plan_digest(request: Request) -> Plan:
    """The configured daily digests (the one named) of the days, from the stored reports."""
    from dailydiff.engine.digests import digest_entries, digest_publishers

    settings = with_flags(request.settings, request.flags)
    # --lang and --audience beat each [[digest]] entry's own
    flagged = {"language": request.flags.language, "audience": request.of.audience}
    if overrides := {key: value for key, value in flagged.items() if value is not None}:
        settings = settings.model_copy(
            update={"digest": [e.model_copy(update=overrides) for e in settings.digest]}
        )
    if not settings.digest:
        raise ConfigError("no [[digest]] entries are configured",
                          'add one to dailydiff.toml, e.g. [[digest]] name = "team" repos = ["*"]')  # fmt: skip
    dates = resolve_dates(
        request.dates.date, request.dates.first, request.dates.last, settings.report.timezone
    )
    available = configured_publishers(settings.publish, _secrets()) if request.targets.publish else []
    if request.targets.publish and not available:
        raise ConfigError(
            "--publish needs [[publish]] entries", "add some to dailydiff.toml (see the README)"
        )
    entries = digest_entries(settings, request.of.name)  # an unknown name first: the user's mistake
    ids = tuple(r.id for r in configured_refs(settings, request.config_dir))
    _check_stored(request.store, dates)
    planned = Plan(available=available)
    for entry in entries:
        index = settings.digest.index(entry) + 1
        targets = tuple(digest_publishers(entry, index, available)) if request.targets.publish else ()
        for date in dates:
            planned.add(DigestUnit(entry, index, date, ids, targets=targets))
    planned.request = replace(request, settings=settings)
    return planned


def _check_stored(store: Any, dates: Sequence[dt.date]) -> None:
    """A digest is made of stored reports: none of ``dates`` stored is the user's to fix."""
    stored = {day for _repo, day, _lang in store.list_reports()}
    if not stored & set(dates):
        days = ", ".join(d.isoformat() for d in dates)
        raise DailyDiffError(f"no stored reports of {days} for the digest(s)",
                             f"build the day(s) first: dailydiff run --date {dates[0].isoformat()} (or --from/--to)")  # fmt: skip


# --- weekly --------------------------------------------------------------------------------------------


def _plan_weekly(request: Request) -> Plan:
    """A repository's week (SOURCE's, or every configured one's) with a stored day in it; its targets the
    ``[weekly] publishers`` with --publish, else the command's outputs only."""
    from dailydiff.engine.weekly import weekly_publishers
    from dailydiff.render.week import parse_week

    settings = with_flags(request.settings, request.flags)
    configured = configured_publishers(settings.publish, _secrets()) if request.targets.publish else []
    available = weekly_publishers(settings, configured) if request.targets.publish else []
    if request.targets.publish and not available:
        raise ConfigError(
            "--publish needs [[publish]] entries", "add some to dailydiff.toml (see the README)"
        )
    planned = Plan(available=available)
    for ref, repo_settings, builder in _week_repos(request, settings):
        zone = check_timezone(repo_settings.report.timezone)
        iso = parse_week(request.of.week, dt.datetime.now(dt.UTC).astimezone(zone).date())
        if _stored(request, ref.id, iso, repo_settings, builder):
            planned.add(WeekUnit(ref, repo_settings, iso.days[0], builder=builder, targets=tuple(available)))
    return planned


def _week_repos(request: Request, settings: Settings) -> list[tuple[Any, Settings, str]]:
    """(identity, settings, the command that builds its days) for SOURCE or every [[repos]] entry: the id
    is the one `run` and `report` store the days under."""
    base, source, name = request.config_dir, request.given.source, request.given.name
    if source is None:
        return [
            (job.ref, job.settings, "dailydiff run")
            for job in plan_jobs(settings, base_dir=base, flags=request.flags)
        ]
    stored = {repo for repo, _, _ in request.store.list_reports()}
    if not name and source in stored:
        builder = f"dailydiff report SOURCE --name {quote(source)}"
        return [(repo_ref(settings, source, name=source), settings, builder)]
    ref = repo_ref(settings, source, base_dir=base, name=name, opened=True)
    if config_entry(source, settings, base) is not None and not name:
        return [(ref, settings, "dailydiff run")]
    return [(ref, settings, f"dailydiff report {quote(source)}" + (f" --name {quote(name)}" if name else ""))]


def _stored(request: Request, repo: str, iso: Any, settings: Settings, builder: str) -> bool:
    """Whether a day of the week is stored; else what to run, as the error of a single repository or a
    warning among several."""
    store, language = request.store, settings.report.language
    if any(store.get_report(repo, day, language) is not None for day in iso.days):
        return True
    first, last = iso.days[0].isoformat(), iso.days[-1].isoformat()
    message = f"no stored reports of {repo} ({language}) in {iso.label}"
    hint = f"build them first: {builder} --from {first} --to {last}"
    others = sorted({lang for _, _, lang in store.list_reports(repo)} - {language})
    if others:
        hint += f" (the store has {repo} in {', '.join(others)}: or pass --lang {others[0]})"
    if request.given.source is not None:
        raise DailyDiffError(message, hint)
    if request.say is not None:
        request.say(f"dailydiff: warning: {message} — {hint}")
    return False


# --- watch (engine/watching.py, engine/alerts.py) ---------------------------------------------------------


def _plan_watch(request: Request) -> Plan:
    """`watch`: yesterday and today of every repository with a ``[[watch]]`` topic that alerts (stored, sent
    nowhere), then the alert unit after them, to the configured targets."""
    from dailydiff.engine.watching import alert_plan, alerting_jobs

    settings = request.settings
    jobs = alerting_jobs(settings, request.config_dir)
    if not jobs:
        raise UsageError("no [[watch]] topic alerts anyone",
                         'add alert = ["<name of a [[publish]] entry>"] to a [[watch]] topic that a [[repos]] entry uses')  # fmt: skip
    planned: Plan = alert_plan(jobs, request.now or clock(settings.run.now))
    planned.available = configured_publishers(settings.publish, _secrets())
    return planned


def _plan_watch_test(request: Request) -> Plan:
    """`watch test TOPIC SHA…`: the days of the commits not stored yet (built, stored, sent nowhere), then the
    unit that judges whether the topic fires for each and why (engine/watching.py); nothing is sent."""
    from dailydiff.engine.watching import test_plan

    settings = request.settings
    return test_plan(settings, request.config_dir, request.store, request.of.topic, request.of.shas,
                     request.now or clock(settings.run.now))  # fmt: skip


# --- notes (engine/release.py) ---------------------------------------------------------------------------


def _plan_notes(request: Request) -> Plan:
    """`notes SOURCE [REF1..REF2]`: the range, resolved in the repository's git history, and one notes unit
    that builds them from the stored analyses (what is missing analysed now) and renders them; with
    --publish its target is the tag's forge release (through the ledger)."""
    from dailydiff.engine.release import UNRELEASED, ReleaseUnit, authors_walk, open_git, resolve_range
    from dailydiff.render.notes import Audience

    with fetch_once():  # the repository is opened twice (its identity, its history): git is asked once
        job = _report_job(request)  # under the name `report` and `run` store it by: its analyses are found so
        settings = job.settings
        git = open_git(job, settings, request.store)
    wanted = resolve_range(git, request.of.span, since_tag=request.of.since_tag, unreleased=request.of.unreleased,
                           tag_pattern=settings.notes.tag_pattern)  # fmt: skip
    if request.targets.publish and wanted.tag == UNRELEASED:
        raise UsageError("--publish makes the release of a tag", "give REF1..TAG")
    authors = authors_walk(git, wanted, request.store)  # kept, or walked while the rest goes on
    now = request.now or clock(settings.run.now)
    targets: tuple[Publisher, ...] = ()
    if request.targets.publish:
        from dailydiff.publish.release import release_publisher

        targets = (release_publisher(git, settings, _secrets()),)
    planned = Plan(jobs=[job], now=now)
    audience: Audience = "user" if request.of.audience == "user" else "engineer"
    planned.add(ReleaseUnit(job, now.date(), span=wanted, git=git, audience=audience, fmt=request.of.fmt,
                            targets=targets, now=now, authors=authors))  # fmt: skip
    planned.request = replace(request, settings=settings)
    return planned


# Every command's planner: a new command (or a new kind of plan) is one function and one line here.
PLANNERS: dict[str, Callable[[Request], Plan]] = {
    "run": _plan_run,
    "report": _plan_report,
    "explain": _plan_explain,
    "claims": _plan_claims,
    "publish": _plan_publish,
    "digest": _plan_digest,
    "weekly": _plan_weekly,
    "watch": _plan_watch,
    "watch-test": _plan_watch_test,
    "notes": _plan_notes,
    # `site build`: its modules loaded for it only
    "site": lambda request: load("dailydiff.engine.site:plan_site")(request),
}


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
    ``build=False``: alert from what is stored (held alerts whose quiet hours ended). Run as `watch` runs
    its plan: through ``engine.run``."""
    from dailydiff.engine.watching import alert_plan

    planned = alert_plan(jobs, now, build=build)
    planned.available = list(available)
    planned.request = Request("watch", settings, store, now=now, open_store=open_store)
    outcomes: list[UnitOutcome] = run(planned)
    return outcomes
