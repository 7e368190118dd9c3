"""`dailydiff search "QUESTION"`: the stored commits that answer a question best, ranked (text match, path
match, importance, recency), with filters; `--json` for scripts. `dailydiff ask` (cli/ask.py) answers from
the same retrieval."""

from __future__ import annotations

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors
from dailydiff.cli.direct import hit_lines, search  # noqa: F401  (cli/ask.py prints hits alike)

Repo = typer.Option(None, "--repo", metavar="REPO", help="Only this repository (owner/name; repeatable).")
Since = typer.Option(None, "--from", metavar="DATE", help="Only days from DATE (YYYY-MM-DD).")
Until = typer.Option(None, "--to", metavar="DATE", help="Only days up to DATE (YYYY-MM-DD).")
TypeOpt = typer.Option(None, "--type", metavar="TYPE", help="Only commits of this change type (repeatable).")
LevelOpt = typer.Option(None, "--level", metavar="LEVEL", help="Only this importance: high, medium, low.")
Topic = typer.Option(None, "--topic", metavar="NAME", help="Only commits of this watch topic (repeatable).")
PathOpt = typer.Option(
    None, "--path", metavar="GLOB", help="Only commits touching a path like GLOB (**/attention/*)."
)
Limit = typer.Option(10, "--limit", "-n", metavar="N", min=1, max=200, help="How many commits.")
AsJson = typer.Option(False, "--json", help="Print JSON instead of text.")


@app.command("search", cls=options.Command)
@handle_errors
def search_command(
    question: str = typer.Argument(
        ...,
        metavar="QUESTION",
        help="Words to look for (any language); a time it names ('since April', '上个月') limits the days, "
        "a followed repository it names the repositories; 'not bugfix' or '(not MoE routing)' lists those "
        "commits last (each said on stderr; the options override).",
    ),
    repo: list[str] | None = Repo,
    since: str | None = Since,
    until: str | None = Until,
    change_type: list[str] | None = TypeOpt,
    level: list[str] | None = LevelOpt,
    topic: list[str] | None = Topic,
    path: str | None = PathOpt,
    limit: int = Limit,
    as_json: bool = AsJson,
    config: options.Config = None,
    data_dir: options.DataDir = None,
    agent: bool = typer.Option(
        False, "--agent", help="Only commits a coding agent wrote (trailers, committer)."
    ),
) -> None:
    """The stored commits that match QUESTION best: titles, pull requests, paths and analyses."""
    search(
        question, repo, since, until, change_type, level, topic, path, limit, as_json, config, data_dir, agent
    )
