"""Commands read without typer: `search` and `report`, where typer's import and parsing were a tenth of a
search's wait (bench/search_scale.py) and of a quiet day's report (bench/startup.py). A command line made
only of what ``SEARCH`` (``REPORT``) lists is read here, as click reads it (``--name value``,
``--name=value``, ``-n5``, ``--`` before an argument that starts with a dash, the last of a repeated single
value); anything else — help, an unknown flag, a value missing or out of bounds, a second question or
SOURCE — goes to typer's application (cli/search.py, cli/report.py), which says what is wrong as it always
has. The tables are checked against typer's commands (tests/test_search_cli.py, tests/test_report_cli.py), and
both ways run the same ``search`` and ``report`` (cli/report_run.py). It stays while the start-up budget
needs it (bench/startup.py: without it a `search` took 0.3 s more CPU, typer and pydantic imported)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from dailydiff.cli.base import failure_code, nothing_to_tear_down, open_store, read_settings, say
from dailydiff.common.text import clean

if TYPE_CHECKING:
    from dailydiff.search.rank import Hit


class Flag(NamedTuple):
    """One of `search`'s options as typer declares it (cli/search.py): its parameter, whether it takes a
    value, and whether it may be given more than once (a list)."""

    param: str
    value: bool = True
    many: bool = False


SEARCH: dict[str, Flag] = {
    "--repo": Flag("repo", many=True),
    "--from": Flag("since"),
    "--to": Flag("until"),
    "--type": Flag("change_type", many=True),
    "--level": Flag("level", many=True),
    "--topic": Flag("topic", many=True),
    "--path": Flag("path"),
    "--limit": Flag("limit"),
    "-n": Flag("limit"),
    "--json": Flag("as_json", value=False),
    "--config": Flag("config"),
    "-c": Flag("config"),
    "--data-dir": Flag("data_dir"),
    "--agent": Flag("agent", value=False),
}
LIMITS = (1, 200)  # --limit's bounds (cli/search.py)
# `report`'s options as typer declares them (cli/report.py); its one argument is SOURCE.
REPORT: dict[str, Flag] = {
    "--date": Flag("date"), "-d": Flag("date"), "--from": Flag("first"), "--to": Flag("last"),
    "--analyzer": Flag("analyzer"), "--lang": Flag("lang"), "--tz": Flag("tz"), "--format": Flag("formats"),
    "--force": Flag("force", value=False), "--quiet": Flag("quiet", value=False), "-q": Flag("quiet", value=False),
    "--verbose": Flag("verbose", value=False), "-v": Flag("verbose", value=False),
    "--log-format": Flag("log_format"), "--summary-json": Flag("summary_json"), "--config": Flag("config"),
    "-c": Flag("config"), "--data-dir": Flag("data_dir"), "--yes": Flag("yes", value=False),
    "-y": Flag("yes", value=False), "--output-dir": Flag("output_dir"), "-o": Flag("output_dir"),
    "--branch": Flag("branch"), "--all-branches": Flag("all_branches", value=False), "--name": Flag("name"),
    "--publish": Flag("publish", value=False), "--explain": Flag("explain"), "--reanalyze": Flag("reanalyze"),
    "--claims": Flag("claims"),
}  # fmt: skip
_REPORT_PATHS = ("summary_json", "config", "data_dir", "output_dir")


def read_report(args: Sequence[str]) -> dict[str, Any] | None:
    """`report`'s parameters from its arguments (after `report`), as typer would pass them; None for what typer
    is to read (help, an unknown flag, no SOURCE or two)."""
    read = read_line(REPORT, args)
    if read is None or len(read[1]) != 1:
        return None
    options, (source,) = read
    for param in _REPORT_PATHS:
        if param in options:
            options[param] = Path(options[param])
    return {**options, "source": source}


def run_directly(args: Sequence[str]) -> None:
    """Run `search` or `report` when ``args`` are a command line this module reads (ends by SystemExit with its
    exit code); return, having done nothing, for every other command line."""
    command: Callable[..., None]
    if args[:1] == ["search"] and (values := read_search(args[1:])) is not None:
        command = search
    elif args[:1] == ["report"] and (values := read_report(args[1:])) is not None:
        from dailydiff.cli.report_run import report

        command = report
    else:
        return
    try:
        command(**values)
    except (Exception, KeyboardInterrupt) as exc:
        code = failure_code(exc)
        if code is None:
            raise
        raise SystemExit(code) from None
    raise SystemExit(0)


def read_line(flags: dict[str, Flag], args: Sequence[str]) -> tuple[dict[str, Any], list[str]] | None:
    """The options (by parameter, as text; a switch True; a repeated option a list) and the arguments of a
    command line of a command whose options are ``flags``, as click reads them; None for what only typer
    reads (help, an unknown flag, a value missing or given to a switch)."""
    values: dict[str, Any] = {}
    arguments: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":  # the rest are arguments, whatever they start with
            arguments += rest
            break
        if arg == "-" or not arg.startswith("-"):
            arguments.append(arg)
            continue
        name, eq, given = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        flag = flags.get(name)
        if flag is None or ((given or eq) and not flag.value):
            return None  # unknown, help, or a value given to a switch
        if not flag.value:
            values[flag.param] = True
            continue
        if not (given or eq):
            if not rest:
                return None  # the value is missing
            given = rest.pop(0)
        if flag.many:
            values.setdefault(flag.param, []).append(given)
        else:
            values[flag.param] = given
    return values, arguments


def read_search(args: Sequence[str]) -> dict[str, Any] | None:
    """`search`'s parameters from its arguments, as typer would pass them; None for what typer is to read."""
    read = read_line(SEARCH, args)
    if read is None or len(read[1]) != 1:
        return None  # no question, or a second one: typer says so
    options, (question,) = read
    values: dict[str, Any] = {"limit": 10, "as_json": False, "agent": False, **options, "question": question}
    try:
        values["limit"] = int(values["limit"])
    except ValueError:
        return None
    if not LIMITS[0] <= values["limit"] <= LIMITS[1]:
        return None
    for param in ("config", "data_dir"):
        if param in values:
            values[param] = Path(values[param])
    return values


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
    nothing_to_tear_down()
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
