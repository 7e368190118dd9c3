"""A week's comparison, risk signals, cost and one-line summary as sentences (pure; the words are in the
locale files: ``[week_compare]``, ``[signals]``, ``[one_line]``). Every figure a sentence states comes from
``WeekDigest.figures`` / ``comparison`` (render/week_compare.py), never counted again here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from dailydiff.common.i18n import change_type_labels, join_list, words
from dailydiff.common.text import safe_url
from dailydiff.render.chartdata import Chart, Series, chart_labels
from dailydiff.render.week_compare import ROOT_AREA, Signal, WeekFigures, week_label

if TYPE_CHECKING:
    from dailydiff.render.week import WeekDigest, WeekUsage

AREAS_SHOWN = 6


def delta(now: float, before: float | None, same: str = "=") -> str:
    """``↑3``, ``↓2`` or ``=`` (``before`` None: no week to compare with, the empty string)."""
    if before is None:
        return ""
    change = now - before
    if change == 0:
        return same
    number = f"{abs(change):g}" if isinstance(change, float) else str(abs(change))
    return f"{'↑' if change > 0 else '↓'}{number}"


def _parts(now: Mapping[str, int], before: Mapping[str, int] | None, names: Mapping[str, str], same: str,
           keys: list[str] | None = None) -> str:  # fmt: skip
    keys = keys or list(dict.fromkeys([*now, *(before or {})]))
    out = []
    for key in keys:
        change = delta(now.get(key, 0), (before or {}).get(key, 0) if before is not None else None, same)
        out.append(f"{names.get(key, key)} {now.get(key, 0)}" + (f" ({change})" if change else ""))
    return " · ".join(out)


def changed(C: Mapping[str, str], key: str, now: float, before: float | None) -> str:
    """A figure's change as the sentence says it (``C[key]``: " (↑3)", "; ↑6 points"; no change: ``C[key_same]``
    where the unit would not read after "="); '' without a week before."""
    if before is not None and now == before and f"{key}_same" in C:
        return C[f"{key}_same"]
    return C[key].format(delta=delta(now, before, C["same"])) if before is not None else ""


def partial_lines(week: WeekDigest) -> list[str]:
    """A week with days not stored says so, first (the stakeholder edition; the engineer's says it under its
    title with the command that builds them)."""
    if not week.missing_days:
        return []
    C = words("week_compare", week.language)
    dates = ", ".join(d.isoformat() for d in week.missing_days)
    return [C["partial"].format(stored=7 - len(week.missing_days), dates=dates)]


def no_previous(week: WeekDigest) -> str:
    """Why the week is not compared: no week before it stored, or only part of it."""
    C = words("week_compare", week.language)
    comparison = week.comparison
    if comparison is not None and comparison.previous_days:
        monday = week.start - dt.timedelta(days=7)
        return C["previous_partial"].format(stored=comparison.previous_days, week=week_label(monday))
    return C["no_previous"]


def comparison_lines(week: WeekDigest) -> list[str]:
    """Each week-over-week figure as a line (the first says which week it is compared with)."""
    figures, comparison = week.figures, week.comparison
    if figures is None or comparison is None:
        return []
    C = words("week_compare", week.language)
    R = words("report", week.language)
    same = C["same"]
    before = comparison.previous_week
    lines = [C["previous"].format(week=before.week) if before else no_previous(week)]
    b: WeekFigures | None = before

    def d(now: float, then: Callable[[WeekFigures], float], words_key: str = "change") -> str:
        return changed(C, words_key, now, then(b) if b is not None else None)

    levels = {"high": R["levels"]["high"], "medium": R["levels"]["medium"], "low": R["levels"]["low"]}
    top_areas = _top_areas(figures, b)
    known = any(p.stored for p in comparison.history[:-1])
    lines += [
        C["commits"].format(now=figures.total, delta=d(figures.total, lambda f: f.total)),
        C["levels"].format(parts=_parts(figures.levels, b.levels if b else None, levels, same,
                                        ["high", "medium", "low"])),
        C["types"].format(parts=_parts(figures.types, b.types if b else None,
                                       change_type_labels(week.language), same)),
        C["areas"].format(parts=_parts(figures.areas, b.areas if b else None,
                                       {ROOT_AREA: chart_labels(week.language)["root"]}, same, top_areas)),
        C["fix_share"].format(pct=round(100 * figures.fix_share), fixes=figures.fixes, total=figures.total,
                              delta_pct=d(round(100 * figures.fix_share), lambda f: round(100 * f.fix_share), "points")),
        C["reverts"].format(reverts=figures.reverts, delta=d(figures.reverts, lambda f: f.reverts),
                            relands=figures.relands, delta_relands=d(figures.relands, lambda f: f.relands)),
        # who is new is known only against weeks stored before this one (else every contributor was "new")
        C["contributors" if known else "contributors_unknown"].format(
            n=figures.contributors, delta=d(figures.contributors, lambda f: f.contributors),
            new=len(figures.new_contributors), returning=len(figures.returning_contributors)),
        C["agents"].format(n=figures.agent_commits, delta=d(figures.agent_commits, lambda f: f.agent_commits)),
    ]  # fmt: skip
    if b is not None or known:
        shown = [a if a != ROOT_AREA else chart_labels(week.language)["root"] for a in comparison.new_areas]
        lines.append(
            C["new_areas"].format(areas=join_list(shown, week.language)) if shown else C["no_new_areas"]
        )
    return lines


def _top_areas(figures: WeekFigures, before: WeekFigures | None) -> list[str]:
    """The week's busiest areas, and up to two of the week before's that it did not touch."""
    top = list(figures.areas)[:AREAS_SHOWN]
    if before is not None:
        top += [a for a in list(before.areas)[:AREAS_SHOWN] if a not in top and a not in figures.areas][:2]
    return top


def signal_text(signal: Signal, language: str) -> str:
    return str(words("signals", language)[signal.kind]).format(count=signal.count, **signal.figures)


def signal_view(signal: Signal, language: str, escape: Callable[[str], str]) -> dict[str, Any]:
    """A risk signal as the weekly templates show it: its sentence (``escape``: for Markdown or HTML), its
    commits' links, and how many more it has."""
    more = signal.count - len(signal.commits)
    return {"text": escape(signal_text(signal, language)),
            "commits": [{"sha": c.sha, "url": safe_url(c.url)} for c in signal.commits],
            "more": words("week_compare", language)["more"].format(n=more) if more > 0 else ""}  # fmt: skip


def missing_line(week: WeekDigest, builder: str, sep: str = "") -> str:
    """The line naming the days of the week with no stored report and the command (``builder``) that builds
    them ('' when it has them all); ``sep`` joins the dates (default: the language's list separator)."""
    days = week.missing_days
    if not days:
        return ""
    W = words("weekly", week.language)
    return str(W["missing"]).format(n=len(days), dates=(sep or W["list_sep"]).join(d.isoformat() for d in days),
                                    builder=builder, first=days[0].isoformat(), last=days[-1].isoformat())  # fmt: skip


def weeks_chart(week: WeekDigest) -> Chart | None:
    """Commits per week by level over the last eight weeks (a week with no stored day is a gap)."""
    if week.comparison is None:
        return None
    C = words("week_compare", week.language)
    L = chart_labels(week.language)
    points = week.comparison.history
    series = tuple(
        Series(level, L[level], tuple(getattr(p, level) if p.stored else None for p in points))
        for level in ("high", "medium", "low")
    )
    return Chart(key="weeks-8", kind="stacked", title=C["chart"], label_header=C["chart_week"],
                 labels=tuple(p.week for p in points), series=series, language=week.language,
                 axis_labels=tuple(p.week[-3:] for p in points))  # fmt: skip


def cost_line(usage: WeekUsage, language: str) -> str:
    """The week's tokens, and its cost where a price is set; '' when no LLM was used."""
    tokens = usage.prompt_tokens + usage.completion_tokens
    if not tokens:
        return ""
    C = words("week_compare", language)
    if usage.priced:
        return str(C["cost_priced"]).format(tokens=f"{tokens:,}", cost=f"{usage.cost:.4f}")
    return str(C["cost"]).format(tokens=f"{tokens:,}")


def human_area(area: str, language: str) -> str:
    """An area as a reader who does not read paths says it: its last directory, words apart."""
    if area == ROOT_AREA:
        return str(words("stakeholder", language)["root"])
    return " ".join(area.rsplit("/", 1)[-1].replace("_", " ").replace("-", " ").split())


def week_one_line(week: WeekDigest, *, stakeholder: bool = False) -> str:
    """The rule-built one-line summary of a week: its commits against the week before, its fixes and
    reverts, where most work went, its risk signals. Fit for a chat preview and an e-mail subject."""
    words_ = words("one_line", week.language)
    f = week.figures
    name = week.repo_name
    if f is None or not f.total:
        return str(words_["empty_week"]).format(name=name, week=week.week)
    before = week.comparison.previous_week if week.comparison else None
    change = delta(f.total, before.total if before else None)
    top = next(iter(f.areas), "")
    area = human_area(top, week.language) if stakeholder else (top if top != ROOT_AREA else "/")
    return str(words_["week"]).format(
        name=name, week=week.week, total=f.total,
        delta=words_["delta"].format(delta=change) if before
        else words_["partial_before"] if week.comparison and week.comparison.previous_days else words_["first"],
        fixes=f.fixes, pct=round(100 * f.fix_share), reverts=f.reverts,
        focus=words_["focus"].format(area=area) if top else "",
        signals=words_["signals"].format(n=len(week.signals)) if week.signals else words_["quiet"],
    )  # fmt: skip
