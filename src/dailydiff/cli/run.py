"""`dailydiff run`: every configured repository for the day(s) — and the nights missed before — with its
digests and weeks, then published. Meant for cron / CI. The command only plans (engine/runner.py runs
the units, with or without a shared plan) and prints the outcomes (engine/printer.py)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.cli.base import nothing_to_tear_down, stderr_is_terminal
from dailydiff.common.secrets import scrub
from dailydiff.engine.printer import exit_code, publish_error, write_interrupted_summary, write_summary
from dailydiff.errors import ConfigError, DailyDiffError, UsageError

log = logging.getLogger("dailydiff.run")


def _say(bar: bool, quiet: bool) -> Any:
    def say(line: str) -> None:
        if quiet:
            return
        if bar:
            stderr.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            log.info("%s", line)

    return say


def _report(
    plan: Any, outcomes: list[Any], *, code: int, started: float, say: Any, quiet: bool, verbose: bool
) -> dict[str, Any]:
    """The outcomes on stderr (a target's deliveries folded into one line, every one with --verbose; a
    failed one always its own line) and as the JSON summary."""
    from dailydiff.engine.printer import MARKS, delivery_lines, summary, summary_line

    data = summary("run", outcomes, code=code, duration=time.monotonic() - started,
                   sources={job.label: scrub(job.entry.source) for job in plan.jobs},
                   shard=str(plan.shard) if plan.shard else None)  # fmt: skip
    for line in delivery_lines(outcomes, quiet=quiet, fold=not verbose):
        if line.startswith(MARKS["failed"]):
            log.error("%s", line)  # said with --quiet too
        else:
            say(line)
    say(("dailydiff: " if stderr_is_terminal() else "") + summary_line(data))
    return data


@app.command("run", cls=options.Command)
@handle_errors
@options.shared()
def run_command(
    shared: options.Shared = options.Shared(),
    output_dir: Path | None = options.output_dir(
        "Write the report files under DIR [default: [run] output_dir]."
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
    [[digest]] days and [weekly] weeks they complete. Each target's deliveries are one line on stderr
    (every delivery with --verbose), a failed delivery always its own."""
    dates = shared.check()
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1", "e.g. --jobs 4")
    bar = not shared.quiet and stderr_is_terminal()
    shared.logging("WARNING" if bar else "INFO")  # on a terminal the bar shows progress; else log lines
    started = time.monotonic()
    settings = shared.settings({"run": {"concurrency": jobs}})  # read once: its warnings are said once
    _check_plan(plan, settings)
    from dailydiff.engine import Request, RunRequest, Targets
    from dailydiff.engine import plan as engine_plan

    store = open_store(settings)
    try:
        request = Request("run", settings, store, dates, shared.flags(), Targets(output_dir=output_dir),
                          of=RunRequest(shard, plan, catch_up=shared.date is None and shared.first is None),
                          yes=shared.yes, force=shared.force, config_dir=options.config_dir(shared.config), open_store=lambda: open_store(settings))  # fmt: skip
        planned = engine_plan(request)
    except BaseException:
        store.close()
        raise
    _start_notes(shared, planned, store, _say(bar, shared.quiet))
    _execute(planned, store, shared, bar, started)


def _check_plan(plan: str | None, settings: Any) -> None:
    if plan and not settings.store.url:
        # Every worker would build every unit on a store of its own and send every message; an empty URL
        # is what a missing CI secret expands to. Said before the store is opened: nothing is written.
        raise ConfigError(
            "--plan needs a shared PostgreSQL store, but DAILYDIFF_STORE_URL (or [store] url) is empty "
            "(a missing secret?)",
            "set DAILYDIFF_STORE_URL to the postgresql:// URL every worker shares; nothing was built or sent",
        )


def _execute(planned: Any, store: Any, shared: options.Shared, bar: bool, started: float) -> None:
    """The plan's units through the one runner (claimed in this process, or from the shared plan), then
    the outcomes printed and recorded."""
    from dataclasses import replace

    from dailydiff.cli.progress import ProgressBar
    from dailydiff.engine import run as engine_run

    summary_path = _summary_path(shared, planned.request.settings)
    run_id = store.start_run(" ".join(["run", *sys.argv[2:]]) if sys.argv[1:2] == ["run"] else "run")
    progress = ProgressBar(stderr, enabled=bar)
    try:
        with progress as tally:
            planned.request = replace(planned.request, tally=tally)
            outcomes = engine_run(planned)
    except BaseException as exc:
        stopped_by = exc if isinstance(exc, DailyDiffError) else None
        if summary_path is not None and (isinstance(exc, KeyboardInterrupt) or stopped_by is not None):
            write_interrupted_summary(summary_path, "run", progress.tally, stopped_by)
        store.finish_run(run_id, "interrupted", {})
        store.close()
        raise
    _finish(planned, outcomes, store, run_id, summary_path, started=started, say=_say(bar, shared.quiet),
            quiet=shared.quiet, verbose=shared.verbose)  # fmt: skip


def _summary_path(shared: options.Shared, settings: Any) -> Path | None:
    return shared.summary_json or (Path(settings.run.summary_json) if settings.run.summary_json else None)


def _start_notes(shared: options.Shared, run: Any, store: Any, say: Any) -> None:
    """The first run's note on the defaults, the shard, the missed nights caught up (one line each)."""
    settings = run.request.settings
    note = shared.defaults_note(settings, first_run=lambda: stderr_is_terminal() and not store.runs())
    if note:
        stderr.print(note, markup=False, highlight=False, soft_wrap=True)
    if run.shard is not None:
        log.info("shard %s: %d of %d repositories", run.shard, len(run.jobs), len(settings.repos))
        if settings.digest:
            # A share of the repositories: another worker's days may not be built yet.
            log.warning("digests are not built by a shard; run `dailydiff digest --publish --from … --to …` "
                        "after every shard has finished, or share a plan (--plan)")  # fmt: skip
    for line in run.notes:
        log.warning("%s", line)


def _finish(run: Any, outcomes: list[Any], store: Any, run_id: Any, summary_path: Path | None, *, started: float,
            say: Any, quiet: bool, verbose: bool) -> None:  # fmt: skip
    code = exit_code(outcomes)
    try:
        data = _report(run, outcomes, code=code, started=started, say=say, quiet=quiet, verbose=verbose)
        store.finish_run(run_id, data["status"], data)
    finally:
        store.close()
    if summary_path is not None:
        write_summary(summary_path, data)
    error = publish_error(outcomes)
    if error is not None and code == error.exit_code:
        log.error("%s (%s)", error.message, error.hint)
    # Everything is sent, stored and recorded, the store closed: only the output is left. The process ends
    # without tearing the interpreter down (the last worker of a shared plan is the night's end).
    nothing_to_tear_down()
    if code:
        raise typer.Exit(code)
