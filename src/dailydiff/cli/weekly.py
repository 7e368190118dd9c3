"""`dailydiff weekly SOURCE|--config`: weekly digests from the stored daily reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.engine.printer import delivery_lines, failed_unit, publish_error
from dailydiff.errors import UsageError
from dailydiff.publish.base import Publisher
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher
from dailydiff.render.weekly import WEEKLY_RENDERERS
from dailydiff.settings import Settings


@app.command("weekly", cls=options.Command)
@handle_errors
def weekly_command(
    source: str | None = typer.Argument(
        None, metavar="SOURCE", help="A repository (as for `report`); omit with --config for all."
    ),
    week: str | None = typer.Option(
        None, "--week", "-w", metavar="WEEK", help="YYYY-Www, 'this' or 'last' (default)."
    ),
    config: options.Config = None,
    tz: options.Tz = None,
    lang: options.Lang = None,
    formats: str | None = typer.Option(
        None,
        "--format",
        metavar="FORMATS",
        help="md,json,html: the files written with --output-dir; without it, the one format printed.",
    ),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", metavar="DIR", help="Write the digests under DIR."
    ),
    data_dir: options.DataDir = None,
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports (as for `report`)."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Deliver each week to [weekly] publishers (all when none is named), once."
    ),
    force: options.Force = False,
    quiet: options.Quiet = False,
    audience: options.Audience = None,
) -> None:
    """Weekly digest(s) from the stored daily reports: highlights, counts, top commits, watch hits."""
    chosen = _check(formats, output_dir, publish, tz, lang)
    options.check_audience(audience)
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang},
                                                "weekly": {"formats": chosen, "audience": audience}})  # fmt: skip
    outputs = _outputs(settings, output_dir, publish, chosen)
    outcomes = _run(settings, source, name, week, config, outputs, publish=publish, force=force)
    for outcome in outcomes:
        for path in () if quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False)
    if not outcomes:
        raise typer.Exit(1)
    error = failed_unit(outcomes) or publish_error(outcomes)
    if error is not None:
        raise error


def _check(formats: str | None, output_dir: Path | None, publish: bool, tz: str | None,
           lang: str | None) -> list[str] | None:  # fmt: skip
    """The flags checked before any work; returns the formats asked for."""
    options.check_language_and_zone(lang, tz)
    if formats is None:
        return None
    chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in WEEKLY_RENDERERS]
    if unknown or not chosen:
        raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(WEEKLY_RENDERERS)}")
    if output_dir is None and not publish and len(chosen) > 1:
        raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                         "pass one format, or -o DIR to write a file per format")  # fmt: skip
    return chosen


def _outputs(
    settings: Settings, output_dir: Path | None, publish: bool, chosen: list[str] | None
) -> list[Publisher]:
    """The command's own outputs: files under -o, else (without --publish) stdout in the one format."""
    if output_dir is not None:
        return [output_dir_publisher(output_dir, settings.report.path_template, settings.weekly.formats)]
    if not publish:  # the one format asked for, Markdown by default
        return [StdoutPublisher(fmt=chosen[0] if chosen else "md")]
    return []


def _run(settings: Settings, source: str | None, name: str | None, week: str | None, config: Path | None,
         outputs: list[Publisher], *, publish: bool, force: bool) -> list[Any]:  # fmt: skip
    """The weeks planned and run by the engine."""
    from dailydiff.engine import Given, Request, Targets, WeeklyRequest, plan, run

    def warn(line: str) -> None:
        stderr.print(line, markup=False, highlight=False)

    with open_store(settings) as store:
        request = Request("weekly", settings, store, targets=Targets(outputs, publish=publish),
                          given=Given(source, name), of=WeeklyRequest(week), force=force,
                          config_dir=config_dir(config), say=warn, open_store=lambda: open_store(settings))  # fmt: skip
        return run(plan(request))
