"""`dailydiff report SOURCE` as typer declares it: its flags and help. The command itself is cli/report_run.py
(also run without typer: cli/direct.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors
from dailydiff.cli.report_run import report


@app.command("report", cls=options.Command)
@handle_errors
@options.shared()
def report_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="A local git repository path, a git URL, or a GitHub owner/name."
    ),
    shared: options.Shared = options.Shared(),
    output_dir: Path | None = options.output_dir(
        "Write DIR/YYYY/<repo>/YYYY-MM-DD.<ext>; without it the report goes to stdout (Markdown, or the one --format given)."
    ),
    branch: str | None = typer.Option(
        None, "--branch", metavar="BRANCH", help="Branch to read (default: the repository's default)."
    ),
    all_branches: bool = typer.Option(
        False, "--all-branches", help="Read every branch; each commit reported once."
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports (default: derived)."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Send each report through the [[publish]] entries (once; --force: again)."
    ),
    explain: str | None = typer.Option(
        None,
        "--explain",
        metavar="SHA",
        help="Print the scoring rules that fire for one commit (its day is found; nothing is built).",
    ),
    reanalyze: str | None = typer.Option(
        None,
        "--reanalyze",
        metavar="SHA",
        help="Analyse one commit again (its stored analyses are dropped) and build its day again.",
    ),
    claims: str | None = typer.Option(
        None,
        "--claims",
        metavar="SHA",
        help="Print each claim of one commit's analysis and where it was found, or that it was not (and what "
        "was removed for it); nothing is built.",
    ),
) -> None:
    """Build the daily report(s) of one repository."""
    report(source, **vars(shared), output_dir=output_dir, branch=branch, all_branches=all_branches, name=name,
           publish=publish, explain=explain, reanalyze=reanalyze, claims=claims)  # fmt: skip
