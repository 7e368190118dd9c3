"""`dailydiff digest --date D [--name N]`: the configured daily digests across repositories, built from the
stored reports of the day (no fetching), written with --output-dir and delivered with --publish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.engine.printer import delivery_lines, digest_line, exit_code, publish_error, summary
from dailydiff.errors import UsageError
from dailydiff.publish.base import Publisher
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher, write_file
from dailydiff.render.digest import DIGEST_FORMATS


@app.command("digest", cls=options.Command)
@handle_errors
def digest_command(
    date: options.Date = None,
    first: options.First = None,
    last: options.Last = None,
    name: str | None = typer.Option(
        None, "--name", "-n", metavar="NAME", help="Only the [[digest]] named NAME."
    ),
    formats: str | None = typer.Option(
        None,
        "--format",
        metavar="FORMATS",
        help="md,json,html: the files written with --output-dir; without it, the one format printed.",
    ),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", metavar="DIR", help="Write DIR/digests/YYYY/<name>/YYYY-MM-DD.<ext>."
    ),
    publish: bool = typer.Option(False, "--publish", help="Deliver through the digest's publishers."),
    lang: options.Lang = None,
    tz: options.Tz = None,
    force: options.Force = False,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
    summary_json: options.SummaryJson = None,
    config: options.Config = None,
    data_dir: options.DataDir = None,
    audience: options.Audience = None,
) -> None:
    """Daily digest(s) across repositories from the stored reports of the day(s)."""
    chosen = _formats(formats, output_dir, publish)
    options.check_audience(audience)
    shared = options.Shared(date, first, last, lang=lang, tz=tz, quiet=quiet, verbose=verbose)
    dates = shared.check()
    shared.logging("WARNING")
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    outputs: list[Publisher] = []
    if output_dir is not None:
        outputs.append(output_dir_publisher(output_dir, settings.report.path_template, chosen))
    elif not publish:
        outputs.append(StdoutPublisher(fmt=chosen[0]))
    outcomes = _run(
        settings, dates, lang, name, outputs, publish=publish, force=force, config=config, audience=audience
    )
    for outcome in outcomes:
        for path in () if quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False, highlight=False)
    if not quiet:
        stderr.print(f"dailydiff: {digest_line(outcomes)}", markup=False, highlight=False)
    if summary_json is not None:
        import json

        data = summary("digest", outcomes, code=exit_code(outcomes), duration=0.0)
        write_file(summary_json, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _formats(formats: str | None, output_dir: Path | None, publish: bool) -> list[str]:
    if formats is None:
        return ["md"]
    chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in DIGEST_FORMATS]
    if unknown or not chosen:
        raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(DIGEST_FORMATS)}")
    if output_dir is None and not publish and len(chosen) > 1:
        raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                         "pass one format, or -o DIR to write a file per format")  # fmt: skip
    return chosen


def _run(settings: Any, dates: Any, lang: str | None, name: str | None, outputs: list[Any], *, publish: bool,
         force: bool, config: Path | None, audience: str | None = None) -> list[Any]:  # fmt: skip
    """The digest-days planned and run by the engine."""
    from dailydiff.engine import DigestRequest, Flags, Request, Targets, plan, run

    with open_store(settings) as store:
        request = Request("digest", settings, store, dates, Flags(language=lang),
                          Targets(outputs, publish=publish), of=DigestRequest(name, audience), force=force,
                          config_dir=options.config_dir(config), open_store=lambda: open_store(settings))  # fmt: skip
        return run(plan(request))
