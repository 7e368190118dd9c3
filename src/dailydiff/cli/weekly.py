"""`dailydiff weekly SOURCE|--config`: weekly digests from the stored daily reports."""

from __future__ import annotations

import datetime as dt
import sys
from functools import partial
from pathlib import Path
from shlex import quote

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.cli.options import config_dir
from dailydiff.common import placeholders
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.names import config_entry, repo_name
from dailydiff.engine.plan import plan_jobs
from dailydiff.errors import DailyDiffError, UsageError
from dailydiff.publish.files import write_file
from dailydiff.render.charts import type_counts
from dailydiff.render.week import IsoWeek, WeekDigest, build_digest, parse_week
from dailydiff.render.weekly import WEEKLY_RENDERERS, WeeklyRenderer, render_weekly_markdown
from dailydiff.render.weekly_html import render_weekly_html
from dailydiff.settings import Settings
from dailydiff.store import Store, open_store


def digest_path(digest: WeekDigest, template: str, ext: str) -> Path:
    values = {"year": digest.week[:4], "week": digest.week, **placeholders.repo_values(digest.repo), "ext": ext,
              "lang": digest.language}  # fmt: skip
    try:
        return Path(placeholders.fill_path(template, values, placeholders.WEEK_PATH_PLACEHOLDERS))
    except placeholders.TemplateError as exc:
        raise UsageError(f"bad [weekly] path_template: {exc}", "see [weekly] in the README") from None


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
        if output_dir is None and len(chosen) > 1:
            raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                             "pass one format, or -o DIR to write a file per format")  # fmt: skip
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang},
                                                "weekly": {"formats": chosen}})  # fmt: skip
    targets = _targets(source, name, settings, config)
    digests = []
    previous: dict[str, dict[str, int] | None] = {}  # repo -> the week before's change types
    builders: dict[str, str] = {}  # repo -> the command that builds its missing days
    with open_store(settings) as store:
        for repo, repo_settings, builder in targets:
            zone = check_timezone(repo_settings.report.timezone)
            iso = parse_week(week, dt.datetime.now(dt.UTC).astimezone(zone).date())
            language = repo_settings.report.language
            digests.append(_digest(store, repo, iso, repo_settings, language, source is not None, builder))
            builders[repo] = builder
            before = [store.get_report(repo, day - dt.timedelta(days=7), language) for day in iso.days]
            stored = [r for r in before if r is not None]
            previous[repo] = type_counts(stored) if stored else None
    for digest in (d for d in digests if d is not None):
        renderers: dict[str, WeeklyRenderer] = {
            **WEEKLY_RENDERERS,
            "md": partial(render_weekly_markdown, templates_dir=settings.report.templates_dir,
                          builder=builders[digest.repo]),
            "html": partial(render_weekly_html, templates_dir=settings.site.templates_dir,
                            builder=builders[digest.repo],
                            previous_types=previous.get(digest.repo),
                            charts=None if settings.site.charts else []),
        }  # fmt: skip
        if output_dir is None:  # the one format asked for, Markdown by default
            sys.stdout.write(renderers[chosen[0] if chosen else "md"](digest))
            continue
        for fmt in settings.weekly.formats:
            target = output_dir / digest_path(digest, settings.weekly.path_template, fmt)
            write_file(target, renderers[fmt](digest))
            stderr.print(f"wrote {target}", markup=False, highlight=False)
    if all(d is None for d in digests):
        raise typer.Exit(1)


def _digest(
    store: Store, repo: str, iso: IsoWeek, settings: Settings, language: str, single: bool, builder: str
) -> WeekDigest | None:
    reports = {day: store.get_report(repo, day, language) for day in iso.days}
    if not any(reports.values()):
        first, last = iso.days[0].isoformat(), iso.days[-1].isoformat()
        message = f"no stored reports of {repo} ({language}) in {iso.label}"
        hint = f"build them first: {builder} --from {first} --to {last}"
        others = sorted({lang for _, _, lang in store.list_reports(repo)} - {language})
        if others:
            hint += f" (the store has {repo} in {', '.join(others)}: or pass --lang {others[0]})"
        if single:
            raise DailyDiffError(message, hint)
        stderr.print(f"dailydiff: warning: {message} — {hint}", markup=False, highlight=False)
        return None
    return build_digest(repo, iso, reports, timezone=settings.report.timezone, language=language,
                        top_n=settings.weekly.top_commits)  # fmt: skip
