"""`dailydiff run`: every configured repository for the day(s) — and the nights missed before — with its
digests and weeks, then published. Meant for cron / CI. The command only plans (engine/runner.py runs
the units, with or without a shared plan) and prints the outcomes (cli/summary.py)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.cli.summary import EXIT_GATED, EXIT_OK, EXIT_SOME_FAILED, exit_code  # noqa: F401  (re-exported)
from dailydiff.errors import ConfigError, DailyDiffError, UsageError

log = logging.getLogger("dailydiff.run")


@dataclass
class _Run:
    """What `run` decided before any work: the plan, the publishers, where the summary goes."""

    settings: Any
    jobs: list[Any]
    plan: Any
    available: list[Any]
    summary_path: Path | None
    shard: Any
    now: Any = None
    options: Any = None


def _plan(shared: options.Shared, settings: Any, dates: Any, *, shard: str | None, plan: str | None,
          output_dir: Path | None, store: Any = None) -> _Run:  # fmt: skip
    """Settings layered once (config < [[repos]] entry < flags), each repository's identity, the units."""
    from dailydiff.analysis import preload_llm
    from dailydiff.engine import configured_publishers, parse_shard, plan_jobs
    from dailydiff.engine.runner import Request, check_targets, plan_run
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.files import output_dir_publisher

    chosen = parse_shard(shard)
    base = options.config_dir(shared.config)
    planned = [
        replace(job, settings=shared.over(job.settings)) for job in plan_jobs(settings, chosen, base_dir=base)
    ]
    preload_llm(job.settings for job in planned)  # the SDK's import overlaps the start below
    now = shared.days(dates, settings, [job.settings.report.timezone for job in planned])
    target = output_dir or (Path(settings.run.output_dir) if settings.run.output_dir else None)
    files = (
        output_dir_publisher(target, settings.report.path_template, settings.report.formats)
        if target
        else None
    )
    available = configured_publishers(settings.publish, Secrets(os.environ), files)
    check_targets(
        settings, planned, available
    )  # unknown publisher names: configuration errors, before any work
    request = Request(dates, now, catch_up=shared.date is None and shared.first is None,
                      digests=chosen is None, look_back=plan is not None)  # fmt: skip
    units = plan_run(settings, planned, request, store, base)
    summary = shared.summary_json or (Path(settings.run.summary_json) if settings.run.summary_json else None)
    return _Run(settings, planned, units, available, summary, chosen, now)


def _say(bar: bool, quiet: bool) -> Any:
    def say(line: str) -> None:
        if quiet:
            return
        if bar:
            stderr.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            log.info("%s", line)

    return say


def _execute(run: _Run, store: Any, progress: Any, plan_name: str | None, force: bool) -> list[Any]:
    """The plan's units through the one runner: claimed in this process, or from the shared plan."""
    from dailydiff.engine.deliver import stored_history
    from dailydiff.engine.runner import run_plan
    from dailydiff.engine.stream import RunOptions
    from dailydiff.publish.base import Secrets

    settings = run.settings
    history = stored_history(lambda: open_store(settings)) if settings.site.charts else None
    claims = None
    if plan_name:
        from dailydiff.engine.shared import SharedPlan

        claims = SharedPlan(lambda: open_store(settings), plan_name, settings.store.lease_seconds)
    with progress as tally:
        run.options = RunOptions(dates=_dates_of(run), force=force, now=run.now,
                                 concurrency=settings.run.concurrency, tally=tally, secrets=Secrets(os.environ),
                                 keep_commits=False, open_store=lambda: open_store(settings),
                                 history=history)  # fmt: skip
        return run_plan(run.plan, run.options, run.available, store, settings, claims)


def _dates_of(run: _Run) -> Any:
    from dailydiff.engine.dates import DateSpec

    days = sorted({u.date for u in run.plan.days()})
    return DateSpec(first=days[0].isoformat(), last=days[-1].isoformat()) if days else DateSpec()


def _report(
    run: _Run, outcomes: list[Any], *, code: int, started: float, say: Any, quiet: bool
) -> dict[str, Any]:
    """The outcomes on stderr (every delivery of every unit, one line each) and as the JSON summary."""
    from dailydiff.cli.report import figures_line
    from dailydiff.cli.summary import MARKS, delivery_lines, summary, summary_line
    from dailydiff.engine.plan import redact

    data = summary("run", outcomes, code=code, duration=time.monotonic() - started,
                   sources={job.label: redact(job.entry.source) for job in run.jobs},
                   shard=str(run.shard) if run.shard else None)  # fmt: skip
    for line in delivery_lines(outcomes, quiet=quiet):
        if line.startswith(MARKS["failed"]):
            log.error("%s", line)  # said with --quiet too
        else:
            say(line)
    say(("dailydiff: " if stderr.is_terminal else "") + summary_line(data, figures_line))
    return data


@app.command("run", cls=options.Command)
@handle_errors
def run_command(
    date: options.Date = None,
    first: options.First = None,
    last: options.Last = None,
    analyzer: options.Analyzer = None,
    lang: options.Lang = None,
    tz: options.Tz = None,
    formats: options.Formats = None,
    force: options.Force = False,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
    log_format: options.LogFormat = "text",
    summary_json: options.SummaryJson = None,
    config: options.Config = None,
    data_dir: options.DataDir = None,
    yes: options.Yes = False,
    output_dir: Path | None = typer.Option(
        None,
        "--output-dir",
        "-o",
        metavar="DIR",
        help="Write the report files under DIR [default: [run] output_dir].",
    ),
    shard: str | None = typer.Option(
        None, "--shard", metavar="I/N", help="Handle only this share of the repositories."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", metavar="N", help="Repositories processed at once [default: 4]."
    ),
    plan: str | None = typer.Option(
        None,
        "--plan",
        metavar="NAME",
        help="Share the plan NAME with every `run` given it (any machine, one store): units claimed with leases.",
    ),
) -> None:
    """Build (and publish) the daily reports of every repository in the config.

    Without --date: yesterday, and the nights a missed run left out ([run] catch_up_days); then the
    [[digest]] days and [weekly] weeks they complete. Every delivery is one line on stderr."""
    from dailydiff.cli.progress import ProgressBar
    from dailydiff.cli.report import write_interrupted_summary

    shared = options.Shared(date, first, last, analyzer, lang, tz, formats, force, quiet, verbose, log_format,
                            summary_json, config, data_dir, yes)  # fmt: skip
    dates = shared.check()
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1", "e.g. --jobs 4")
    bar = not quiet and stderr.is_terminal
    shared.logging("WARNING" if bar else "INFO")  # on a terminal the bar shows progress; else log lines
    say = _say(bar, quiet)
    started = time.monotonic()
    settings = shared.settings({"run": {"concurrency": jobs}})  # read once: its warnings are said once
    if plan and not settings.store.url:
        # Every worker would build every unit on a store of its own and send every message; an empty URL
        # is what a missing CI secret expands to. Said before the store is opened: nothing is written.
        raise ConfigError(
            "--plan needs a shared PostgreSQL store, but DAILYDIFF_STORE_URL (or [store] url) is empty "
            "(a missing secret?)",
            "set DAILYDIFF_STORE_URL to the postgresql:// URL every worker shares; nothing was built or sent",
        )
    store = open_store(settings)
    try:
        run = _plan(shared, settings, dates, shard=shard, plan=plan, output_dir=output_dir, store=store)
    except BaseException:
        store.close()
        raise
    _start_notes(shared, run, store, say)
    run_id = store.start_run(" ".join(["run", *sys.argv[2:]]) if sys.argv[1:2] == ["run"] else "run")
    progress = ProgressBar(stderr, enabled=bar)
    try:
        outcomes = _execute(run, store, progress, plan, force)
    except BaseException as exc:
        stopped_by = exc if isinstance(exc, DailyDiffError) else None
        if run.summary_path is not None and (isinstance(exc, KeyboardInterrupt) or stopped_by is not None):
            write_interrupted_summary(run.summary_path, "run", progress.tally, stopped_by)
        store.finish_run(run_id, "interrupted", {})
        store.close()
        raise
    _finish(run, outcomes, store, run_id, started=started, say=say, quiet=quiet)


def _start_notes(shared: options.Shared, run: _Run, store: Any, say: Any) -> None:
    """The first run's note on the defaults, the shard, the missed nights caught up (one line each)."""
    note = shared.defaults_note(run.settings, first_run=lambda: stderr.is_terminal and not store.runs())
    if note:
        stderr.print(note, markup=False, highlight=False, soft_wrap=True)
    if run.shard is not None:
        log.info("shard %s: %d of %d repositories", run.shard, len(run.jobs), len(run.settings.repos))
        if run.settings.digest:
            # A share of the repositories: another worker's days may not be built yet.
            log.warning("digests are not built by a shard; run `dailydiff digest --publish --from … --to …` "
                        "after every shard has finished, or share a plan (--plan)")  # fmt: skip
    for line in run.plan.notes:
        log.warning("%s", line)


def _finish(run: _Run, outcomes: list[Any], store: Any, run_id: Any, *, started: float, say: Any,
            quiet: bool) -> None:  # fmt: skip
    from dailydiff.cli.summary import publish_error
    from dailydiff.publish.files import write_file

    code = exit_code(outcomes)
    try:
        data = _report(run, outcomes, code=code, started=started, say=say, quiet=quiet)
        store.finish_run(run_id, data["status"], data)
    finally:
        store.close()
    if run.summary_path is not None:
        write_file(run.summary_path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    error = publish_error(outcomes)
    if error is not None and code == error.exit_code:
        log.error("%s (%s)", error.message, error.hint)
    if code:
        raise typer.Exit(code)
