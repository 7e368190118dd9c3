"""`dailydiff digest --date D [--name N]`: the configured daily digests across repositories, built from the
stored reports of the day (no fetching), written with --output-dir and delivered with --publish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.engine.printer import (
    delivery_lines,
    digest_line,
    exit_code,
    publish_error,
    summary,
    write_summary,
)
from dailydiff.render.digest import DIGEST_FORMATS


@app.command("digest", cls=options.Command)
@handle_errors
@options.shared(
    "date", "first", "last", "lang", "tz", "force", "quiet", "verbose", "summary_json", "config", "data_dir"
)
def digest_command(
    shared: options.Shared = options.Shared(),
    name: str | None = typer.Option(
        None, "--name", "-n", metavar="NAME", help="Only the [[digest]] named NAME."
    ),
    formats: options.EditionFormats = None,
    output_dir: Path | None = options.output_dir("Write DIR/digests/YYYY/<name>/YYYY-MM-DD.<ext>."),
    publish: bool = typer.Option(False, "--publish", help="Deliver through the digest's publishers."),
    audience: options.Audience = None,
) -> None:
    """Daily digest(s) across repositories from the stored reports of the day(s)."""
    chosen = options.edition_formats(formats, DIGEST_FORMATS, output_dir is None and not publish) or ["md"]
    options.check_audience(audience)
    dates = shared.check()
    shared.logging("WARNING")
    settings = shared.settings()
    outputs = options.edition_outputs(output_dir, publish, settings.report.path_template, chosen)
    outcomes = _run(settings, dates, shared, name, outputs, publish=publish, audience=audience)
    quiet = shared.quiet
    for outcome in outcomes:
        for path in () if quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False, highlight=False)
    if not quiet:
        stderr.print(f"dailydiff: {digest_line(outcomes)}", markup=False, highlight=False)
    if shared.summary_json is not None:
        write_summary(
            shared.summary_json, summary("digest", outcomes, code=exit_code(outcomes), duration=0.0)
        )
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _run(settings: Any, dates: Any, shared: options.Shared, name: str | None, outputs: list[Any], *, publish: bool,
         audience: str | None = None) -> list[Any]:  # fmt: skip
    """The digest-days planned and run by the engine."""
    from dailydiff.engine import DigestRequest, Flags, Request, Targets, plan, run

    with open_store(settings) as store:
        request = Request("digest", settings, store, dates, Flags(language=shared.lang),
                          Targets(outputs, publish=publish), of=DigestRequest(name, audience), force=shared.force,
                          config_dir=options.config_dir(shared.config), open_store=lambda: open_store(settings))  # fmt: skip
        return run(plan(request))
