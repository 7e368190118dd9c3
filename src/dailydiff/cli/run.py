"""`dailydiff run`: every configured repository for the day(s), then published. Meant for cron / CI."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, stderr
from dailydiff.errors import ConfigError, UsageError

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_GATED = 6

log = logging.getLogger("dailydiff.run")


def exit_code(results: list[Any]) -> int:
    """1 when a repository failed; else the publishers' exit, the same as `report --publish` and
    `publish` (7 every delivery failed, 8 some did); else 6 when a day was gated."""
    from dailydiff.engine.deliver import failure_error

    if any(r.status == "failed" for r in results):
        return EXIT_SOME_FAILED
    error = failure_error([p for r in results for d in r.days for p in d.publish if d.status == "built"])
    if error is not None:
        return error.exit_code
    if any(r.status == "gated" for r in results):
        return EXIT_GATED
    return EXIT_OK


def _run_digests(settings: Any, store: Any, results: list[Any], available: list[Any], *, force: bool,
                 secrets: Any) -> list[Any]:  # fmt: skip
    """Every configured digest for each day the run covered, after the days are built (from the store)."""
    if not settings.digest:
        return []
    from dailydiff.engine.digests import llm_for_digests, run_digests

    dates = sorted({d.date for r in results for d in r.days})
    return run_digests(settings, store, dates, available, force=force, secrets=secrets,
                       analyzer=llm_for_digests(settings, store))  # fmt: skip


def run_summary(results: list[Any], *, shard: str | None, duration: float, code: int) -> dict[str, Any]:
    from dailydiff.cli.report import totals

    days = [d for r in results for d in r.days]
    reports = [d.as_dict() for d in days if d.report is not None]
    figures = totals(reports)
    return {
        "command": "run",
        "status": {EXIT_OK: "ok", EXIT_GATED: "gated"}.get(code, "failed"),
        "exit_code": code,
        "shard": shard,
        "duration_seconds": round(duration, 3),
        "totals": {
            "repos": len(results),
            "ok": sum(r.status == "ok" for r in results),
            "failed": sum(r.status == "failed" for r in results),
            "partial": sum(r.status == "partial" for r in results),
            "gated": sum(r.status == "gated" for r in results),
            "days_built": sum(d.status not in {"up-to-date", "deferred"} for d in days),
            "days_up_to_date": sum(d.status == "up-to-date" for d in days),
            "days_deferred": sum(d.status == "deferred" for d in days),
            "github_requests": sum(r.requests.get("github", {}).get("spent", 0) for r in results),
            "commits": figures["commits"],
            "analysed": figures["analysed"],
            "cached": figures["cached"],
            "escalated": figures["escalated"],
            "fallback": figures["fallback"],
            "failed_analyses": figures["failed"],
            "prompt_tokens": figures["prompt_tokens"],
            "completion_tokens": figures["completion_tokens"],
            "cost": figures["cost"],
            "day_prompt_tokens": figures["day_prompt_tokens"],
            "day_completion_tokens": figures["day_completion_tokens"],
            "day_cost": figures["day_cost"],
            "days_partial": sum(bool(d.report is not None and d.report.partial) for d in days),
            "max_llm_requests_per_commit": max(
                (d.report.run.max_requests_per_commit for d in days if d.report is not None), default=0
            ),
            "token_estimate_error_pct": _estimate_error([d.report for d in days if d.report is not None]),
            "publish_failed": sum(p.status == "failed" for d in days for p in d.publish),
        },
        "repos": [r.as_dict() for r in results],
    }


def _estimate_error(reports: list[Any]) -> float | None:
    """How far the offline token estimate was from the endpoints' counts over the whole run, in %."""
    counted = sum(r.run.prompt_tokens for r in reports if r.run.estimated_prompt_tokens)
    estimated = sum(r.run.estimated_prompt_tokens for r in reports)
    return round(100.0 * (estimated - counted) / counted, 1) if counted and estimated else None


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
    """Build (and publish) the daily reports of every repository in the config."""
    from dailydiff.analysis import preload_llm
    from dailydiff.cli.progress import ProgressBar
    from dailydiff.cli.report import figures_line, write_interrupted_summary
    from dailydiff.engine import configured_publishers, parse_shard, plan_jobs, publishers_for, run_jobs
    from dailydiff.engine.deliver import failure_error, stored_history
    from dailydiff.engine.stream import RunOptions
    from dailydiff.engine.weekly import deliver_weeks, weekly_publishers
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.files import output_dir_publisher, write_file
    from dailydiff.store import open_store

    shared = options.Shared(date, first, last, analyzer, lang, tz, formats, force, quiet, verbose, log_format,
                            summary_json, config, data_dir, yes)  # fmt: skip
    dates = shared.check()
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1", "e.g. --jobs 4")
    bar = not quiet and stderr.is_terminal
    shared.logging("WARNING" if bar else "INFO")  # on a terminal the bar shows progress; else log lines
    chosen_shard = parse_shard(shard)
    settings = shared.settings({"run": {"concurrency": jobs}})
    planned = [
        replace(job, settings=shared.over(job.settings))
        for job in plan_jobs(settings, chosen_shard, base_dir=options.config_dir(config))
    ]
    preload_llm(job.settings for job in planned)  # the SDK's import overlaps the start below
    now = shared.days(dates, settings, [job.settings.report.timezone for job in planned])
    target = output_dir or (Path(settings.run.output_dir) if settings.run.output_dir else None)
    files = None
    if target is not None:
        files = output_dir_publisher(target, settings.report.path_template, settings.report.formats)
    secrets = Secrets(os.environ)
    history = stored_history(lambda: open_store(settings)) if settings.site.charts else None
    available = configured_publishers(settings.publish, secrets, files)
    for job in planned:  # unknown publisher names are configuration errors, before any work
        publishers_for(job.entry, job.index, available)
        weekly_publishers(job.settings, available)
    if settings.digest:
        from dailydiff.engine.digests import check_digest_publishers

        check_digest_publishers(settings, available)
    summary_path = summary_json or (Path(settings.run.summary_json) if settings.run.summary_json else None)
    if chosen_shard is not None:
        log.info("shard %s: %d of %d repositories", chosen_shard, len(planned), len(settings.repos))
    if plan and not settings.store.url:
        # Every worker would build every unit on a store of its own and send every message; an empty URL
        # is what a missing CI secret expands to.
        raise ConfigError(
            "--plan needs a shared PostgreSQL store, but DAILYDIFF_STORE_URL (or [store] url) is empty "
            "(a missing secret?)",
            "set DAILYDIFF_STORE_URL to the postgresql:// URL every worker shares; nothing was built or sent",
        )
    started = time.monotonic()
    store = open_store(settings)
    note = shared.defaults_note(settings, first_run=lambda: stderr.is_terminal and not store.runs())
    if note:
        stderr.print(note, markup=False, highlight=False, soft_wrap=True)
    run_id = store.start_run(" ".join(["run", *sys.argv[2:]]) if sys.argv[1:2] == ["run"] else "run")
    progress = ProgressBar(stderr, enabled=bar)
    try:
        with progress as tally:
            run = RunOptions(dates=dates, force=force, concurrency=settings.run.concurrency, tally=tally,
                             secrets=secrets, now=now, keep_commits=False, open_store=lambda: open_store(settings),
                             history=history)  # fmt: skip
            if plan:
                from dailydiff.engine.shared import SharedPlan, run_shared

                shared_plan = SharedPlan(lambda: open_store(settings), plan, settings.store.lease_seconds)
                # A digest-day is a unit of the plan too, built once its repositories' days are done.
                results, digests = run_shared(planned, run, available, shared_plan, store,
                                              settings if chosen_shard is None else None)  # fmt: skip
            else:
                results, digests = run_jobs(planned, run, available, store), []
        if settings.digest and chosen_shard is not None:
            # A share of the repositories: another worker's days may not be built yet.
            log.warning("digests are not built by a shard; run `dailydiff digest --publish --from … --to …` "
                        "after every shard has finished, or share a plan (--plan)")  # fmt: skip
        elif not plan:
            digests = _run_digests(settings, store, results, available, force=force, secrets=secrets)
        by_key = {job.key: job.settings for job in planned}
        units = [(r.repo, by_key[r.key], d.date) for r in results if r.repo for d in r.days]
        weeks = deliver_weeks(store, units, available, force=force, secrets=secrets)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) and summary_path is not None:
            write_interrupted_summary(summary_path, "run", progress.tally)
        store.finish_run(run_id, "interrupted", {})
        store.close()
        raise
    code = exit_code(results)
    digest_error = failure_error([p for o in [*digests, *weeks] for p in o.publish])
    if digest_error is not None and code in (EXIT_OK, EXIT_GATED):
        code = digest_error.exit_code
    summary = run_summary(results, shard=str(chosen_shard) if chosen_shard else None,
                          duration=time.monotonic() - started, code=code)  # fmt: skip
    if digests:
        summary["digests"] = [o.as_dict() for o in digests]
    if weeks:
        summary["weeks"] = [o.as_dict() for o in weeks]
    store.finish_run(run_id, summary["status"], summary)
    store.close()
    if summary_path is not None:
        write_file(summary_path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    totals = summary["totals"]
    line = (
        f"{totals['repos']} repositories: {totals['ok']} ok, {totals['failed']} failed, {totals['partial']} partial, "
        f"{totals['gated']} gated; {totals['days_built']} day(s) built, {totals['days_up_to_date']} up to date; "
        + (
            f"{totals['days_deferred']} left to the next run (GitHub request budget); "
            if totals["days_deferred"]
            else ""
        )
        + figures_line({**totals, "failed": totals["failed_analyses"]})
    )
    if not quiet:
        if bar:
            stderr.print(f"dailydiff: {line}", markup=False)
        else:
            log.info("%s", line)
    if digests and not quiet:
        from dailydiff.engine.digests import summary_line

        if bar:
            stderr.print(f"dailydiff: {summary_line(digests)}", markup=False)
        else:
            log.info("%s", summary_line(digests))
    for outcome in [*digests, *weeks]:  # a day's failed publisher is logged as the day is built
        week = getattr(outcome, "week", None)
        unit = f"week {week} of {outcome.repo}" if week else f"digest {outcome.name} {outcome.date}"
        for published in outcome.publish:
            if published.status == "failed":
                log.error("%s: publisher %s failed: %s", unit, published.publisher, published.detail)
    error = failure_error([p for r in results for d in r.days for p in d.publish if d.status == "built"])
    if error is None or code != error.exit_code:
        error = digest_error
    if error is not None and code == error.exit_code:
        log.error("%s (%s)", error.message, error.hint)
    if code:
        raise typer.Exit(code)
