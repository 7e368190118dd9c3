"""`dailydiff digest --date D [--name N]`: the configured daily digests across repositories, built from the
stored reports of the day (no fetching), written with --output-dir and delivered with --publish."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.deliver import configured_publishers, deliver, failure_error
from dailydiff.engine.digests import DIGEST_FORMATS, llm_for_digests, run_digests, summary_line
from dailydiff.errors import ConfigError, DailyDiffError, UsageError
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher
from dailydiff.render.edition import digest_edition
from dailydiff.store import open_store


@app.command("digest")
@handle_errors
def digest_command(
    date: options.Date = None,
    first: options.First = None,
    last: options.Last = None,
    name: str | None = typer.Option(
        None, "--name", "-n", metavar="NAME", help="Only the [[digest]] named NAME."
    ),
    formats: str | None = typer.Option(
        None, "--format", metavar="FORMATS", help="Comma-separated formats for --output-dir: md,json,html."
    ),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", metavar="DIR", help="Write DIR/digests/YYYY/<name>/YYYY-MM-DD.<ext>."
    ),
    publish: bool = typer.Option(False, "--publish", help="Deliver through the digest's publishers."),
    force: options.Force = False,
    quiet: options.Quiet = False,
    config: options.Config = None,
    data_dir: options.DataDir = None,
) -> None:
    """Daily digest(s) across repositories from the stored reports of the day(s)."""
    chosen = ["md"]
    if formats is not None:
        chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
        unknown = [f for f in chosen if f not in DIGEST_FORMATS]
        if unknown or not chosen:
            raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(DIGEST_FORMATS)}")
    settings = build_settings(config, data_dir, {})
    if not settings.digest:
        raise ConfigError("no [[digest]] entries are configured",
                          'add one to dailydiff.toml, e.g. [[digest]] name = "team" repos = ["*"]')  # fmt: skip
    dates = resolve_dates(date, first, last, settings.report.timezone)
    secrets = Secrets(os.environ)
    available = configured_publishers(settings.publish, secrets) if publish else []
    if publish and not available:
        raise ConfigError(
            "--publish needs [[publish]] entries", "add some to dailydiff.toml (see the README)"
        )
    with open_store(settings) as store:
        analyzer = llm_for_digests(settings, store)
        outcomes = run_digests(settings, store, dates, available, name=name, publish=publish, force=force,
                               secrets=secrets, analyzer=analyzer)  # fmt: skip
    if not outcomes:
        days = ", ".join(d.isoformat() for d in dates)
        raise DailyDiffError(f"no stored reports of {days} for the digest(s)",
                             f"build the day(s) first: dailydiff run --date {dates[0].isoformat()} (or --from/--to)")  # fmt: skip
    outputs: list[Publisher] = []
    if output_dir is not None:
        outputs.append(output_dir_publisher(output_dir, settings.report.path_template, chosen))
    elif not publish:
        outputs.append(StdoutPublisher(fmt=chosen[0]))
    for outcome in outcomes:
        for output in deliver(digest_edition(outcome.digest, settings), outputs, None, secrets=secrets):
            for path in () if quiet else output.paths:
                stderr.print(f"wrote {path}", markup=False, highlight=False)
        for result in outcome.publish:
            if quiet and result.status != "failed":
                continue
            mark = {"ok": "✓", "skipped": "–", "failed": "✗"}[result.status]
            stderr.print(f"{mark} publish {result.publisher} digest {outcome.name} {outcome.date}: "
                         f"{result.status} — {result.detail}", markup=False, highlight=False)  # fmt: skip
    if not quiet:
        stderr.print(f"dailydiff: {summary_line(outcomes)}", markup=False, highlight=False)
    error = failure_error([p for o in outcomes for p in o.publish])
    if error is not None:
        raise error
