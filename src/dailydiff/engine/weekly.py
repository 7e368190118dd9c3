"""Weekly digests as units: a repository's ISO week, built from its stored days (no fetching), rendered
once into an edition (render/edition.py) and delivered through the one deliver (engine/deliver.py) and
ledger (key ``week:<repo>``, the week's Monday, the language) — by `run` on the ``[weekly] weekday``
of each week to ``[weekly] publishers``, and by `weekly --publish`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from typing import Any

from dailydiff.common.dates import clock
from dailydiff.engine.deliver import pick_publishers
from dailydiff.errors import DailyDiffError
from dailydiff.models import DayReport, Usage
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.render.chartdata import type_counts
from dailydiff.render.edition import Edition, week_edition
from dailydiff.render.stakeholder import llm_themes, prompt_commits
from dailydiff.render.week import IsoWeek, WeekDigest, build_digest
from dailydiff.render.week_build import with_comparison
from dailydiff.render.week_compare import HISTORY_WEEKS
from dailydiff.render.week_words import comparison_lines, signal_text
from dailydiff.settings import Settings
from dailydiff.store import Store


def iso_week(date: dt.date) -> IsoWeek:
    year, week, _ = date.isocalendar()
    return IsoWeek(year=year, week=week)


log = logging.getLogger(__name__)
LOOK_BACK_WEEKS = HISTORY_WEEKS + 1  # the week before needs its own eight-week look-back


def build_week(
    store: Store, repo: str, iso: IsoWeek, settings: Settings, audience: str | None = None
) -> WeekDigest | None:
    """The week of ``repo`` in its report language, or None when no day of it is stored; with its figures
    against the weeks before (read from the store: no request to anyone), its risk signals, its one-line
    summary and, for ``audience`` "stakeholder" (default: [weekly] audience), its themes."""
    language = settings.report.language
    reports = {day: store.get_report(repo, day, language) for day in iso.days}
    if not any(reports.values()):
        return None
    digest = build_digest(repo, iso, reports, timezone=settings.report.timezone, language=language,
                          top_n=settings.weekly.top_commits, now=clock(settings.run.now))  # fmt: skip
    first = iso.monday - dt.timedelta(days=7 * LOOK_BACK_WEEKS)
    # The weeks before are counted, not read: a day stored only in the other language counts as well (an
    # English edition over weeks built in Chinese is not a "first week").
    history = {day: store.get_report(repo, day, language) or next(
                   (r for other in ("zh", "en") if other != language and (r := store.get_report(repo, day, other))), None)
               for day in (first + dt.timedelta(days=i) for i in range(7 * LOOK_BACK_WEEKS))}  # fmt: skip
    digest = with_comparison(digest, {**history, **reports}, audience=audience or settings.weekly.audience,
                             priced=settings.llm.priced)  # fmt: skip
    return _written_by_llm(store, settings, digest, [r for r in reports.values() if r is not None])


def _written_by_llm(store: Store, settings: Settings, week: WeekDigest, own: list[DayReport]) -> WeekDigest:
    """The week with the LLM's one-line summary (and, for stakeholders, its themes) when an LLM is
    configured: one request per edition, its answer kept in the store (the same week asked again costs
    nothing), its tokens and cost in the week's figures. Any failure keeps the rules' text, with a warning."""
    from dailydiff.analysis import analyzer_name, make_analyzer

    if analyzer_name(settings.analysis.analyzer, settings) != "llm" or not week.totals.total:
        return week
    from dailydiff.analysis.llm import LLMAnalyzer, UnusableAnswer
    from dailydiff.analysis.schema import AnswerError
    from dailydiff.analysis.week import parse_week_answer

    analyzer = make_analyzer("llm", settings, store)
    assert isinstance(analyzer, LLMAnalyzer)
    commits = prompt_commits(own)
    figures = comparison_lines(week)
    signals = [signal_text(s, week.language) for s in week.signals]

    def messages(mode: str) -> list[dict[str, str]]:
        return analyzer.prompts.week_messages(week.repo_name, week.week, figures, signals,
                                              [line for _, line in commits], week.language, mode)  # fmt: skip

    what = json.dumps([analyzer.endpoint, settings.llm.model, messages("json_schema")], ensure_ascii=False)
    key = "week:" + hashlib.sha256(what.encode()).hexdigest()
    cached = store.answer(key)
    try:
        if cached is not None:
            kept = json.loads(cached)
            text, usage = kept["text"], Usage.model_validate(kept["usage"])
        else:
            text, usage = analyzer.week(messages, week.language)
            store.save_answer(
                key, json.dumps({"text": text, "usage": usage.model_dump()}, ensure_ascii=False)
            )
        answer = parse_week_answer(text, len(commits))
        answer = _grounded(answer, messages("json_schema"), settings, week.language)
    except (UnusableAnswer, AnswerError, DailyDiffError, ValueError, KeyError) as exc:
        log.warning("the LLM did not write the week %s of %s (%s): the rules' summary is used", week.week,
                    week.repo, exc)  # fmt: skip
        return week
    update: dict[str, object] = {"summary": answer.summary}
    if week.audience == "stakeholder":
        update["themes"] = llm_themes(answer, commits, own) or week.themes
    u = week.usage
    update["usage"] = u.model_copy(update={
        "prompt_tokens": u.prompt_tokens + usage.prompt_tokens,
        "completion_tokens": u.completion_tokens + usage.completion_tokens,
        "cost": round(u.cost + usage.cost, 6), "edition_prompt_tokens": usage.prompt_tokens,
        "edition_completion_tokens": usage.completion_tokens, "edition_cost": usage.cost,
    })  # fmt: skip
    return week.model_copy(update=update)


def _grounded(answer: Any, messages: list[dict[str, str]], settings: Settings, language: str) -> Any:
    """The week's summary and themes held against the commits and figures it was shown: a theme whose title
    names what they do not loses it (and is dropped); a summary left with nothing keeps the rules'."""
    from dailydiff.analysis.claims import analyses_evidence, ground_texts
    from dailydiff.analysis.week import WeekAnswer

    evidence = analyses_evidence(m["content"] for m in messages if m["role"] == "user")
    texts: dict[Any, str] = {"summary": answer.summary}
    for i, theme in enumerate(answer.themes):
        texts["title", i], texts["meaning", i] = theme.title, theme.meaning
    kept, _ = ground_texts(texts, evidence, settings.analysis.grounding, language)
    themes = [t.__class__(kept["title", i], kept["meaning", i], t.commits)
              for i, t in enumerate(answer.themes) if kept["title", i]]  # fmt: skip
    if not kept["summary"]:
        raise ValueError("every sentence of its summary named what the week's commits do not")
    return WeekAnswer(kept["summary"], themes)


def edition_of(store: Store, week: WeekDigest, settings: Settings, builder: str = "dailydiff run") -> Edition:
    """The week's edition; its charts compare its change types with the week before's; ``builder`` is
    the command its missing-days hint names."""
    before = (
        store.get_report(week.repo, week.start - dt.timedelta(days=7 - i), week.language) for i in range(7)
    )
    stored = [r for r in before if r is not None]
    previous = type_counts(stored) if stored else None
    wanted = _other_audience_targets(settings, week.audience)
    if wanted is None:
        return week_edition(week, settings, previous, builder)
    # [[publish]] entries that want the week for the other audience are sent that edition.
    audience, targets = wanted
    other = build_week(store, week.repo, iso_week(week.start), settings, audience=audience)
    variant = week_edition(other, settings, previous, builder) if other is not None else None
    return week_edition(week, settings, previous, builder,
                        audience_of=lambda target: variant if target in targets else None)  # fmt: skip


def _other_audience_targets(settings: Settings, audience: str) -> tuple[str, frozenset[str]] | None:
    """The other audience, and the delivery targets of the ``[[publish]]`` entries that ask for it."""
    wanting = [e for e in settings.publish if e.audience is not None and e.audience != audience]
    if not wanting:
        return None
    from dailydiff.publish.registry import build_publishers

    # A publisher's target (its ledger identity) may come from a secret (a webhook's URL): read as for sending.
    targets = frozenset(p.target for p in build_publishers(wanting, Secrets(os.environ)))
    return str(wanting[0].audience), targets


def weekly_publishers(settings: Settings, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers ``[weekly] publishers`` names (every one when it names none)."""
    return pick_publishers(settings.weekly.publishers or None, "weekly.publishers", available)
