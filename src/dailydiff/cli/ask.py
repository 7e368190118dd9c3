"""`dailydiff ask "QUESTION"`: an answer from the whole stored history. The commits are retrieved as
`dailydiff search` ranks them; with an LLM configured, the model writes a short answer in the question's
language that cites them ([abc1234]) — a line citing anything that was not retrieved is dropped before
printing, and the answer is kept in the store, so the same question over the same history asks nothing
again. Offline (or --no-llm): the retrieved commits by repository and month, with their summaries."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import (
    app,
    build_settings,
    handle_errors,
    nothing_to_tear_down,
    open_store,
    read_settings,
    stderr,
)
from dailydiff.cli.search import (
    AsJson,
    LevelOpt,
    PathOpt,
    Repo,
    Since,
    Topic,
    TypeOpt,
    Until,
    hit_lines,
)
from dailydiff.common.searchterms import is_chinese
from dailydiff.common.text import clean
from dailydiff.search import filters_from, nothing_found, reading_notes, result_json
from dailydiff.search.answer import (
    ASK_COMMITS,
    SAYS,
    answer_question,
    offline_listing,
    usable_answer,
    why_unusable,
)
from dailydiff.search.ask import short


@app.command("ask", cls=options.Command)
@handle_errors
def ask_command(
    question: str = typer.Argument(..., metavar="QUESTION", help="A question about the stored history."),
    repo: list[str] | None = Repo,
    since: str | None = Since,
    until: str | None = Until,
    change_type: list[str] | None = TypeOpt,
    level: list[str] | None = LevelOpt,
    topic: list[str] | None = Topic,
    path: str | None = PathOpt,
    limit: int = typer.Option(
        ASK_COMMITS,
        "--limit",
        "-n",
        metavar="N",
        min=1,
        max=50,
        help="How many retrieved commits the answer is written from.",
    ),
    no_llm: bool = typer.Option(False, "--no-llm", help="List the retrieved commits; ask no model."),
    as_json: bool = AsJson,
    config: options.Config = None,
    data_dir: options.DataDir = None,
) -> None:
    """Answer QUESTION from the stored history, citing the commits it rests on."""
    filters = filters_from(repo, since, until, change_type, level, topic, path)
    settings = read_settings(config, data_dir) if no_llm else build_settings(config, data_dir, {})
    language = "zh" if is_chinese(question) else "en"
    with open_store(settings) as store:
        result, answer, why_not = answer_question(store, settings, question, filters, limit, language,
                                                   no_llm=no_llm, warn=lambda line: _say(f"warning: {line}"))  # fmt: skip
    nothing_to_tear_down()
    # An answer is one only when it rests on a retrieved commit: text that cites nothing is not shown.
    usable = usable_answer(answer)
    if as_json:
        out = {**result_json(result), "language": language, "answer": answer if usable else None,
               "llm": None if answer is None else {k: v for k, v in answer.items() if k != "answer"},
               "no_llm_because": why_not or None}  # fmt: skip
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        if not result.hits:
            raise typer.Exit(1)  # as grep: nothing matched
        return
    _print(result, answer, why_not, usable, language)


def _say(line: str) -> None:
    stderr.print(f"dailydiff: {line}", markup=False, highlight=False)


def _print(result: Any, answer: dict[str, Any] | None, why_not: str, usable: bool, language: str) -> None:
    """The answer and its sources on stdout (or the retrieved commits), what to know about it on stderr."""
    says = SAYS[language]
    for note in reading_notes(result):
        _say(note)
    if not result.hits:
        _say(nothing_found(result))
        raise typer.Exit(1)  # as grep: nothing matched
    if why_not:
        _say(f"{says['none']} ({why_not}); the retrieved commits follow")
    if answer is not None and not usable:
        _say(f"{says['none']} ({why_unusable(answer)}); the retrieved commits follow")
    if answer is not None and answer["dropped_lines"]:
        _say(
            f"dropped {answer['dropped_lines']} line(s) of the answer that cited commits that were not retrieved"
        )
    if not usable or answer is None:
        sys.stdout.write(offline_listing(result, language) + "\n")
        return
    sys.stdout.write("\n".join(_answer_lines(result, answer, says)) + "\n")


def _answer_lines(result: Any, answer: dict[str, Any], says: dict[str, str]) -> list[str]:
    """The answer, the commits it cites (its sources) and the others retrieved."""
    cited = [h for c in answer["cited"] for h in result.hits if short(h.doc.sha) == c]
    rest = [h for h in result.hits if h not in cited]
    out_lines = [answer["answer"], "", f"{says['sources']}:"]
    for n, hit in enumerate(cited, 1):
        out_lines.extend(hit_lines(n, hit))
    if rest:
        out_lines += ["", f"{says['also']}:"]
        out_lines += [f"  [{short(h.doc.sha)}] {h.doc.date} {clean(h.doc.title)}" for h in rest]
    return out_lines
