"""`dailydiff search "QUESTION"`: the stored commits that answer a question best, ranked (text match, path
match, importance, recency), with filters; `--json` for scripts. `dailydiff ask` (cli/ask.py) answers from
the same retrieval."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.common.text import clean
from dailydiff.errors import UsageError
from dailydiff.models import ChangeType, Level
from dailydiff.search import SearchResult, find
from dailydiff.search.rank import Hit
from dailydiff.store import open_store
from dailydiff.store.search import SearchFilters, encode_filters

LEVEL_MARK = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def _date(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not a date", "write it as YYYY-MM-DD") from None


def _choices(values: list[str] | None, allowed: list[str], flag: str) -> list[str]:
    chosen = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    wrong = [v for v in chosen if v not in allowed]
    if wrong:
        raise UsageError(f"unknown {flag} {wrong[0]!r}", f"choose from: {', '.join(allowed)}")
    return chosen


def filters_from(
    repo: list[str] | None, since: str | None, until: str | None, change_type: list[str] | None,
    level: list[str] | None, topic: list[str] | None, path: str | None,
) -> SearchFilters:  # fmt: skip
    first, last = _date(since, "--from"), _date(until, "--to")
    if first and last and first > last:
        raise UsageError(f"--from {first} is after --to {last}", "swap them")
    return SearchFilters(
        repos=tuple(repo or ()),
        date_from=first,
        date_to=last,
        change_types=tuple(_choices(change_type, [c.value for c in ChangeType], "--type")),
        levels=tuple(_choices(level, [v.value for v in Level], "--level")),
        topics=tuple(topic or ()),
        path_glob=path or "",
    )


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


def hit_json(rank_no: int, hit: Hit) -> dict[str, Any]:
    doc = hit.doc
    return {"rank": rank_no, "repo": doc.repo, "sha": doc.sha, "date": doc.date.isoformat(),
            "language": doc.language, "level": doc.level, "change_types": doc.change_types,
            "topics": doc.topics, "title": clean(doc.title), "summary": clean(doc.summary),
            "url": doc.url or None, "pull_request": doc.pr_number, "paths": doc.paths,
            "score": round(hit.score, 4), "matched": list(hit.matched)}  # fmt: skip


def result_json(result: SearchResult) -> dict[str, Any]:
    return {"question": result.question, "terms": result.terms, "unknown_terms": result.unknown_terms,
            "filters": json.loads(encode_filters(result.filters)), "indexed": result.indexed,
            "commits": [hit_json(n, h) for n, h in enumerate(result.hits, 1)]}  # fmt: skip


def hit_lines(rank_no: int, hit: Hit) -> list[str]:
    doc = hit.doc
    head = f"{rank_no:>2}. [{doc.sha[:7]}] {doc.date} {doc.repo} {LEVEL_MARK.get(doc.level, '')} {clean(doc.title)}"
    lines = [head]
    if doc.summary and doc.summary.strip() != doc.title.strip():
        lines.append("    " + clean(doc.summary).replace("\n", " ")[:200])
    if doc.url:
        lines.append("    " + doc.url)
    return lines


def nothing_found(result: SearchResult) -> str:
    if not result.indexed:
        return "the store has no reported commits yet: build some first (dailydiff report / run)"
    return f"no stored commit matches {result.question!r} (searched {result.indexed} indexed commits)"


@app.command("search", cls=options.Command)
@handle_errors
def search_command(
    question: str = typer.Argument(..., metavar="QUESTION", help="Words to look for (any language)."),
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
) -> None:
    """The stored commits that match QUESTION best: titles, pull requests, paths and analyses."""
    filters = filters_from(repo, since, until, change_type, level, topic, path)
    settings = build_settings(config, data_dir, {})
    with open_store(settings) as store:
        result = find(store, question, filters, limit)
        health = store.search_health()  # an index that lost rows answers, but not with the whole history
    if health:
        stderr.print(f"dailydiff: warning: the search index is incomplete ({health}): results may be missing; "
                     "rebuild it with dailydiff store reindex", markup=False, highlight=False)  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n")
        return
    if not result.hits:
        stderr.print(f"dailydiff: {nothing_found(result)}", markup=False, highlight=False)
        return
    for n, hit in enumerate(result.hits, 1):
        sys.stdout.write("\n".join(hit_lines(n, hit)) + "\n")
