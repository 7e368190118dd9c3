"""`dailydiff notes SOURCE REF1..REF2`: a release's notes from the analyses the store holds (the missing ones
made now), as a Keep a Changelog section, JSON, HTML or the forge's release body; `--publish` makes or
updates the tag's draft GitHub release."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, nothing_to_tear_down, open_store, say
from dailydiff.engine.printer import publish_error
from dailydiff.errors import UsageError

if TYPE_CHECKING:
    from dailydiff.render.notes import Audience

FORMATS = ("md", "json", "html", "release")
AUDIENCES: dict[str, Audience] = {"engineer": "engineer", "user": "user"}


@app.command("notes", cls=options.Command)
@handle_errors
@options.shared("analyzer", "lang", "force", "quiet", "config", "data_dir")
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
        help="Create or update REF2's release on the forge: on GitHub a draft unless [notes] draft = false; "
        "on GitLab (no drafts) only with [notes] draft = false.",
    ),
    output: options.OutputFile = None,
    shared: options.Shared = options.Shared(),
) -> None:
    """Release notes of a range of commits, from the stored analyses."""
    options.check_choice("--format", fmt, FORMATS)
    if audience not in AUDIENCES:
        raise UsageError(f"unknown --audience {audience!r}", "use engineer or user")
    shared.check()
    settings = shared.settings()
    store = open_store(settings)
    try:
        from dailydiff.engine import Flags, Given, NotesRequest, Request, Targets, plan, run
        from dailydiff.settings import no_pydantic_plugins

        request = Request("notes", settings, store, flags=Flags(language=shared.lang, analyzer=shared.analyzer),
                          targets=Targets(publish=publish), given=Given(source),
                          of=NotesRequest(span, since_tag, unreleased, fmt, AUDIENCES[audience]), force=shared.force,
                          config_dir=options.config_dir(shared.config),
                          open_store=lambda: open_store(settings, quiet=True))  # fmt: skip
        with no_pydantic_plugins():  # the commits' models are built on first use: no plugin scan then
            outcomes = run(plan(request))
    finally:
        store.close()
    nothing_to_tear_down()  # the store is closed and what was sent is recorded: only the output is left
    _show(outcomes, output, shared.quiet)
    for r in (p for o in outcomes for p in o.publish):
        say(f"{r.publisher}: {r.status} {r.detail}".rstrip())
    error = publish_error(outcomes)
    if error is not None:
        raise error


def _show(outcomes: list[Any], output: Path | None, quiet: bool) -> None:
    """The notes to FILE or stdout; what they were made from to stderr (not with --quiet)."""
    notes = outcomes[0].figures
    options.write_output(notes["text"], output)
    if not quiet:
        say(notes["line"])
