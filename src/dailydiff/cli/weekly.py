"""`dailydiff weekly SOURCE|--config`: weekly digests from the stored daily reports."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from shlex import quote

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.cli.options import config_dir
from dailydiff.cli.publish import publish_editions, raise_for_failures
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.deliver import configured_publishers, deliver
from dailydiff.engine.names import config_entry, repo_name
from dailydiff.engine.plan import plan_jobs
from dailydiff.engine.weekly import build_week, edition_of, weekly_publishers
from dailydiff.errors import ConfigError, DailyDiffError, UsageError
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.files import StdoutPublisher, output_dir_publisher
from dailydiff.render.week import IsoWeek, WeekDigest, parse_week
from dailydiff.render.weekly import WEEKLY_RENDERERS
from dailydiff.settings import Settings
from dailydiff.store import Store, open_store


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
    tz: str | None = typer.Option(
        None, "--tz", metavar="TZ", help="IANA timezone of the reports [default: Asia/Shanghai]."
    ),
    lang: options.Lang = None,
    formats: str | None = typer.Option(
        None, "--format", metavar="FORMATS", help="Comma-separated formats for --output-dir: md,json,html."
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
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang},
                                                "weekly": {"formats": chosen}})  # fmt: skip
    targets = _targets(source, name, settings, config)
    secrets = Secrets(os.environ)
    outputs: list[Publisher] = []
    if output_dir is not None:
        outputs.append(
            output_dir_publisher(output_dir, settings.report.path_template, settings.weekly.formats)
        )
    elif not publish:
        outputs.append(StdoutPublisher())
    available = (
        weekly_publishers(settings, configured_publishers(settings.publish, secrets)) if publish else []
    )
    if publish and not available:
        raise ConfigError(
            "--publish needs [[publish]] entries", "add some to dailydiff.toml (see the README)"
        )
    editions = []
    with open_store(settings) as store:
        for repo, repo_settings, builder in targets:
            zone = check_timezone(repo_settings.report.timezone)
            iso = parse_week(week, dt.datetime.now(dt.UTC).astimezone(zone).date())
            digest = _digest(store, repo, iso, repo_settings, source is not None, builder)
            if digest is not None:
                editions.append(edition_of(store, digest, repo_settings))
        for edition in editions:
            for output in deliver(edition, outputs, None, secrets=secrets):
                for path in output.paths:
                    stderr.print(f"wrote {path}", markup=False, highlight=False)
        rows = publish_editions(editions, available, store, secrets, settings.run.claim_timeout, force=force)
    if not editions:
        raise typer.Exit(1)
    raise_for_failures(rows)


def _digest(
    store: Store, repo: str, iso: IsoWeek, settings: Settings, single: bool, builder: str
) -> WeekDigest | None:
    language = settings.report.language
    digest = build_week(store, repo, iso, settings)
    if digest is None:
        first, last = iso.days[0].isoformat(), iso.days[-1].isoformat()
        message = f"no stored reports of {repo} ({language}) in {iso.label}"
        hint = f"build them first: {builder} --from {first} --to {last}"
        others = sorted({lang for _, _, lang in store.list_reports(repo)} - {language})
        if others:
            hint += f" (the store has {repo} in {', '.join(others)}: or pass --lang {others[0]})"
        if single:
            raise DailyDiffError(message, hint)
        stderr.print(f"dailydiff: warning: {message} — {hint}", markup=False, highlight=False)
    return digest
