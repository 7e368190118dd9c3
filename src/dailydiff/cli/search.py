"""`dailydiff search "QUESTION"`: the stored commits that answer a question best, ranked (text match, path
match, importance, recency), with filters; `--json` for scripts. `dailydiff ask` (cli/ask.py) answers from
the same retrieval."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors
from dailydiff.cli.base import open_store, read_settings, say
from dailydiff.common.text import clean

if TYPE_CHECKING:
    from dailydiff.search.rank import Hit

LEVEL_MARK = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def hit_lines(rank_no: int, hit: Hit) -> list[str]:
    doc = hit.doc
    repo = doc.repo + (f" (also {', '.join(hit.also_in)})" if hit.also_in else "")
    head = f"{rank_no:>2}. [{doc.sha[:7]}] {doc.date} {clean(repo)} {LEVEL_MARK.get(doc.level, '')} {clean(doc.title)}"
    lines = [head]
    if doc.summary and doc.summary.strip() != doc.title.strip():
        lines.append("    " + clean(doc.summary).replace("\n", " ")[:200])
    if doc.url:
        lines.append("    " + doc.url)
    return lines


def search(question: str, repo: list[str] | None = None, since: str | None = None, until: str | None = None,
           change_type: list[str] | None = None, level: list[str] | None = None, topic: list[str] | None = None,
           path: str | None = None, limit: int = 10, as_json: bool = False, config: Path | None = None,
           data_dir: Path | None = None, agent: bool = False) -> None:  # fmt: skip
    """`search`: the stored commits that match ``question`` best, printed (exit 1, as grep, when none does)."""
    settings = read_settings(config, data_dir)  # the store's settings: nothing else is read
    # With an embedding model, the question's embedding is asked now: the server embeds it on another core
    # while the search's modules load and the words are ranked (bench/search_scale.py --vectors).
    from dailydiff.common.embedder import ask_early

    early = None if agent else ask_early(settings, question)
    from dailydiff.search import filters_from, nothing_found, reading_notes, result_json
    from dailydiff.search.hybrid import retrieve

    filters = filters_from(repo, since, until, change_type, level, topic, path)
    with open_store(settings) as store:
        result = retrieve(store, settings, question, filters, limit, agents_only=agent, early=early)
        health = store.search_health()  # an index that lost rows answers, but not with the whole history
    if health:
        say(f"dailydiff: warning: the search index is incomplete ({health}): results may be missing; "
            "rebuild it with dailydiff store reindex")  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n")
        if not result.hits:
            raise SystemExit(1)  # as grep: nothing matched
        return
    for note in reading_notes(result):
        say(f"dailydiff: {note}")
    if not result.hits:
        say(f"dailydiff: {nothing_found(result)}")
        raise SystemExit(1)  # as grep: nothing matched
    for n, hit in enumerate(result.hits, 1):
        sys.stdout.write("\n".join(hit_lines(n, hit)) + "\n")


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
