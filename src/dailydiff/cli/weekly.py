"""`dailydiff weekly SOURCE|--config`: weekly digests from the stored daily reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.engine.printer import delivery_lines, failed_unit, publish_error
from dailydiff.publish.base import Publisher
from dailydiff.render.weekly import WEEKLY_RENDERERS
from dailydiff.settings import Settings


@app.command("weekly", cls=options.Command)
@handle_errors
@options.shared("config", "tz", "lang", "data_dir", "force", "quiet")
def weekly_command(
    source: str | None = typer.Argument(
        None, metavar="SOURCE", help="A repository (as for `report`); omit with --config for all."
    ),
    week: str | None = typer.Option(
        None, "--week", "-w", metavar="WEEK", help="YYYY-Www, 'this' or 'last' (default)."
    ),
    shared: options.Shared = options.Shared(),
    formats: options.EditionFormats = None,
    output_dir: Path | None = options.output_dir("Write the digests under DIR."),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports (as for `report`)."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Deliver each week to [weekly] publishers (all when none is named), once."
    ),
    audience: options.Audience = None,
) -> None:
    """Weekly digest(s) from the stored daily reports: highlights, counts, top commits, watch hits."""
    shared.check()
    chosen = options.edition_formats(formats, WEEKLY_RENDERERS, output_dir is None and not publish)
    options.check_audience(audience)
    settings = shared.settings({"weekly": {"formats": chosen, "audience": audience}})
    # the files in [weekly] formats (--format sets them); printed, the one asked for, Markdown by default
    files = settings.weekly.formats if output_dir is not None else chosen or ["md"]
    outputs = options.edition_outputs(output_dir, publish, settings.report.path_template, files)
    outcomes = _run(settings, source, name, week, shared, outputs, publish=publish)
    for outcome in outcomes:
        for path in () if shared.quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=shared.quiet):
        stderr.print(line, markup=False)
    if not outcomes:
        raise typer.Exit(1)
    error = failed_unit(outcomes) or publish_error(outcomes)
    if error is not None:
        raise error


def _run(settings: Settings, source: str | None, name: str | None, week: str | None, shared: options.Shared,
         outputs: list[Publisher], *, publish: bool) -> list[Any]:  # fmt: skip
    """The weeks planned and run by the engine."""
    from dailydiff.engine import Given, Request, Targets, WeeklyRequest, plan, run

    def warn(line: str) -> None:
        stderr.print(line, markup=False, highlight=False)

    with open_store(settings) as store:
        request = Request("weekly", settings, store, targets=Targets(outputs, publish=publish),
                          given=Given(source, name), of=WeeklyRequest(week), force=shared.force,
                          config_dir=config_dir(shared.config), say=warn, open_store=lambda: open_store(settings))  # fmt: skip
        return run(plan(request))
