"""`dailydiff publish SOURCE --date D`: send stored reports through the configured `[[publish]]` entries,
and the publishing step that `dailydiff report --publish` shares."""

from __future__ import annotations

import json
import sys

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.common.dates import DateSpec
from dailydiff.common.timewindow import check_timezone
from dailydiff.errors import UsageError
from dailydiff.publish.files import write_file


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
    from dailydiff.engine import Request, plan, run
    from dailydiff.engine.printer import delivery_lines, publish_error

    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    dates = DateSpec(date, first, last)
    with open_store(settings, quiet) as store:
        request = Request("publish", settings, store, dates, config_dir=config_dir(config), source=source,
                          name=name, repo=repo, only=tuple(only), dry_run=dry_run, force=force,
                          open_store=lambda: open_store(settings))  # fmt: skip
        planned = plan(request)
        sys.stdout.write(planned.text)
        outcomes = run(planned)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False)
    rows = [{"repo": o.repo, "date": o.date.isoformat(), **p.as_dict()} for o in outcomes for p in o.publish]
    summary = {
        "repo": planned.repo,
        "dry_run": dry_run,
        "missing": planned.missing,
        "publish": rows + planned.rows,
    }
    if summary_json is not None:
        write_file(summary_json, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if planned.missing and not quiet:
        stderr.print(f"no stored report for {', '.join(planned.missing)}", markup=False)
    error = publish_error(outcomes)
    if error is not None:
        raise error
