"""The stakeholder week as the one chat message model (render/chat.py): no commit lists, themes instead."""

from __future__ import annotations

from dailydiff.common.i18n import words
from dailydiff.common.text import safe_url
from dailydiff.render.chat import Line, Message, Section, Span, one_line, signal_lines
from dailydiff.render.plainwords import plain
from dailydiff.render.stakeholder import LINKS_PER_THEME, MAX_THEMES, stakeholder_compare_lines
from dailydiff.render.week import WeekDigest


def stakeholder_message(week: WeekDigest, report_url: str | None = None) -> Message:
    """The stakeholder edition as the chat message model: the summary, the week against the last, the risk
    signals, the themes with numbered links to their commits (no commit titles: they name code)."""
    S = words("stakeholder", week.language)
    summary = one_line(plain(week.summary))  # a model's summary may name code: scrubbed as the themes are
    sections = [Section(summary)] if summary else []
    signals = signal_lines(week)
    compared: list[Line] = [
        (Span("• ", trusted=True), Span(one_line(line))) for line in stakeholder_compare_lines(week)
    ]
    if compared:
        sections.append(Section(S["compared"], compared))
    if signals:
        sections.append(Section(S["risks"], signals))
    themes: list[Line] = [
        (Span(f"• {plain(t.title)} ({t.count}): ", bold=True, trusted=True), Span(plain(t.meaning) + " "),
         *(Span(f"[{i}]", url=safe_url(c.url), trusted=True) for i, c in enumerate(t.commits[:LINKS_PER_THEME], 1)))
        for t in week.themes[:MAX_THEMES]
    ]  # fmt: skip
    if themes:
        sections.append(Section(S["themes"], themes))
    title = S["title"].format(name=week.repo_name, week=week.week, start=week.start, end=week.end)
    return Message(title=title, counts=summary, sections=sections, report_url=report_url,
                   language=week.language)  # fmt: skip
