"""The stakeholder edition of a week (pure): for readers who do not read diffs — a one-line summary, the
week against the last in plain sentences, the risk signals, and themes (the week's commits grouped by area
and kind of change, each with what it means for users) instead of commit lists. No path, identifier, hash
or diff outside links; at most one screen (``MAX_CHARS``). Themes come from the rules (``rule_themes``) or,
when an LLM is configured, from its one answer per edition (engine/weekly.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dailydiff import __version__
from dailydiff.common.i18n import change_type_labels, join_list, words
from dailydiff.common.text import md_inline, safe_url

if TYPE_CHECKING:
    from dailydiff.render.digest import DayDigest
from dailydiff.models import ChangeType, DayReport, ReportCommit
from dailydiff.render.digest import repo_state
from dailydiff.render.plainwords import plain
from dailydiff.render.week import Theme, WeekDigest
from dailydiff.render.week_compare import SignalCommit, areas_of
from dailydiff.render.week_words import (
    changed,
    cost_line,
    human_area,
    no_previous,
    partial_lines,
    signal_text,
)

MAX_THEMES = 6
LINKS_PER_THEME = 3
MAX_CHARS = 2500


def _primary_type(rc: ReportCommit) -> str:
    if rc.analysis is None or not rc.analysis.change_types:
        return ChangeType.OTHER.value
    return rc.analysis.change_types[0].value


def _primary_area(rc: ReportCommit) -> str:
    counts = Counter(a for change in rc.files for a in areas_of(rc.model_copy(update={"files": [change]})))
    return min(counts, key=lambda a: (-counts[a], a)) if counts else "/"


AREAS_PER_THEME = 3


def rule_themes(reports: Sequence[DayReport], language: str) -> list[Theme]:
    """The week's commits grouped by their main kind of change, largest first, each titled with the areas
    where most of them went (said as words, not paths)."""
    groups: dict[str, list[tuple[DayReport, ReportCommit]]] = {}
    for report in sorted(reports, key=lambda r: r.date):
        for rc in report.commits:
            if not rc.is_merge:
                groups.setdefault(_primary_type(rc), []).append((report, rc))
    S = words("stakeholder", language)
    types = change_type_labels(language)
    themes = []
    for kind, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        label = types.get(kind, kind)
        # an area the edition's filter would take out (".github", and the title with it where no blank stands
        # between them: ".github：CI/构建") is no part of the title; with none, the theme is its kind alone
        areas = Counter(area for _, rc in members
                        if plain(title := S["theme"].format(type=label, area=(area := human_area(_primary_area(rc), language)))) == title)  # fmt: skip
        top = [a for a, _ in sorted(areas.items(), key=lambda kv: (-kv[1], kv[0]))[:AREAS_PER_THEME]]
        named = _capabilities([rc for _, rc in members], language)
        themes.append(Theme(
            title=S["theme"].format(type=label, area=join_list(top, language)) if top else label,
            meaning=S["meaning"].get(kind, S["meaning"]["other"]) + (S["named"].format(items=named) if named else ""),
            count=len(members),
            commits=[SignalCommit(sha=rc.sha, title="", url=rc.url, date=r.date) for r, rc in members],
        ))  # fmt: skip
    return themes


CAPABILITIES_PER_THEME = 2
CAPABILITY_CHARS = 60
_LEVEL_RANK = {"high": 0, "medium": 1, "low": 2}


def _capabilities(commits: Sequence[ReportCommit], language: str) -> str:
    """What the theme's most important commits do, in their own words (their titles' subjects, every word
    that names code taken out, cut at a word): "Among them: CuTe DSL kernels for Rubin; a Router GEMM"."""
    from dailydiff.scoring.rules import parse_title

    S = words("stakeholder", language)
    chosen: list[str] = []
    for rc in sorted(commits, key=lambda rc: (_LEVEL_RANK.get(rc.level.value, 3), -rc.score.score)):
        subject = " ".join(
            w for w in plain(parse_title(rc.title).subject or rc.title).split() if w[:1] != "@"
        )
        if len(subject) > CAPABILITY_CHARS:
            subject = subject[:CAPABILITY_CHARS].rsplit(" ", 1)[0].rstrip(",;:-( ") + "…"
        if len(subject.split()) >= 2 and subject.lower() not in (c.lower() for c in chosen):
            chosen.append(subject)
        if len(chosen) == CAPABILITIES_PER_THEME:
            break
    return S["item_sep"].join(S["item"].format(title=c) for c in chosen)


def _links(commits: Sequence[SignalCommit], limit: int, language: str) -> str:
    """Numbered links to the commits (their forge pages): the text is a number, never a hash or title."""
    shown = [f"[{i}]({url})" for i, c in enumerate(commits[:limit], 1) if (url := safe_url(c.url))]
    rest = len(commits) - limit
    more = " " + str(words("week_compare", language)["more"]).format(n=rest) if rest > 0 else ""
    return " ".join(shown) + more


def _plain(text: str) -> str:
    return md_inline(plain(text))


def stakeholder_compare_lines(week: WeekDigest) -> list[str]:
    """The week against the last in the few figures a stakeholder reads: commits, fix share, people."""
    f, comparison = week.figures, week.comparison
    if f is None or comparison is None:
        return partial_lines(week)
    C = words("week_compare", week.language)
    before = comparison.previous_week
    if before is None:
        return [*partial_lines(week), no_previous(week)]
    return [
        *partial_lines(week),
        C["commits"].format(now=f.total, delta=changed(C, "change", f.total, before.total)),
        C["fix_share"].format(pct=round(100 * f.fix_share), fixes=f.fixes, total=f.total,
                              delta_pct=changed(C, "points", round(100 * f.fix_share), round(100 * before.fix_share))),
        C["contributors"].format(n=f.contributors, delta=changed(C, "change", f.contributors, before.contributors),
                                 new=len(f.new_contributors), returning=len(f.returning_contributors)),
    ]  # fmt: skip


def render_stakeholder_markdown(week: WeekDigest) -> str:
    """The stakeholder edition as Markdown, cut to ``MAX_CHARS`` by dropping the smallest themes."""
    themes = list(week.themes[:MAX_THEMES])
    while True:
        text = _markdown(week, themes)
        if len(text) <= MAX_CHARS or not themes:
            return text
        themes.pop()


def _markdown(week: WeekDigest, themes: list[Theme]) -> str:
    S = words("stakeholder", week.language)
    lang = week.language
    lines = [
        "# " + S["title"].format(name=md_inline(week.repo_name), week=week.week, start=week.start, end=week.end),
        "",
        f"**{_plain(week.summary)}**",
        "",
    ]  # fmt: skip
    compared = stakeholder_compare_lines(week)
    if compared:
        lines += [f"### {S['compared']}", "", *(f"- {md_inline(line)}" for line in compared), ""]
    if week.signals:
        lines += [f"### {S['risks']}", ""]
        lines += [
            f"- {signal_text(s, lang)} {_links(s.commits, LINKS_PER_THEME, lang)}" for s in week.signals
        ]
        lines.append("")
    if themes:
        lines += [f"### {S['themes']}", ""]
        for theme in themes:
            lines.append(f"- **{_plain(theme.title)}** ({theme.count}): {_plain(theme.meaning)} "
                         f"{_links(theme.commits, LINKS_PER_THEME, lang)}")  # fmt: skip
        rest = sum(t.count for t in week.themes) - sum(t.count for t in themes)
        if rest:
            lines.append("- " + S["smaller"].format(n=rest))
        lines.append("")
    cost = cost_line(week.usage, lang)
    lines.append("*" + S["footer"].format(version=__version__, cost=f" · {cost}" if cost else "") + "*")
    return "\n".join(lines) + "\n"


def prompt_commits(reports: Sequence[DayReport]) -> list[tuple[ReportCommit, str]]:
    """The week's commits (merges left out), oldest first, each with its line in the LLM's prompt."""
    pairs = [
        (rc, r)
        for r in sorted(reports, key=lambda r: r.date)
        for rc in reversed(r.commits)
        if not rc.is_merge
    ]
    return [
        (rc, f"[{n}] {_primary_type(rc)} · {_primary_area(rc)} · {rc.title}")
        for n, (rc, _) in enumerate(pairs, 1)
    ]


def llm_themes(
    answer: Any, commits: Sequence[tuple[ReportCommit, str]], reports: Sequence[DayReport]
) -> list[Theme]:
    """The model's themes (analysis/week.py ``WeekAnswer``) with their commits linked, technical words out."""
    dates = {rc.sha: r.date for r in reports for rc in r.commits}
    themes = []
    for theme in answer.themes:
        members = [commits[n - 1][0] for n in theme.commits]
        title = plain(theme.title)
        if title:
            themes.append(Theme(title=title, meaning=plain(theme.meaning), count=len(members),
                                commits=[SignalCommit(sha=rc.sha, title="", url=rc.url, date=dates[rc.sha])
                                         for rc in members]))  # fmt: skip
    return themes


def render_stakeholder_digest_markdown(digest: DayDigest) -> str:
    """A digest-day for stakeholders: its one line, each repository's counts, the overview's highlights, with
    anything technical taken out (no commit lists)."""
    D = words("digest", digest.language)
    S = words("stakeholder", digest.language)
    R = words("report", digest.language)
    lines = [f"# {md_inline(digest.title)}", "",
             f"**{_plain(digest.summary)}**", "", f"### {D['repos']}", ""]  # fmt: skip
    for r in digest.repos:
        name = md_inline(r.repo.rsplit("/", 1)[-1])
        counts = (f"{r.total} · {R['levels']['high']} {r.high} · {R['levels']['medium']} {r.medium} · "
                  f"{R['levels']['low']} {r.low}")  # fmt: skip
        lines.append(
            f"- **{name}**: {repo_state(r, digest.language, digest.timezone) if not r.stored else counts}"
        )
    highlights = [h for h in (_plain(x) for x in digest.overview.highlights) if h]
    if highlights:
        lines += ["", f"### {D['overview']}", "", *(f"- {h}" for h in highlights)]
    lines += ["", "*" + S["footer"].format(version=__version__, cost="") + "*"]
    return "\n".join(lines) + "\n"
