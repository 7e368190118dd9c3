"""`dailydiff publish SOURCE --date D`: send stored reports through the configured `[[publish]]` entries,
and the publishing step that `dailydiff report --publish` shares."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.cli.summary import delivery_lines, publish_error
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.deliver import stored_history
from dailydiff.engine.names import repo_name
from dailydiff.errors import PublishError, UsageError
from dailydiff.models import DayReport
from dailydiff.publish.base import Secrets
from dailydiff.publish.files import write_file
from dailydiff.publish.registry import build_publishers, select
from dailydiff.render.edition import day_edition
from dailydiff.settings import Settings
from dailydiff.store import Store


def publish_reports(
    reports: Sequence[DayReport],
    settings: Settings,
    store: Store,
    *,
    dry_run: bool = False,
    force: bool = False,
    only: Sequence[str] = (),
    quiet: bool = False,
) -> list[Any]:
    """Each stored report to every configured publisher (``only``: those named): a plan of stored days run
    by the one runner (claimed in the ledger, never twice unless ``force``), or their previews with
    ``dry_run``. Returns the units' outcomes; each delivery is printed as one line unless ``quiet``."""
    from dailydiff.engine.dates import DateSpec
    from dailydiff.engine.runner import Plan, run_plan
    from dailydiff.engine.stream import RunOptions
    from dailydiff.engine.units import StoredDayUnit

    if not settings.publish:
        raise PublishError(
            "no [[publish]] entries are configured", "add some to dailydiff.toml (see the README)"
        )
    secrets = Secrets(os.environ)
    history = stored_history(lambda: open_store(settings)) if settings.site.charts else None
    configured = build_publishers(settings.publish, secrets)
    publishers = select(configured, only)
    if dry_run:
        for report in reports:
            edition = day_edition(report, settings, history)
            for publisher in publishers:
                text = secrets.redact(publisher.preview(edition))
                sys.stdout.write(f"== {publisher.name} ({publisher.type}) ==\n{text}\n")
        return []
    plan = Plan()
    for report in reports:
        plan.add(StoredDayUnit(report, tuple(publishers)))
    days = sorted(r.date for r in reports)
    run = RunOptions(dates=DateSpec(first=days[0].isoformat(), last=days[-1].isoformat()), force=force,
                     secrets=secrets, history=history, open_store=lambda: open_store(settings))  # fmt: skip
    outcomes = run_plan(plan, run, configured, store, settings)  # --only: the others are still alerted on
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False)
    return outcomes


def rows_of(
    outcomes: Sequence[Any], dry_run: Sequence[DayReport] = (), publishers: Sequence[tuple[str, str]] = ()
) -> list[dict[str, Any]]:
    """The summary's rows: one per delivery (or, with --dry-run, per preview)."""
    rows = [{"repo": o.repo, "date": o.date.isoformat(), **p.as_dict()} for o in outcomes for p in o.publish]
    rows += [{"repo": r.repo, "date": r.date.isoformat(), "publisher": name, "type": kind, "status": "skipped",
              "detail": "dry run"} for r in dry_run for name, kind in publishers]  # fmt: skip
    return rows


def resolve_repo(source: str, repo: str | None, name: str | None, settings: Settings,
                 config: Path | None = None) -> str:  # fmt: skip
    if repo:
        return repo
    return repo_name(source, settings, name=name, base_dir=config_dir(config))


@app.command("publish", cls=options.Command)
@handle_errors
def publish_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="The report's source, as given to `dailydiff report`."
    ),
    date: options.Date = None,
    first: options.First = None,
    last: options.Last = None,
    repo: str | None = typer.Option(
        None, "--repo", metavar="REPO", help="The report's repository id (default: from SOURCE)."
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports, as given to report."
    ),
    tz: options.Tz = None,
    lang: options.Lang = None,
    only: list[str] = typer.Option(
        [], "--only", metavar="PUBLISHER", help="Only this publisher (by name; repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent; send nothing."),
    force: bool = typer.Option(
        False, "--force", help="Send again what was already delivered (a second chat message or e-mail)."
    ),
    data_dir: options.DataDir = None,
    config: options.Config = None,
    summary_json: options.SummaryJson = None,
    quiet: options.Quiet = False,
) -> None:
    """Send stored report(s) through the configured publishers ([[publish]] in dailydiff.toml)."""
    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    dates = resolve_dates(date, first, last, settings.report.timezone)
    repo_id = resolve_repo(source, repo, name, settings, config)
    with open_store(settings, quiet) as store:
        reports = [store.get_report(repo_id, d, settings.report.language) for d in dates]
        found = [r for r in reports if r is not None]
        missing = [d.isoformat() for d, r in zip(dates, reports, strict=True) if r is None]
        if not found:
            raise PublishError(
                f"no stored {settings.report.language} report of {repo_id} for {', '.join(missing)}",
                f"build it first: dailydiff report {source} --date {missing[0]}",
            )
        outcomes = publish_reports(
            found, settings, store, dry_run=dry_run, force=force, only=only, quiet=quiet
        )
        chosen = select(build_publishers(settings.publish, Secrets(os.environ)), only) if dry_run else []
        names = [(p.name, p.type) for p in chosen]
        rows = rows_of(outcomes, found if dry_run else (), names)
    summary = {"repo": repo_id, "dry_run": dry_run, "missing": missing, "publish": rows}
    if summary_json is not None:
        write_file(summary_json, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if missing and not quiet:
        stderr.print(f"no stored report for {', '.join(missing)}", markup=False)
    error = publish_error(outcomes)
    if error is not None:
        raise error
