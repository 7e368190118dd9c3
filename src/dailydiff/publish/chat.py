"""The chat message of a day, independent of any service (pure: DayReport in, data out).

A digest is a title, the counts, the day overview, the watch-topic and high-importance commits with a
one-line summary, and a link to the full report. Lines are lists of spans (text, optionally a link or
code), so every service renders and escapes them in its own markup, and a too-long line is shortened
on the raw text, before escaping — never in the middle of an escape, a link or a character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from dailydiff.common import i18n
from dailydiff.common.text import clean, safe_url
from dailydiff.models import DayReport, Level, ReportCommit
from dailydiff.render.markdown import pr_context, stats_line

SUMMARY_CHARS = 120
TITLE_CHARS = 100


@dataclass(frozen=True)
class Span:
    text: str
    url: str | None = None
    bold: bool = False
    code: bool = False
    trusted: bool = False  # our own words (labels, counts): never shortened first


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    title: str
    counts: str
    sections: list[Section]
    report_url: str | None
    language: str

    def words(self) -> dict[str, str]:
        return i18n.words("chat", self.language)


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` plus "…", never splitting a character from its
    combining marks, variation selectors or zero-width joiners."""
    if len(text) <= limit:
        return text
    end = max(0, limit)
    while 0 < end < len(text) and (
        unicodedata.combining(text[end]) or text[end] in "\u200d\ufe0e\ufe0f" or text[end - 1] == "\u200d"
        or 0x1F3FB <= ord(text[end]) <= 0x1F3FF or 0xE0020 <= ord(text[end]) <= 0xE007F
    ):  # fmt: skip
        end -= 1
    return text[:end].rstrip() + "…"


def _commit_line(rc: ReportCommit, language: str, branch: str = "") -> Line:
    spans: list[Span] = []
    marker = "🔴" if rc.level is Level.HIGH else "🟡" if rc.level is Level.MEDIUM else "🟢"
    spans.append(Span(f"{marker} ", trusted=True))
    if rc.watch:
        spans.append(Span("👀 " + i18n.join_list((one_line(w) for w in rc.watch), language) + " · "))
    spans.append(Span(cut(one_line(rc.title) or "—", TITLE_CHARS), url=safe_url(rc.url), bold=True))
    spans.append(Span(" ", trusted=True))
    spans.append(Span(rc.short_sha, code=True, trusted=True))
    if branch:  # off the report's branch (--all-branches): which one
        spans.append(Span(" 🌿 ", trusted=True))
        spans.append(Span(branch, code=True))
    pr = pr_context(rc)
    if pr is not None:
        spans.append(Span(" · ", trusted=True))
        spans.append(Span(f"PR #{pr['number']}", url=pr["url"] or None, trusted=True))
        if pr["title"]:
            spans.append(Span(" " + cut(pr["title"], TITLE_CHARS)))
        if pr["labels"]:
            spans.append(Span(" 🏷️ " + i18n.join_list(pr["labels"], language)))
    summary = one_line(rc.analysis.summary) if rc.analysis is not None else ""
    if summary:
        spans.append(Span(" — ", trusted=True))
        spans.append(Span(cut(summary, SUMMARY_CHARS)))
    return tuple(spans)


def build_digest(report: DayReport, report_url: str | None = None, max_commits: int = 100) -> Digest:
    L = i18n.words("report", report.language)
    words = i18n.words("chat", report.language)
    title = f"{L['title'].format(date=report.date.isoformat())} · {report.repo}"
    sections: list[Section] = []
    overview: list[Line] = [(Span("• ", trusted=True), Span(one_line(h))) for h in report.overview.highlights]
    if report.overview.themes:
        themes = " · ".join(one_line(t) for t in report.overview.themes)
        overview.append((Span(f"{L['themes']}: ", trusted=True), Span(themes)))
    if overview:
        sections.append(Section(L["overview"], overview))
    watched = [rc for rc in report.commits if rc.watch]
    high = [rc for rc in report.commits if rc.level is Level.HIGH and not rc.watch]
    listed = (watched + high)[:max_commits]
    rest = len(watched) + len(high) - len(listed)
    lines = [_commit_line(rc, report.language, report.branch_of(rc)) for rc in listed]
    if rest:
        lines.append(_more_line(rest, report_url, words))
    if not lines:
        lines.append((Span(words["none"], trusted=True),))
    heading = words["high"] if not watched else f"{words['watch']} / {words['high']}"
    sections.append(Section(f"{heading} ({len(watched) + len(high)})", lines))
    return Digest(title=title, counts=stats_line(report), sections=sections, report_url=report_url,
                  language=report.language)  # fmt: skip


def _more_line(n: int, report_url: str | None, words: dict[str, str]) -> Line:
    if report_url:
        return (Span(words["more"].format(n=n), url=report_url, trusted=True),)
    return (Span(words["more_no_link"].format(n=n), trusted=True),)


def link_line(digest: Digest) -> Line | None:
    if not digest.report_url:
        return None
    return (Span(digest.words()["full"], url=digest.report_url, bold=True, trusted=True),)


def shrink_line(line: Line, render: Callable[[Line], str], size: Callable[[str], int], limit: int) -> Line:
    """Shorten the longest untrusted span (then any span) until the rendered line fits ``limit``."""
    current = line
    while size(render(current)) > limit:
        candidates = [i for i, s in enumerate(current) if not s.trusted and len(s.text) > 1] or [
            i for i, s in enumerate(current) if len(s.text) > 1
        ]
        if not candidates:
            return current  # cannot get smaller; the packer gives it a part of its own
        index = max(candidates, key=lambda i: len(current[i].text))
        span = current[index]
        text = span.text.removesuffix("…")
        shorter = cut(text, max(1, int(len(text) * 0.8)))
        current = (*current[:index], replace(span, text=shorter), *current[index + 1 :])
    return current


@dataclass
class Unit:
    """A rendered line (or heading) and whether it must stay with the next one."""

    text: str
    keep_with_next: bool = False
    items: int = 0  # commit lines it holds (counted in "N more" when left out)


def pack(
    units: Sequence[Unit], budget: int, size: Callable[[str], int], joiner_size: int
) -> list[list[Unit]]:
    """Greedy packing of whole units into parts of at most ``budget``; a heading never ends a part."""
    parts: list[list[Unit]] = []
    current: list[Unit] = []
    used = 0
    i = 0
    while i < len(units):
        group = [units[i]]
        while group[-1].keep_with_next and i + len(group) < len(units):
            group.append(units[i + len(group)])
        cost = sum(size(u.text) for u in group) + joiner_size * len(group)
        if current and used + cost > budget:
            parts.append(current)
            current, used = [], 0
        current.extend(group)
        used += cost
        i += len(group)
    if current:
        parts.append(current)
    return parts
