"""The weekly e-mail (pure): a 600-pixel column of tables with inline styles only (what mail clients keep),
the one-line summary on top, the week over week, the 8-week chart as a ``cid:`` PNG with its numbers, the
risk signals, then the most important commits (engineers) or the themes (stakeholders). The plain-text part
is the edition's Markdown, as for every mail (render/mail.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dailydiff import __version__
from dailydiff.common.i18n import words
from dailydiff.common.templates import environment
from dailydiff.common.text import clean, safe_url, shorten
from dailydiff.render.chartdata import Chart
from dailydiff.render.charts import PNG_WIDTH, figure_view
from dailydiff.render.mail import Image, Mail, markdown_to_text
from dailydiff.render.markdown import generation_stamp
from dailydiff.render.stakeholder import stakeholder_compare_lines
from dailydiff.render.week import WeekDigest
from dailydiff.render.week_compare import SignalCommit
from dailydiff.render.week_words import comparison_lines, cost_line, signal_text

TEMPLATE = "weekly.mail.html.j2"
CHART_WIDTH = 566  # the column (600) less its padding
MARKS = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def _links(commits: Sequence[SignalCommit], limit: int = 5) -> list[dict[str, str]]:
    return [
        {"url": url, "label": f"[{i}]"} for i, c in enumerate(commits[:limit], 1) if (url := safe_url(c.url))
    ]


def _items(week: WeekDigest) -> tuple[str, list[dict[str, Any]]]:
    if week.audience == "stakeholder":
        S = words("stakeholder", week.language)
        return S["themes"], [
            {"mark": "•", "title": clean(t.title), "url": "", "meta": f"{t.count} {S['commits_word']}",
             "text": clean(t.meaning), "links": _links(t.commits)}
            for t in week.themes[:6]
        ]  # fmt: skip
    W = words("weekly", week.language)
    return W["top"], [
        {"mark": MARKS[c.level.value], "title": clean(shorten(c.title or "—", 90)), "url": safe_url(c.url) or "",
         "meta": " · ".join(x for x in (c.date.isoformat(), clean(c.author), c.sha[:7],
                                       f"🤖 {c.agent}" if c.agent else "") if x),
         "text": clean(shorten(c.summary, 220)) if c.summary else "", "links": []}
        for c in week.top_commits
    ]  # fmt: skip


def build_weekly_mail(week: WeekDigest, subject: str, text: str, charts: Sequence[Chart], link: str | None = None,
                      templates_dir: str = "") -> Mail:  # fmt: skip
    """The week's mail: ``text`` (its Markdown) as the plain part, the HTML drawn here, ``charts`` inline (for
    stakeholders the first, the last eight weeks, without its table: one screen)."""
    stakeholder = week.audience == "stakeholder"
    charts = charts[:1] if stakeholder else charts
    images, views = [], []
    for chart in charts:
        image = Image.of(chart, PNG_WIDTH)
        images.append(image)
        views.append({**figure_view(chart, f"cid:{image.cid}", width=CHART_WIDTH), "cid": image.cid})
    signals = [
        {"text": signal_text(s, week.language), "commits": _links(s.commits),
         "more": words("week_compare", week.language)["more"].format(n=s.count - 5) if s.count > 5 else ""}
        for s in week.signals
    ]  # fmt: skip
    heading, items = _items(week)
    W = words("weekly", week.language)
    cost = cost_line(week.usage, week.language)
    footer = W["footer"].format(version=__version__, timezone=week.timezone,
                                generated=generation_stamp(week.generated_at, week.timezone))  # fmt: skip
    html = (
        environment("html", "render/templates", templates_dir)
        .get_template(TEMPLATE)
        .render(
            html_lang=words("site", week.language)["html_lang"],
            title=W["title"].format(week=week.week, start=week.start, end=week.end),
            repo=week.repo_name if stakeholder else week.repo,
            summary=week.summary,
            C=words("week_compare", week.language),
            compare=stakeholder_compare_lines(week) if stakeholder else comparison_lines(week),
            compare_heading=words("stakeholder", week.language)["compared"] if stakeholder else None,
            tables=not stakeholder,
            charts=views,
            signals=signals,
            items_heading=heading,
            items=items,
            link=safe_url(link) or "",
            full=words("chat", week.language)["full"],
            footer=footer + (f" · {cost}" if cost else ""),
        )
    )

    # The pictures' numbers in the text part too (a reader without images, a screen reader).
    tables = [part for chart in charts for part in (chart.title, chart.alt, "", chart.text_table(), "")]
    plain = (
        markdown_to_text(text).rstrip("\n") + ("\n\n" + "\n".join(tables).rstrip() if tables else "") + "\n"
    )
    return Mail(subject, plain + (f"\n{link}\n" if link else ""), html, tuple(images))
