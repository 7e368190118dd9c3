"""`dailydiff publish SOURCE --date D`: send stored reports through the configured `[[publish]]` entries,
and the publishing step that `dailydiff report --publish` shares."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.engine.printer import delivery_lines, envelope, exit_code, publish_error, write_summary


@app.command("publish", cls=options.Command)
@handle_errors
@options.shared("date", "first", "last", "tz", "lang", "data_dir", "config", "summary_json", "quiet")
def publish_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="The report's source, as given to `dailydiff report`."
    ),
    shared: options.Shared = options.Shared(),
    repo: str | None = typer.Option(
        None, "--repo", metavar="REPO", help="The report's repository id (default: from SOURCE)."
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports, as given to report."
    ),
    only: list[str] = typer.Option(
        [], "--only", metavar="PUBLISHER", help="Only this publisher (by name; repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent; send nothing."),
    force: bool = typer.Option(
        False, "--force", help="Send again what was already delivered (a second chat message or e-mail)."
    ),
) -> None:
    """Send stored report(s) through the configured publishers ([[publish]] in dailydiff.toml)."""
    from dailydiff.engine import Given, Request, Targets, plan, run

    dates = shared.check()
    settings = shared.settings()
    quiet = shared.quiet
    with open_store(settings, quiet) as store:
        request = Request("publish", settings, store, dates,
                          targets=Targets(only=tuple(only), dry_run=dry_run), given=Given(source, name, repo),
                          config_dir=config_dir(shared.config), force=force, open_store=lambda: open_store(settings))  # fmt: skip
        planned = plan(request)
        sys.stdout.write(planned.text)
        outcomes = run(planned)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False)
    _summarise(planned, outcomes, shared.summary_json)
    if planned.missing and not quiet:
        stderr.print(f"no stored report for {', '.join(planned.missing)}", markup=False)
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _summarise(planned: Any, outcomes: list[Any], path: Path | None) -> None:
    """--summary-json: one row per delivery (or, with --dry-run, per preview)."""
    if path is None:
        return
    rows = [{"repo": o.repo, "date": o.date.isoformat(), **p.as_dict()} for o in outcomes for p in o.publish]
    request = planned.request
    summary = {**envelope("publish", outcomes, exit_code(outcomes)), "repo": planned.repo,
               "dry_run": request.targets.dry_run, "missing": planned.missing, "publish": rows + planned.rows}  # fmt: skip
    write_summary(path, summary)
