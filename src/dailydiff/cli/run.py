"""`dailydiff run`: every configured repository for the day(s), then published. Meant for cron / CI."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli.app import app, build_settings, handle_errors
from dailydiff.engine import (
    DateSpec,
    FilesOutput,
    RepoResult,
    RunOptions,
    configured_publishers,
    parse_shard,
    plan_jobs,
    run_jobs,
)
from dailydiff.engine.logs import setup_logging
from dailydiff.engine.publishing import publishers_for
from dailydiff.engine.shared import SharedPlan, run_shared
from dailydiff.errors import UsageError
from dailydiff.publish.files import write_file
from dailydiff.render import renderers_for
from dailydiff.store import open_store

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_GATED = 6

log = logging.getLogger("dailydiff.run")


def config_dir(config: Path | None) -> Path:
    return (config.parent if config is not None else Path.cwd()).resolve()


def exit_code(results: list[RepoResult]) -> int:
    if any(r.status in {"failed", "partial"} for r in results):
        return EXIT_SOME_FAILED
    if any(r.status == "gated" for r in results):
        return EXIT_GATED
    return EXIT_OK


def run_summary(
    results: list[RepoResult], *, shard: str | None, duration: float, code: int
) -> dict[str, Any]:
    days = [d for r in results for d in r.days]
    reports = [d.report for d in days if d.report is not None]
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
            "days_built": sum(d.status != "up-to-date" for d in days),
            "days_up_to_date": sum(d.status == "up-to-date" for d in days),
            "commits": sum(r.stats.total for r in reports),
            "analysed": sum(r.run.analysed for r in reports),
            "cached": sum(r.run.cached for r in reports),
            "publish_failed": sum(p.status == "failed" for d in days for p in d.publish),
        },
        "repos": [r.as_dict() for r in results],
    }


@app.command("run")
@handle_errors
def run_command(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Settings file [default: ./dailydiff.toml]."
    ),
    date: str | None = typer.Option(
        None,
        "--date",
        "-d",
        help="YYYY-MM-DD, 'today' or 'yesterday' (default; in each repository's timezone).",
    ),
    first: str | None = typer.Option(None, "--from", help="First day of a range (one report per day)."),
    last: str | None = typer.Option(None, "--to", help="Last day of a range, inclusive."),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", help="Write the report files under DIR [default: [run] output_dir]."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."
    ),
    force: bool = typer.Option(
        False, "--force", help="Rebuild and re-publish days that are already delivered."
    ),
    shard: str | None = typer.Option(
        None, "--shard", help="I/N: handle only this share of the repositories."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Repositories processed at once [default: 4]."
    ),
    plan: str | None = typer.Option(
        None,
        "--plan",
        metavar="NAME",
        help="Share the plan NAME with every `run` given it (any machine, one store): units claimed with leases.",
    ),
    summary_json: Path | None = typer.Option(
        None, "--summary-json", help="Write the run summary as JSON to FILE."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logs."),
    log_format: str = typer.Option("text", "--log-format", help="Logs on stderr as text or json."),
) -> None:
    """Build (and publish) the daily reports of every repository in the config."""
    if log_format not in ("text", "json"):
        raise UsageError(f"unknown --log-format {log_format!r}", "use text or json")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1", "e.g. --jobs 4")
    setup_logging(verbose, log_format)
    dates = DateSpec(date, first, last)
    dates.check()
    chosen_shard = parse_shard(shard)
    settings = build_settings(config, data_dir, {"run": {"concurrency": jobs}})
    planned = plan_jobs(settings, chosen_shard, base_dir=config_dir(config))
    target = output_dir or (Path(settings.run.output_dir) if settings.run.output_dir else None)
    renderers = renderers_for(settings)
    files = None
    if target is not None:
        files = FilesOutput(target, settings.report.formats, renderers, settings.report.path_template)
    available = configured_publishers(settings, files, renderers)
    for job in planned:  # unknown publisher names are configuration errors, before any work
        publishers_for(job.entry, job.index, available)
    summary_path = summary_json or (Path(settings.run.summary_json) if settings.run.summary_json else None)
    if chosen_shard is not None:
        log.info("shard %s: %d of %d repositories", chosen_shard, len(planned), len(settings.repos))
    started = time.monotonic()
    store = open_store(settings)
    run_id = store.start_run(" ".join(["run", *sys.argv[2:]]) if sys.argv[1:2] == ["run"] else "run")
    try:
        run = RunOptions(dates=dates, force=force, concurrency=settings.run.concurrency)
        if plan:
            shared = SharedPlan(lambda: open_store(settings), plan, settings.store.lease_seconds)
            results = run_shared(planned, run, available, shared, settings.run.concurrency)
        else:
            results = run_jobs(planned, run, available)
    except BaseException:
        store.finish_run(run_id, "interrupted", {})
        store.close()
        raise
    code = exit_code(results)
    summary = run_summary(results, shard=str(chosen_shard) if chosen_shard else None,
                          duration=time.monotonic() - started, code=code)  # fmt: skip
    store.finish_run(run_id, summary["status"], summary)
    store.close()
    if summary_path is not None:
        write_file(summary_path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    totals = summary["totals"]
    log.info(
        "%d repositories: %d ok, %d failed, %d partial, %d gated; %d day(s) built, %d up to date",
        totals["repos"], totals["ok"], totals["failed"], totals["partial"], totals["gated"],
        totals["days_built"], totals["days_up_to_date"],
    )  # fmt: skip
    if code:
        raise typer.Exit(code)
