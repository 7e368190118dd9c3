"""WeekDigest → Markdown / JSON (HTML: weekly_html.py). A registry like the daily one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dailydiff import __version__
from dailydiff.common.i18n import change_type_labels, weekdays, words
from dailydiff.common.text import md_inline, output_tree, safe_url, shorten
from dailydiff.render.markdown import generation_stamp, render_template
from dailydiff.render.week import DigestCommit, WeekDigest
from dailydiff.render.week_words import comparison_lines, cost_line, missing_line, signal_view
from dailydiff.render.weekly_html import render_weekly_html

TEMPLATE = "weekly.md.j2"
LEVEL_MARKS = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def _link(commit: DigestCommit, chars: int) -> dict[str, Any]:
    return {
        "title": shorten(commit.title or "—", chars),
        "url": safe_url(commit.url),
        "short_sha": commit.sha[:7],
        "date": commit.date.isoformat(),
        "author": commit.author,
        "mark": LEVEL_MARKS[commit.level.value],
        "summary": shorten(commit.summary, 200) if commit.summary else "",
        "watch": commit.watch,
        "agent": commit.agent or "",
    }


def render_weekly_markdown(
    digest: WeekDigest,
    *,
    templates_dir: str = "",
    title_chars: int = 80,
    watch_limit: int = 10,
    builder: str = "dailydiff run",
) -> str:
    """The week as Markdown; ``builder`` is the command that builds a missing day (``dailydiff report
    SOURCE`` for a repository followed with `report` only)."""
    L = words("weekly", digest.language)
    type_names = change_type_labels(digest.language)
    day_names = weekdays(digest.language)
    type_columns = list(digest.totals.types)
    generated = generation_stamp(digest.generated_at, digest.timezone)
    return render_template(
        TEMPLATE,
        templates_dir,
        d=digest,
        L=L,
        title=L["title"].format(week=digest.week, start=digest.start, end=digest.end),
        type_columns=[(t, type_names[t]) for t in type_columns],
        days=[{"day": day, "weekday": day_names[day.date.weekday()]} for day in digest.days],
        top=[_link(c, title_chars) for c in digest.top_commits],
        watch=[
            {
                "topic": w.topic,
                "count": len(w.commits),
                "commits": [_link(c, title_chars) for c in w.commits[:watch_limit]],
                "more": L["more"].format(n=len(w.commits) - watch_limit)
                if len(w.commits) > watch_limit
                else "",
            }
            for w in digest.watch
        ],
        missing=missing_line(digest, builder),
        footer=L["footer"].format(version=__version__, timezone=digest.timezone, generated=generated),
        **week_words_view(digest),
    )


def week_words_view(digest: WeekDigest) -> dict[str, Any]:
    """The one-line summary, the week-over-week lines, the risk signals and the cost, as the weekly
    templates show them (text under the output policy, escaped for Markdown)."""
    return {
        "C": words("week_compare", digest.language),
        "summary": md_inline(digest.summary),
        "compare": [md_inline(line) for line in comparison_lines(digest)],
        "signals": [signal_view(s, digest.language, md_inline) for s in digest.signals],
        "cost": cost_line(digest.usage, digest.language),
    }


def render_weekly_json(digest: WeekDigest) -> str:
    clean = WeekDigest.model_validate(output_tree(digest.model_dump()))
    return clean.model_dump_json(indent=2) + "\n"


WeeklyRenderer = Callable[[WeekDigest], str]
# format -> renderer
WEEKLY_RENDERERS: dict[str, WeeklyRenderer] = {
    "md": render_weekly_markdown,
    "json": render_weekly_json,
    "html": render_weekly_html,
}
