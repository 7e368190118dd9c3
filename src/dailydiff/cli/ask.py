"""`dailydiff ask "QUESTION"`: an answer from the whole stored history. The commits are retrieved as
`dailydiff search` ranks them; with an LLM configured, the model writes a short answer in the question's
language that cites them ([abc1234]) — a line citing anything that was not retrieved is dropped before
printing, and the answer is kept in the store, so the same question over the same history asks nothing
again. Offline (or --no-llm): the retrieved commits by repository and month, with their summaries."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.cli.search import (
    AsJson,
    LevelOpt,
    PathOpt,
    Repo,
    Since,
    Topic,
    TypeOpt,
    Until,
    filters_from,
    hit_lines,
    nothing_found,
    result_json,
)
from dailydiff.common.searchterms import is_chinese
from dailydiff.common.text import clean
from dailydiff.models import RunSummary
from dailydiff.search import SearchResult, find
from dailydiff.search.ask import check_answer, commit_lines, grouped, short
from dailydiff.store import Store, open_store

ASK_COMMITS = 12  # retrieved commits an answer is written from
ASK_PROMPT_CHARS = 6000  # their lines in the prompt (about 2,000 tokens: fits a small local model's context)
SAYS = {
    "en": {
        "none": "No LLM answer",
        "sources": "Commits cited",
        "also": "Also found",
        "found": "commits found",
    },
    "zh": {"none": "没有 LLM 回答", "sources": "引用的提交", "also": "其他相关提交", "found": "个相关提交"},
}


def _offline(result: SearchResult, language: str) -> str:
    says = SAYS[language]
    lines = [f"{len(result.hits)} {says['found']}:"]
    for repo, months in grouped(result.hits):
        lines.append("")
        lines.append(repo)
        for month, hits in months:
            lines.append(f"  {month}")
            for hit in hits:
                doc = hit.doc
                text = clean(doc.summary or doc.title).replace("\n", " ")[:160]
                lines.append(f"    [{short(doc.sha)}] {doc.date} {clean(doc.title)}")
                if text.strip() != clean(doc.title).strip():
                    lines.append(f"      {text}")
    return "\n".join(lines)


def _llm_answer(store: Store, analyzer: Any, result: SearchResult, language: str) -> dict[str, Any]:
    """The model's checked answer, from the store when this exact prompt was answered before."""
    lines = commit_lines(result.hits, ASK_PROMPT_CHARS)
    messages = analyzer.prompts.ask_messages(result.question, lines, language, "json_schema")
    key = (
        "ask:"
        + hashlib.sha256(
            json.dumps([analyzer.endpoint, analyzer.settings.model, messages], ensure_ascii=False).encode()
        ).hexdigest()
    )
    cached = store.answer(key)
    if cached is not None:
        return {**json.loads(cached), "cached": True}
    from dailydiff.analysis.llm import UnusableAnswer

    started = time.monotonic()
    run_id = store.start_run("ask")
    try:
        text, usage = analyzer.ask(result.question, lines, language)
    except UnusableAnswer as exc:  # kept like any answer: asked again, the same prompt would cost the same
        store.finish_run(run_id, "failed", RunSummary(duration_seconds=round(time.monotonic() - started, 3)))
        unusable = {"answer": "", "cited": [], "dropped_lines": 0, "language_ok": False,
                    "model": analyzer.settings.model, "unusable": str(exc)}  # fmt: skip
        store.save_answer(key, json.dumps(unusable, ensure_ascii=False))
        return {**unusable, "cached": False}
    checked = check_answer(text, result.hits[: len(lines)], result.question)
    store.finish_run(run_id, "ok", RunSummary(prompt_tokens=usage.prompt_tokens,
                     completion_tokens=usage.completion_tokens, cost=usage.cost,
                     duration_seconds=round(time.monotonic() - started, 3)))  # fmt: skip
    answer = {"answer": checked.text, "cited": checked.cited, "dropped_lines": checked.dropped_lines,
              "language_ok": checked.language_ok, "model": analyzer.settings.model,
              "usage": usage.model_dump()}  # fmt: skip
    # Kept whatever it is worth: the same prompt asked again would cost the same for the same kind of answer.
    store.save_answer(key, json.dumps(answer, ensure_ascii=False))
    return {**answer, "cached": False}


def _ask_model(settings: Any, store: Store) -> tuple[Any, str]:
    """The configured LLM, whatever ``[analysis] analyzer`` says (it chooses how reports are analysed, not
    whether a question is answered); without one, why not in a few words."""
    from dailydiff.analysis import llm_configured, make_analyzer

    if not settings.llm.model:
        return None, "no LLM model is configured: set llm.model or DAILYDIFF_LLM_MODEL"
    if not llm_configured(settings):
        return None, "the LLM has no endpoint: set llm.base_url or DAILYDIFF_LLM_API_KEY"
    return make_analyzer("llm", settings, store), ""


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
    settings = build_settings(config, data_dir, {})
    language = "zh" if is_chinese(question) else "en"
    says = SAYS[language]
    with open_store(settings) as store:
        result = find(store, question, filters, limit)
        analyzer, why_not = (None, "") if no_llm or not result.hits else _ask_model(settings, store)
        answer = _llm_answer(store, analyzer, result, language) if analyzer is not None else None
    # An answer is one only when it rests on a retrieved commit: text that cites nothing is not shown.
    usable = bool(answer is not None and answer["answer"] and answer["cited"] and answer["language_ok"])
    if as_json:
        out = {**result_json(result), "language": language, "answer": answer if usable else None,
               "llm": None if answer is None else {k: v for k, v in answer.items() if k != "answer"},
               "no_llm_because": why_not or None}  # fmt: skip
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    if not result.hits:
        stderr.print(f"dailydiff: {nothing_found(result)}", markup=False, highlight=False)
        return
    if why_not:
        stderr.print(f"dailydiff: {says['none']} ({why_not}); the retrieved commits follow", markup=False,
                     highlight=False)  # fmt: skip
    if answer is not None and not usable:
        why = answer.get("unusable") or (
            "it cites no retrieved commit"
            if answer["answer"] and not answer["cited"]
            else "not in the question's language"
            if answer["answer"]
            else "no line with valid citations"
        )
        stderr.print(f"dailydiff: {says['none']} ({why}); the retrieved commits follow", markup=False,
                     highlight=False)  # fmt: skip
    if answer is not None and answer["dropped_lines"]:
        stderr.print(f"dailydiff: dropped {answer['dropped_lines']} line(s) of the answer that cited commits "
                     "that were not retrieved", markup=False, highlight=False)  # fmt: skip
    if not usable:
        sys.stdout.write(_offline(result, language) + "\n")
        return
    assert answer is not None
    cited = [h for c in answer["cited"] for h in result.hits if short(h.doc.sha) == c]
    rest = [h for h in result.hits if h not in cited]
    out_lines = [answer["answer"], "", f"{says['sources']}:"]
    for n, hit in enumerate(cited, 1):
        out_lines.extend(hit_lines(n, hit))
    if rest:
        out_lines += ["", f"{says['also']}:"]
        out_lines += [f"  [{short(h.doc.sha)}] {h.doc.date} {clean(h.doc.title)}" for h in rest]
    sys.stdout.write("\n".join(out_lines) + "\n")
