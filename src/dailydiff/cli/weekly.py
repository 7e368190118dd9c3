"""`dailydiff weekly SOURCE|--config`: weekly digests from the stored daily reports."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from shlex import quote
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, stderr
from dailydiff.cli.options import config_dir
from dailydiff.cli.summary import delivery_lines, publish_error
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.deliver import configured_publishers
from dailydiff.engine.names import config_entry, repo_name
from dailydiff.engine.plan import plan_jobs
from dailydiff.engine.weekly import weekly_publishers
from dailydiff.errors import ConfigError, DailyDiffError, UsageError
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher
from dailydiff.render.week import IsoWeek, parse_week
from dailydiff.render.weekly import WEEKLY_RENDERERS
from dailydiff.settings import Settings
from dailydiff.store import Store


def _targets(
    source: str | None, name: str | None, settings: Settings, config: Path | None
) -> list[tuple[str, Settings, str]]:
    """(repository id, its settings, the command that builds its days) for SOURCE, or for every [[repos]]
    entry; the id is the one `run` and `report` store the days under (engine/names.py)."""
    base = config_dir(config)
    if source is not None:
        with open_store(settings) as store:
            stored = {repo for repo, _, _ in store.list_reports()}
        if not name and source in stored:
            return [(source, settings, f"dailydiff report SOURCE --name {quote(source)}")]
        repo = repo_name(source, settings, name=name, base_dir=base)
        if config_entry(source, settings, base) is not None and not name:
            return [(repo, settings, "dailydiff run")]
        return [
            (repo, settings, f"dailydiff report {quote(source)}" + (f" --name {quote(name)}" if name else ""))
        ]
    return [
        (repo_name(job.source, job.settings, name=job.source_options.name, base_dir=base), job.settings,
         "dailydiff run")
        for job in plan_jobs(settings, base_dir=base)
    ]  # fmt: skip


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
    audience: str | None = typer.Option(
        None,
        "--audience",
        metavar="AUDIENCE",
        help="engineer (commits, paths) or stakeholder (themes, no paths); default: [weekly] audience.",
    ),
) -> None:
    """Weekly digest(s) from the stored daily reports: highlights, counts, top commits, watch hits."""
    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    chosen = None
    if formats is not None:
        chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
        unknown = [f for f in chosen if f not in WEEKLY_RENDERERS]
        if unknown or not chosen:
            raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(WEEKLY_RENDERERS)}")
        if output_dir is None and not publish and len(chosen) > 1:
            raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                             "pass one format, or -o DIR to write a file per format")  # fmt: skip
    if audience is not None and audience not in ("engineer", "stakeholder"):
        raise UsageError(
            f"unknown audience {audience!r}", "use --audience engineer or --audience stakeholder"
        )
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang},
                                                "weekly": {"formats": chosen, "audience": audience}})  # fmt: skip
    targets = _targets(source, name, settings, config)
    secrets = Secrets(os.environ)
    outputs: list[Publisher] = []
    if output_dir is not None:
        outputs.append(
            output_dir_publisher(output_dir, settings.report.path_template, settings.weekly.formats)
        )
    elif not publish:  # the one format asked for, Markdown by default
        outputs.append(StdoutPublisher(fmt=chosen[0] if chosen else "md"))
    available = (
        weekly_publishers(settings, configured_publishers(settings.publish, secrets)) if publish else []
    )
    if publish and not available:
        raise ConfigError(
            "--publish needs [[publish]] entries", "add some to dailydiff.toml (see the README)"
        )
    outcomes = _run_units(settings, targets, week, outputs, available, single=source is not None, force=force,
                          secrets=secrets)  # fmt: skip
    for outcome in outcomes:
        for path in () if quiet else outcome.written:
            stderr.print(f"wrote {path}", markup=False, highlight=False)
    for line in delivery_lines(outcomes, quiet=quiet):
        stderr.print(line, markup=False)
    if not outcomes:
        raise typer.Exit(1)
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _run_units(settings: Settings, targets: list[tuple[str, Settings, str]], week: str | None, outputs: list[Publisher],
               available: list[Publisher], *, single: bool, force: bool, secrets: Secrets) -> list[Any]:  # fmt: skip
    """A plan of weeks (one per repository with a stored day in it), through the one runner."""
    from dailydiff.engine.dates import DateSpec
    from dailydiff.engine.runner import Plan, run_plan
    from dailydiff.engine.stream import RunOptions
    from dailydiff.engine.units import WeekUnit

    plan = Plan()
    with open_store(settings) as store:
        for repo, repo_settings, builder in targets:
            zone = check_timezone(repo_settings.report.timezone)
            iso = parse_week(week, dt.datetime.now(dt.UTC).astimezone(zone).date())
            if _stored(store, repo, iso, repo_settings, single, builder):
                plan.add(WeekUnit(repo, repo, repo_settings, iso.days[0], builder=builder))
        if not plan.units:
            return []
        days = sorted(u.date for u in plan.units.values())
        run = RunOptions(dates=DateSpec(first=days[0].isoformat(), last=days[-1].isoformat()), force=force,
                         outputs=outputs, secrets=secrets, open_store=lambda: open_store(settings))  # fmt: skip
        return run_plan(plan, run, available, store, settings)


def _stored(store: Store, repo: str, iso: IsoWeek, settings: Settings, single: bool, builder: str) -> bool:
    """Whether a day of the week is stored; else what to run, as the error of a single repository or a
    warning among several."""
    language = settings.report.language
    if any(store.get_report(repo, day, language) is not None for day in iso.days):
        return True
    first, last = iso.days[0].isoformat(), iso.days[-1].isoformat()
    message = f"no stored reports of {repo} ({language}) in {iso.label}"
    hint = f"build them first: {builder} --from {first} --to {last}"
    others = sorted({lang for _, _, lang in store.list_reports(repo)} - {language})
    if others:
        hint += f" (the store has {repo} in {', '.join(others)}: or pass --lang {others[0]})"
    if single:
        raise DailyDiffError(message, hint)
    stderr.print(f"dailydiff: warning: {message} — {hint}", markup=False, highlight=False)
    return False
