"""An answer from retrieved commits, shared by `dailydiff ask` and the MCP server's ``ask`` tool: the
configured LLM (whatever the analyser setting), its checked answer kept in the store so the same question
over the same history asks nothing again, and the listing printed when there is no grounded answer."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from dailydiff.analysis import llm_configured, make_analyzer
from dailydiff.analysis.llm import UnusableAnswer
from dailydiff.common.text import clean
from dailydiff.errors import AnalysisError, EndpointRefused
from dailydiff.models import RunSummary
from dailydiff.search import SearchResult, bounded
from dailydiff.search.ask import check_answer, commit_lines, grouped, kept_answer, short
from dailydiff.search.hybrid import find_hybrid
from dailydiff.store import Store

log = logging.getLogger("dailydiff.ask")

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


def usable_answer(answer: dict[str, Any] | None) -> bool:
    """An answer is one only when it rests on a retrieved commit: text that cites nothing is not shown."""
    return bool(answer is not None and answer["answer"] and answer["cited"] and answer["language_ok"])


def why_unusable(answer: dict[str, Any]) -> str:
    if answer.get("unusable"):
        return str(answer["unusable"])
    if answer["answer"] and not answer["cited"]:
        return "it cites no retrieved commit"
    return "not in the question's language" if answer["answer"] else "no line with valid citations"


def offline_listing(result: SearchResult, language: str) -> str:
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


def _key(kind: str, analyzer: Any, messages: list[dict[str, str]]) -> str:
    what = json.dumps([analyzer.endpoint, analyzer.settings.model, messages], ensure_ascii=False)
    return f"{kind}:" + hashlib.sha256(what.encode()).hexdigest()


def kept_words(text: str) -> list[str] | None:
    """Kept search words read back, or None when they cannot be (damaged, not JSON, another shape): derived
    data, written again rather than trusted or failed on."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    words = data.get("words") if isinstance(data, dict) else None
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        return None
    return words


def rewrite_words(store: Store, analyzer: Any, question: str, language: str) -> tuple[list[str], Any]:
    """The question as search words in English and Chinese, written by the model once and kept in the
    store (a reply without words is kept as none). Returns the words and what asking cost (None: cached).
    The question is read within the search's bounds (a longer one is sent cut, as it is searched)."""
    question = bounded(question)[0]
    key = _key("rewrite", analyzer, analyzer.prompts.rewrite_messages(question, language, "json_schema"))
    cached = store.answer(key)
    kept = kept_words(cached) if cached is not None else None
    if kept is not None:
        return kept, None
    if cached is not None:  # derived data: asked again, once, and the words replaced
        log.info("the kept search words of this question cannot be read: asking again")
    try:
        words, usage = analyzer.rewrite(question, language)
    except UnusableAnswer:
        words, usage = [], None
    store.save_answer(key, json.dumps({"words": words}, ensure_ascii=False))
    return words, usage


def _summary(started: float, *usages: Any) -> RunSummary:
    spent = [u for u in usages if u is not None]
    return RunSummary(prompt_tokens=sum(u.prompt_tokens for u in spent),
                      completion_tokens=sum(u.completion_tokens for u in spent),
                      cost=sum(u.cost for u in spent),
                      duration_seconds=round(time.monotonic() - started, 3))  # fmt: skip


def llm_answer(
    store: Store, analyzer: Any, result: SearchResult, language: str, spent: Any = None,
    warn: Callable[[str], None] = log.warning,
) -> dict[str, Any]:  # fmt: skip
    """The model's checked answer, from the store when this exact prompt was answered before. ``spent``:
    what rewriting the question cost, accounted in the same run."""
    lines = commit_lines(result.hits, ASK_PROMPT_CHARS)
    messages = analyzer.prompts.ask_messages(result.question, lines, language, "json_schema")
    key = _key("ask", analyzer, messages)
    started = time.monotonic()
    cached = store.answer(key)
    kept = kept_answer(cached) if cached is not None else None
    if kept is not None:
        if spent is not None:  # an answer kept from before the question was rewritten
            store.finish_run(store.start_run("ask"), "ok", _summary(started, spent))
        return {**kept, "cached": True}
    if cached is not None:  # derived data: asked again, once, and the answer replaced
        warn("the kept answer to this question cannot be read (damaged, or written by another version): "
             "asking again")  # fmt: skip
    run_id = store.start_run("ask")
    try:
        text, usage = analyzer.ask(result.question, lines, language)
    except UnusableAnswer as exc:  # kept like any answer: asked again, the same prompt would cost the same
        store.finish_run(run_id, "failed", _summary(started, spent))
        unusable = {"answer": "", "cited": [], "dropped_lines": 0, "language_ok": False,
                    "model": analyzer.settings.model, "unusable": str(exc)}  # fmt: skip
        store.save_answer(key, json.dumps(unusable, ensure_ascii=False))
        return {**unusable, "cached": False}
    checked = check_answer(text, result.hits[: len(lines)], result.question)
    store.finish_run(run_id, "ok", _summary(started, spent, usage))
    answer = {"answer": checked.text, "cited": checked.cited, "dropped_lines": checked.dropped_lines,
              "language_ok": checked.language_ok, "model": analyzer.settings.model,
              "usage": usage.model_dump()}  # fmt: skip
    # Kept whatever it is worth: the same prompt asked again would cost the same for the same kind of answer.
    store.save_answer(key, json.dumps(answer, ensure_ascii=False))
    return {**answer, "cached": False}


def ask_model(settings: Any, store: Store) -> tuple[Any, str]:
    """The configured LLM, whatever ``[analysis] analyzer`` says (it chooses how reports are analysed, not
    whether a question is answered); without one, why not in a few words."""
    if not settings.llm.model:
        return None, "no LLM model is configured: set llm.model or DAILYDIFF_LLM_MODEL"
    if not llm_configured(settings):
        return None, "the LLM has no endpoint: set llm.base_url or DAILYDIFF_LLM_API_KEY"
    return make_analyzer("llm", settings, store), ""


def answer_question(store: Store, settings: Any, question: str, filters: Any, limit: int, language: str, *,
                    no_llm: bool = False, warn: Callable[[str], None] = log.warning,
                    ) -> tuple[SearchResult, dict[str, Any] | None, str]:  # fmt: skip
    """The commits retrieved for ``question``, the model's answer (None: none asked or none given) and why no
    model was asked ('' when one was). A model that is down leaves the retrieved commits, as ``no_llm`` does;
    a refused key or an unknown model is raised (the README's exit 5)."""
    analyzer, why_not = (
        (None, "") if no_llm or not store.search_term_counts([])[0] else ask_model(settings, store)
    )
    words: list[str] = []
    spent = None
    try:
        if analyzer is not None:
            words, spent = rewrite_words(store, analyzer, question, language)
    except EndpointRefused:
        raise
    except AnalysisError as exc:
        analyzer, why_not = None, exc.message
    result = find_hybrid(store, settings, question, filters, limit, extra_words=words)
    try:
        answer = (
            llm_answer(store, analyzer, result, language, spent, warn) if analyzer and result.hits else None
        )
    except EndpointRefused:
        raise
    except AnalysisError as exc:
        answer, why_not = None, exc.message
    return result, answer, why_not
