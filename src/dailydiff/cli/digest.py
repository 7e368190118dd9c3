"""`dailydiff digest --date D [--name N]`: the configured daily digests across repositories, built from the
stored reports of the day (no fetching), written with --output-dir and delivered with --publish."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.cli.summary import delivery_lines, publish_error
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.deliver import configured_publishers
from dailydiff.engine.digests import DIGEST_FORMATS, summary_line
from dailydiff.errors import ConfigError, DailyDiffError, UsageError
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher


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
    audience: str | None = typer.Option(
        None,
        "--audience",
        metavar="AUDIENCE",
        help="engineer (commits) or stakeholder (counts and highlights, no paths); default: each [[digest]]'s.",
    ),
) -> None:
    """Daily digest(s) across repositories from the stored reports of the day(s)."""
    chosen = ["md"]
    if formats is not None:
        chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
        unknown = [f for f in chosen if f not in DIGEST_FORMATS]
        if unknown or not chosen:
            raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(DIGEST_FORMATS)}")
        if output_dir is None and not publish and len(chosen) > 1:
            raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                             "pass one format, or -o DIR to write a file per format")  # fmt: skip
    shared = options.Shared(date, first, last, lang=lang, tz=tz, quiet=quiet, verbose=verbose)
    shared.check()
    shared.logging("WARNING")
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    if lang is not None:  # the flag beats a [[digest]] entry's own language too
        settings = settings.model_copy(
            update={"digest": [entry.model_copy(update={"language": lang}) for entry in settings.digest]}
        )
    if audience is not None:  # the flag beats each [[digest]] entry's own audience
        if audience not in ("engineer", "stakeholder"):
            raise UsageError(
                f"unknown audience {audience!r}", "use --audience engineer or --audience stakeholder"
            )
        settings = settings.model_copy(
            update={"digest": [entry.model_copy(update={"audience": audience}) for entry in settings.digest]}
        )
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
    outputs: list[Publisher] = []
    if output_dir is not None:
        outputs.append(output_dir_publisher(output_dir, settings.report.path_template, chosen))
    elif not publish:
        outputs.append(StdoutPublisher(fmt=chosen[0]))
    outcomes = _run_units(settings, dates, name, outputs, available, publish=publish, force=force, secrets=secrets,
                          config=config)  # fmt: skip
    for outcome in outcomes:
        for path in () if quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False, highlight=False)
    if not quiet:
        stderr.print(f"dailydiff: {summary_line(outcomes)}", markup=False, highlight=False)
    if summary_json is not None:
        import json

        from dailydiff.cli.summary import exit_code, summary
        from dailydiff.publish.files import write_file

        data = summary("digest", outcomes, code=exit_code(outcomes), duration=0.0)
        write_file(summary_json, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _run_units(settings: Any, dates: list[Any], name: str | None, outputs: list[Any], available: list[Any], *,
               publish: bool, force: bool, secrets: Any, config: Path | None) -> list[Any]:  # fmt: skip
    """A plan of digest-days (the one named, or every [[digest]]) for the days, through the one runner."""
    from dailydiff.engine.dates import DateSpec
    from dailydiff.engine.digests import digest_entries
    from dailydiff.engine.plan import qualified_ids
    from dailydiff.engine.runner import Plan, run_plan
    from dailydiff.engine.stream import RunOptions
    from dailydiff.engine.units import DigestUnit

    entries = digest_entries(
        settings, name
    )  # an unknown name first: it is the user's mistake, not the store's
    ids = tuple(qualified_ids(settings.repos, options.config_dir(config)))
    with open_store(settings) as store:
        stored = {day for _repo, day, _lang in store.list_reports()}
        if not stored & set(dates):
            days = ", ".join(d.isoformat() for d in dates)
            raise DailyDiffError(f"no stored reports of {days} for the digest(s)",
                                 f"build the day(s) first: dailydiff run --date {dates[0].isoformat()} (or --from/--to)")  # fmt: skip
        plan = Plan()
        for entry in entries:
            for date in dates:
                plan.add(DigestUnit(entry, settings.digest.index(entry) + 1, date, ids, publish=publish))
        run = RunOptions(dates=DateSpec(first=dates[0].isoformat(), last=dates[-1].isoformat()), force=force,
                         outputs=outputs, secrets=secrets, open_store=lambda: open_store(settings))  # fmt: skip
        return run_plan(plan, run, available, store, settings)
