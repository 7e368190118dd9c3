"""`dailydiff notes SOURCE REF1..REF2`: a release's notes from the analyses the store holds (the missing ones
made now), as a Keep a Changelog section, JSON, HTML or the forge's release body; `--publish` makes or
updates the tag's draft GitHub release."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, stderr
from dailydiff.errors import UsageError

if TYPE_CHECKING:
    from dailydiff.engine.jobs import RepoJob
    from dailydiff.render.notes import Audience, ReleaseNotes
    from dailydiff.settings import Settings
    from dailydiff.sources.git import GitSource
    from dailydiff.store import Store

FORMATS = ("md", "json", "html", "release")
AUDIENCES: dict[str, Audience] = {"engineer": "engineer", "user": "user"}


@app.command("notes", cls=options.Command)
@handle_errors
def notes_command(
    source: str = typer.Argument(..., metavar="SOURCE", help="A local git repository path or a git URL."),
    span: str | None = typer.Argument(None, metavar="REF1..REF2", help="The range, as git defines it."),
    since_tag: bool = typer.Option(
        False, "--since-tag", help="From the newest tag reachable from HEAD to HEAD."
    ),
    unreleased: bool = typer.Option(False, "--unreleased", help="The commits no tag holds yet."),
    fmt: str = typer.Option(
        "md",
        "--format",
        metavar="FORMAT",
        help="md (a Keep a Changelog section), json, html, or release (the forge's release body).",
    ),
    audience: str = typer.Option(
        "engineer",
        "--audience",
        metavar="AUDIENCE",
        help="engineer (every change) or user (what users of the software notice).",
    ),
    publish: bool = typer.Option(
        False,
        "--publish",
        help="Create or update REF2's GitHub release: a draft unless [notes] draft = false.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the notes to FILE."
    ),
    analyzer: options.Analyzer = None,
    lang: options.Lang = None,
    force: options.Force = False,
    quiet: options.Quiet = False,
    config: options.Config = None,
    data_dir: options.DataDir = None,
) -> None:
    """Release notes of a range of commits, from the stored analyses."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}", f"choose from: {', '.join(FORMATS)}")
    if audience not in AUDIENCES:
        raise UsageError(f"unknown --audience {audience!r}", "use engineer or user")
    shared = options.Shared(
        analyzer=analyzer, lang=lang, force=force, quiet=quiet, config=config, data_dir=data_dir
    )
    shared.check()
    settings = shared.settings()
    store = open_store(settings)
    try:
        _notes(source, span, since_tag, unreleased, fmt, audience, publish, output, shared, settings, store)
    finally:
        store.close()


def _notes(source: str, span: str | None, since_tag: bool, unreleased: bool, fmt: str, audience: str,
           publish: bool, output: Path | None, shared: options.Shared, settings: Settings, store: Store) -> None:  # fmt: skip
    from dailydiff.common.dates import clock
    from dailydiff.engine.release import UNRELEASED, notes_of, open_git, resolve_range
    from dailydiff.render.notes import render_notes

    job = _job(source, settings, store, shared.config)
    git = open_git(job, settings, store)
    wanted = resolve_range(git, span, since_tag=since_tag, unreleased=unreleased)
    if publish and wanted.tag == UNRELEASED:
        raise UsageError("--publish makes the release of a tag", "give REF1..TAG")
    now = clock(settings.run.now)
    notes = notes_of(store, settings, git, wanted, audience=AUDIENCES[audience], now=now)
    text = render_notes(notes, fmt)
    if output is not None:
        from dailydiff.publish.files import write_file

        write_file(output, text)
    else:
        sys.stdout.write(text)
    f = notes.figures
    if not shared.quiet:
        stderr.print(f"{notes.repo} {wanted.base}..{wanted.head}: {f.commits} commit(s) in {f.entries} entr(ies); "
                     f"{f.reused} analysis(es) reused from the store, {f.analysed} made now; "
                     f"{f.llm_requests} LLM request(s)", markup=False, highlight=False)  # fmt: skip
    if publish:
        _publish(git, settings, store, notes, shared.force, now)


def _job(source: str, settings: Settings, store: Store, config: Path | None) -> RepoJob:
    """The repository under the name `report` and `run` store it by (its analyses are found so)."""
    from dailydiff.engine import adhoc_job
    from dailydiff.engine.identity import repo_ref

    return adhoc_job(repo_ref(settings, source, base_dir=options.config_dir(config), store=store), settings)


def _publish(git: GitSource, settings: Settings, store: Store, notes: ReleaseNotes, force: bool,
             now: dt.datetime) -> None:  # fmt: skip
    """The tag's GitHub release, through the one runner (a plan of one release unit) and the ledger."""
    from dailydiff.common.dates import DateSpec
    from dailydiff.engine.deliver import failure_error
    from dailydiff.engine.release import NotesUnit
    from dailydiff.engine.runner import Plan, run_plan
    from dailydiff.engine.stream import RunOptions
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.release import release_publisher

    secrets = Secrets(os.environ)
    plan = Plan()
    plan.add(NotesUnit(notes, (release_publisher(git, settings, secrets),)))
    options = RunOptions(dates=DateSpec(), force=force, secrets=secrets, now=now, raise_errors=True,
                         open_store=lambda: open_store(settings, quiet=True))  # fmt: skip
    results = [p for o in run_plan(plan, options, [], store, settings) for p in o.publish]
    for r in results:
        stderr.print(f"{r.publisher}: {r.status} {r.detail}".rstrip(), markup=False, highlight=False)
    error = failure_error(results)
    if error is not None:
        raise error
