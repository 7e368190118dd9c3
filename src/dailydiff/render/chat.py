"""The chat message model: one for every unit kind, independent of any service (pure: data in, data out).

A message is a title, a counts line, sections of lines and a link to the full edition. A line is a tuple
of spans (text, optionally a link, bold or code), so every service renders and escapes them in its own
markup (publish/chat_formats.py: one style and limits row per service), and a too-long line is shortened
on the raw text, before escaping — never in the middle of an escape, a link or a character.

Builders: ``day_message`` (a repository's day), ``digest_message`` (a digest-day across repositories:
every repository named, with its counts or why it has none) and ``week_message`` (a repository's week).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dailydiff.common import i18n
from dailydiff.common.text import clean, code_span_at, safe_url
from dailydiff.models import DayReport, Level, ReportCommit
from dailydiff.render.markdown import gate_warning, pr_context, stats_line
from dailydiff.scoring.agents import agent_of

if TYPE_CHECKING:
    from dailydiff.render.digest import DayDigest
    from dailydiff.render.week import WeekDigest

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
    omitted: int = 0  # items not listed (beyond max_commits): the last line says how many


@dataclass(frozen=True)
class Message:
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
    combining marks, variation selectors or zero-width joiners; a cut inside a code span closes it after
    the "…" (a backtick left open would turn the rest of a chat message into code), or goes before it
    when none of its text would show."""
    if len(text) <= limit:
        return text
    end = max(0, limit)
    while 0 < end < len(text) and (
        unicodedata.combining(text[end]) or text[end] in "\u200d\ufe0e\ufe0f" or text[end - 1] == "\u200d"
        or 0x1F3FB <= ord(text[end]) <= 0x1F3FF or 0xE0020 <= ord(text[end]) <= 0xE007F
    ):  # fmt: skip
        end -= 1
    span = code_span_at(text, end)
    if span is not None and end - span.start() <= len(span.group(1)):
        end, span = span.start(), None  # nothing of the span's text would show: cut before it
    return text[:end].rstrip() + "…" + (span.group(1) if span else "")


MARKS = {Level.HIGH: "🔴", Level.MEDIUM: "🟡", Level.LOW: "🟢"}


def commit_line(level: Level, title: str, url: str | None, sha: str, *, watch: Sequence[str] = (),
                summary: str = "", repo: str = "", extra: Sequence[Span] = (), language: str = "en",
                agent: str | None = None) -> Line:  # fmt: skip
    """One commit as a line: its mark, the repository (in a digest across repositories), watch topics,
    the title linked to the commit, the short sha, ``extra`` spans (a pull request) and a summary."""
    spans: list[Span] = [Span(f"{MARKS[level]} ", trusted=True)]
    if repo:
        spans += [Span(one_line(repo), bold=True), Span(": ", trusted=True)]
    if watch:
        spans.append(Span("👀 " + i18n.join_list((one_line(w) for w in watch), language) + " · "))
    spans.append(Span(cut(one_line(title) or "—", TITLE_CHARS), url=safe_url(url), bold=True))
    spans.append(Span(" ", trusted=True))
    spans.append(Span(sha[:7], code=True, trusted=True))
    if agent:
        spans.append(Span(f" 🤖 {agent}", trusted=True))
    spans.extend(extra)
    summary = one_line(summary)
    if summary:
        spans.append(Span(" — ", trusted=True))
        spans.append(Span(cut(summary, SUMMARY_CHARS)))
    return tuple(spans)


def _report_commit_line(rc: ReportCommit, report: DayReport) -> Line:
    extra: list[Span] = []
    branch = report.branch_of(rc)
    if branch:  # off the report's branch (--all-branches): which one
        extra.append(Span(" 🌿 ", trusted=True))
        extra.append(Span(branch, code=True))
    pr = pr_context(rc)
    if pr is not None:
        extra.append(Span(" · ", trusted=True))
        kind = "MR" if pr["ref"].startswith("!") else "PR"
        extra.append(Span(f"{kind} {pr['ref']}", url=pr["url"] or None, trusted=True))
        if pr["title"]:
            extra.append(Span(" " + cut(pr["title"], TITLE_CHARS)))
        if pr["labels"]:
            extra.append(Span(" 🏷️ " + i18n.join_list(pr["labels"], report.language)))
    summary = rc.analysis.summary if rc.analysis is not None else ""
    return commit_line(
        rc.level,
        rc.title,
        rc.url,
        rc.sha,
        watch=rc.watch,
        summary=summary,
        extra=extra,
        language=report.language,
        agent=agent_of(rc),
    )


def _bullets(highlights: Sequence[str], themes: Sequence[str], themes_label: str) -> list[Line]:
    lines: list[Line] = [(Span("• ", trusted=True), Span(one_line(h))) for h in highlights]
    if themes:
        lines.append((Span(themes_label, trusted=True), Span(" · ".join(one_line(t) for t in themes))))
    return lines


def _listed(
    title: str, lines: list[Line], total: int, report_url: str | None, words: dict[str, str]
) -> Section:
    """A section of ``lines`` (the first of ``total``), closed by an "N more" line when some were left out."""
    if total > len(lines):
        return Section(title, [*lines, _more_line(total - len(lines), report_url, words)], total - len(lines))
    return Section(title, lines or [(Span(words["none"], trusted=True),)])


def alert_sections(alerts: Sequence[str], language: str) -> list[Section]:
    """Failing delivery targets ([run] alert_after), one line each under one heading, as untrusted text."""
    if not alerts:
        return []
    return [Section(i18n.words("report", language)["delivery_alert"], [(Span(one_line(a)),) for a in alerts])]


def day_message(report: DayReport, report_url: str | None = None, max_commits: int = 100) -> Message:
    L = i18n.words("report", report.language)
    words = i18n.words("chat", report.language)
    title = f"{L['title'].format(date=report.date.isoformat())} · {report.repo}"
    if report.partial:  # built before the day settled: every output says so
        title += f" · {L['partial_short']}"
    sections: list[Section] = []
    warning = gate_warning(report).replace("**", "")
    if warning:
        sections.append(Section(warning))  # the stored gate: the same verdict and figures as the report
    sections += alert_sections(report.alerts, report.language)
    overview = _bullets(report.overview.highlights, report.overview.themes, f"{L['themes']}{L['colon']}")
    if overview:
        sections.append(Section(L["overview"], overview))
    sections += _commit_sections(report, report_url, max_commits, words)
    return Message(title=title, counts=stats_line(report), sections=sections, report_url=report_url,
                  language=report.language)  # fmt: skip


def _commit_sections(report: DayReport, report_url: str | None, max_commits: int,
                     words: dict[str, str]) -> list[Section]:  # fmt: skip
    """The watched and high commits, then the rest of the commits agents wrote (marked wherever a commit is
    listed)."""
    watched = [rc for rc in report.commits if rc.watch]
    high = [rc for rc in report.commits if rc.level is Level.HIGH and not rc.watch]
    listed = [_report_commit_line(rc, report) for rc in (watched + high)[:max_commits]]
    heading = words["high"] if not watched else f"{words['watch']} / {words['high']}"
    total = len(watched) + len(high)
    sections = [_listed(f"{heading} ({total})", listed, total, report_url, words)]
    shown = {rc.sha for rc in (watched + high)[:max_commits]}
    by_agents = [rc for rc in report.commits if rc.sha not in shown and agent_of(rc)]
    if by_agents:
        lines = [_report_commit_line(rc, report) for rc in by_agents[:max_commits]]
        agent = i18n.words("report", report.language)["agent"]
        sections.append(_listed(f"{agent} ({len(by_agents)})", lines, len(by_agents), report_url, words))
    return sections


def addendum_title(report: DayReport, count: int) -> str:
    return str(i18n.words("addendum", report.language)["title"]).format(
        n=count, date=report.date.isoformat(), repo=report.repo
    )


def addendum_message(
    report: DayReport, late: Sequence[ReportCommit], report_url: str | None = None, max_commits: int = 100
) -> Message:
    """The late commits of a day already delivered: "2 late commit(s) for DATE", each commit a line (never
    the day's report again)."""
    words = i18n.words("chat", report.language)
    lines = [_report_commit_line(rc, report) for rc in late[:max_commits]]
    section = _listed(f"{i18n.words('report', report.language)['late_heading']} ({len(late)})", lines, len(late),
                      report_url, words)  # fmt: skip
    title = addendum_title(report, len(late))
    return Message(title=title, counts=title, sections=[section], report_url=report_url,
                   language=report.language)  # fmt: skip


def _more_line(n: int, report_url: str | None, words: dict[str, str]) -> Line:
    if report_url:
        return (Span(words["more"].format(n=n), url=report_url, trusted=True),)
    return (Span(words["more_no_link"].format(n=n), trusted=True),)


def digest_message(digest: DayDigest, report_url: str | None = None, max_commits: int = 100,
                   repo_links: dict[str, str] | None = None) -> Message:  # fmt: skip
    """A digest-day across repositories: every repository is named, with its counts or the reason it has
    none (no report that day, or too many failed analyses), before any commit."""
    from dailydiff.render.digest import repo_state

    D = i18n.words("digest", digest.language)
    words = i18n.words("chat", digest.language)
    links = repo_links or {}
    sections: list[Section] = [
        Section(one_line(digest.summary)),
        *alert_sections(digest.alerts, digest.language),
    ]
    overview = _bullets(digest.overview.highlights, digest.overview.themes, D["themes"])
    if overview:
        sections.append(Section(D["overview"], overview))
    rows: list[Line] = []
    for r in digest.repos:
        state = repo_state(r, digest.language, digest.timezone)
        counts = f"{r.total} · 🔴{r.high} 🟡{r.medium} 🟢{r.low}" + (f" · ❌{r.failed}" if r.failed else "")
        rows.append((Span(one_line(r.repo), url=links.get(r.repo), bold=True), Span(": ", trusted=True),
                     Span(state or counts, trusted=True)))  # fmt: skip
    sections.append(Section(D["repos"], rows))
    commits = [*digest.high, *digest.watch]
    listed = [
        commit_line(
            c.level,
            c.title,
            c.url,
            c.sha,
            watch=c.watch,
            summary=c.summary,
            repo=c.repo,
            language=digest.language,
        )
        for c in commits[:max_commits]
    ]
    heading = D["high"] if not digest.watch else f"{D['high']} / {D['watch']}"
    sections.append(_listed(f"{heading} ({len(commits)})", listed, len(commits), report_url, words))
    counts = D["overview_counts"].format(total=digest.total, active=sum(1 for r in digest.repos if r.total),
                                         repos=len(digest.repos), high=len(digest.high))  # fmt: skip
    return Message(title=digest.title, counts=counts,
                   sections=sections, report_url=report_url, language=digest.language)  # fmt: skip


def week_message(
    week: WeekDigest, report_url: str | None = None, max_commits: int = 100, builder: str = "dailydiff run"
) -> Message:
    """A repository's week: its highlights, its most important commits and the watch-topic hits;
    ``builder`` is the command that builds its missing days."""
    from dailydiff.render.week_words import comparison_lines, missing_line  # on use: charts

    W = i18n.words("weekly", week.language)
    C = i18n.words("week_compare", week.language)
    words = i18n.words("chat", week.language)
    sections: list[Section] = [Section(one_line(week.summary))] if week.summary else []
    signals = signal_lines(week)
    compared: list[Line] = [
        (Span("• ", trusted=True), Span(one_line(line))) for line in comparison_lines(week)
    ]
    if compared:
        sections.append(Section(C["heading"], compared))
        sections.append(Section(C["signals"], signals or [(Span(C["no_signals"], trusted=True),)]))
    highlights = _bullets(week.highlights, [], "")
    if week.missing_days:
        highlights.append((Span(one_line(missing_line(week, builder, ", ")), trusted=True),))
    if highlights:
        sections.append(Section(W["highlights"], highlights))
    top = [commit_line(c.level, c.title, c.url, c.sha, watch=c.watch, summary=c.summary, language=week.language,
                       agent=c.agent)
           for c in week.top_commits[:max_commits]]  # fmt: skip
    sections.append(
        _listed(f"{W['top']} ({len(week.top_commits)})", top, len(week.top_commits), report_url, words)
    )
    for hits in week.watch:
        lines = [
            commit_line(c.level, c.title, c.url, c.sha, summary=c.summary) for c in hits.commits[:max_commits]
        ]
        sections.append(_listed(f"{W['watch']}: {one_line(hits.topic)} ({len(hits.commits)})", lines,
                                len(hits.commits), report_url, words))  # fmt: skip
    t = week.totals
    counts = f"{t.total} · 🔴{t.high} 🟡{t.medium} 🟢{t.low} · +{t.additions}/−{t.deletions}"
    title = f"{W['title'].format(week=week.week, start=week.start, end=week.end)} · {week.repo}"
    return Message(
        title=title, counts=counts, sections=sections, report_url=report_url, language=week.language
    )


def signal_lines(week: WeekDigest) -> list[Line]:
    """A week's risk signals, a line each, with numbered links to their commits."""
    from dailydiff.render.week_words import signal_text  # on use: charts

    return [
        (Span("⚠️ " + one_line(signal_text(s, week.language)) + " ", trusted=True),
         *(Span(f"[{i}]", url=safe_url(c.url), trusted=True) for i, c in enumerate(s.commits[:5], 1)))
        for s in week.signals
    ]  # fmt: skip


def link_line(digest: Message) -> Line | None:
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
