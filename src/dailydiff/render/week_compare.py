"""A week against the weeks before it, from the stored days alone (pure): the week's figures (counts by
level, change type and area, fix share, reverts and re-lands, new and returning contributors, commits
written by coding agents), the same figures for the week before, the last eight weeks for a chart, the
areas that got work this week and none in the four before, and the risk signals stated plainly.

What counts as what is said once here, so that the figures can be recounted from the day reports' JSON:

- a commit counts once per level (its final ``level``), once in each of its change types and once in each
  area (the first two directories of a changed file; top-level files are the root area);
- a fix is a commit whose change types include ``bugfix``; the fix share is fixes / commits;
- a revert is a commit whose change types include ``revert``; a re-land is a commit whose title says so
  (``RELAND_RE``);
- a contributor is an author of a non-merge commit (login, else e-mail, else name); a new one has no
  commit in the eight weeks before, a returning one has;
- weeks with no stored day are not weeks "before": they are left out of medians and of the look-back.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import Field

from dailydiff.common.text import output_text
from dailydiff.models import (
    LEVELS_HIGH_FIRST,
    AnalysisStatus,
    ChangeType,
    DayReport,
    FrozenModel,
    Gate,
    ReportCommit,
)
from dailydiff.scoring.agents import agent_of

HISTORY_WEEKS = 8  # the chart, the revert median and the contributors' look-back
NEW_AREA_WEEKS = 4  # an area is new when the four weeks before had no commit in it
ROOT_AREA = "/"
RELAND_RE = re.compile(r"^\W*(re-?land(ed)?|reapply|re-?apply|re-?commit|redo)\b", re.IGNORECASE)
BREAKING_RE = re.compile(r"^\w+(\([^)]*\))?!:|\bBREAKING[ -]CHANGES?\b")
SIGNAL_COMMITS = 10  # commits listed under a signal (the count says how many in all)


class WeekFigures(FrozenModel):
    """One week's figures; ``stored_days`` 0: nothing of it is stored (every figure 0)."""

    week: str
    start: dt.date
    stored_days: int = 0
    total: int = 0
    levels: dict[str, int] = Field(default_factory=dict)  # high / medium / low
    types: dict[str, int] = Field(default_factory=dict)
    areas: dict[str, int] = Field(default_factory=dict)
    fixes: int = 0
    fix_share: float = 0.0
    reverts: int = 0
    relands: int = 0
    contributors: int = 0
    new_contributors: list[str] = Field(default_factory=list)
    returning_contributors: list[str] = Field(default_factory=list)
    agent_commits: int = 0
    agents: dict[str, int] = Field(default_factory=dict)


class SignalCommit(FrozenModel):
    sha: str
    title: str
    url: str | None = None
    date: dt.date


class Signal(FrozenModel):
    """A risk signal: ``kind`` (fix_share, reverts, breaking, security, failed_day), its figures (what the
    sentence says) and the commits behind it (the first ``SIGNAL_COMMITS``; ``count``: how many)."""

    kind: str
    figures: dict[str, float | int | str] = Field(default_factory=dict)
    count: int = 0
    commits: list[SignalCommit] = Field(default_factory=list)


class WeekPoint(FrozenModel):
    week: str
    stored: bool
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    fixes: int = 0
    reverts: int = 0


class WeekComparison(FrozenModel):
    """``previous_week``: the same figures for the week before (None: no day of it is stored)."""

    previous_week: WeekFigures | None = None
    history: list[WeekPoint] = Field(
        default_factory=list
    )  # the last eight weeks, oldest first, this one last
    new_areas: list[str] = Field(default_factory=list)
    # Days of the week before that are stored: a week before with fewer than 7 is not compared (previous_week
    # None), as two days are not a week.
    previous_days: int = 0
    revert_median: float | None = None  # reverts per week over the stored weeks of the eight before


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _typed(change_type: ChangeType) -> Callable[[ReportCommit], bool]:
    """Whether a commit's analysis gives it ``change_type``."""
    return lambda rc: rc.analysis is not None and change_type in rc.analysis.change_types


_fix, _revert, _security = (_typed(t) for t in (ChangeType.BUGFIX, ChangeType.REVERT, ChangeType.SECURITY))


def _breaking(rc: ReportCommit) -> bool:
    return bool(BREAKING_RE.search(rc.message))


def _reland(rc: ReportCommit) -> bool:
    return bool(RELAND_RE.match(rc.title))


def person_key(rc: ReportCommit) -> str:
    return (rc.author.login or rc.author.email or rc.author.name).lower()


def areas_of(rc: ReportCommit) -> set[str]:
    """The first two directories of each changed file (top-level files: the root area)."""
    found = set()
    for change in rc.files:
        parts = change.path.split("/")[:-1]
        found.add(output_text("/".join(parts[:2])) if parts else ROOT_AREA)
    return found


def _ordered(counts: Counter[str], order: Iterable[str]) -> dict[str, int]:
    return {k: counts[k] for k in order if counts[k]}


def week_figures(monday: dt.date, reports: Sequence[DayReport], seen_before: set[str]) -> WeekFigures:
    """The figures of the week starting ``monday`` from its stored days; ``seen_before``: the contributors
    of the eight weeks before it."""
    commits = [rc for report in reports for rc in report.commits]
    fixes = sum(1 for rc in commits if _fix(rc))
    return WeekFigures(
        week=week_label(monday),
        start=monday,
        stored_days=len(reports),
        total=len(commits),
        **_kinds(commits),
        fixes=fixes,
        fix_share=round(fixes / len(commits), 4) if commits else 0.0,
        reverts=sum(1 for rc in commits if _revert(rc)),
        relands=sum(1 for rc in commits if _reland(rc)),
        **_contributors(commits, seen_before),
    )


def _kinds(commits: Sequence[ReportCommit]) -> dict[str, Any]:
    """The week's commits by level, change type and area."""
    levels = Counter(rc.level.value for rc in commits)
    types = Counter(t.value for rc in commits if rc.analysis for t in set(rc.analysis.change_types))
    areas = Counter(a for rc in commits for a in areas_of(rc))
    return {
        "levels": _ordered(levels, (lv.value for lv in LEVELS_HIGH_FIRST)),
        "types": _ordered(types, (t.value for t in ChangeType)),
        "areas": dict(sorted(areas.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _contributors(commits: Sequence[ReportCommit], seen_before: set[str]) -> dict[str, Any]:
    """Who wrote the week's commits (merges aside): new ones, returning ones, and the coding agents."""
    people: dict[str, str] = {}
    for rc in commits:
        if not rc.is_merge:
            people.setdefault(person_key(rc), output_text(rc.author.name))
    agents = Counter(name for rc in commits if (name := agent_of(rc)))
    return {
        "contributors": len(people),
        "new_contributors": sorted((n for k, n in people.items() if k not in seen_before), key=str.lower),
        "returning_contributors": sorted((n for k, n in people.items() if k in seen_before), key=str.lower),
        "agent_commits": sum(agents.values()),
        "agents": dict(sorted(agents.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _weeks(reports: Mapping[dt.date, DayReport | None], monday: dt.date, n: int) -> list[list[DayReport]]:
    """The stored days of the ``n`` weeks before ``monday`` (nearest first)."""
    out = []
    for back in range(1, n + 1):
        start = monday - dt.timedelta(days=7 * back)
        days = (reports.get(start + dt.timedelta(days=i)) for i in range(7))
        out.append([r for r in days if r is not None])
    return out


def _people(weeks: Iterable[Sequence[DayReport]]) -> set[str]:
    return {person_key(rc) for days in weeks for r in days for rc in r.commits if not rc.is_merge}


def figures_of(monday: dt.date, reports: Mapping[dt.date, DayReport | None]) -> WeekFigures:
    """The figures of the week starting ``monday`` (``reports``: its days and the eight weeks' before)."""
    own = [r for i in range(7) if (r := reports.get(monday + dt.timedelta(days=i))) is not None]
    return week_figures(monday, own, _people(_weeks(reports, monday, HISTORY_WEEKS)))


def _point(monday: dt.date, days: Sequence[DayReport]) -> WeekPoint:
    if not days:
        return WeekPoint(week=week_label(monday), stored=False)
    f = week_figures(monday, days, set())
    return WeekPoint(week=f.week, stored=True, total=f.total, high=f.levels.get("high", 0),
                     medium=f.levels.get("medium", 0), low=f.levels.get("low", 0), fixes=f.fixes,
                     reverts=f.reverts)  # fmt: skip


def compare(
    monday: dt.date, reports: Mapping[dt.date, DayReport | None]
) -> tuple[WeekFigures, WeekComparison, list[Signal]]:
    """The week starting ``monday`` against the weeks before; ``reports`` holds the stored days of it and
    of the nine weeks before (the week before needs its own eight-week look-back)."""
    figures = figures_of(monday, reports)
    before = _weeks(reports, monday, HISTORY_WEEKS)
    previous_monday = monday - dt.timedelta(days=7)
    previous = figures_of(previous_monday, reports) if len(before[0]) == 7 else None
    history = [_point(monday - dt.timedelta(days=7 * back), days) for back, days in
               reversed(list(enumerate(before[: HISTORY_WEEKS - 1], start=1)))]  # fmt: skip
    own = [r for i in range(7) if (r := reports.get(monday + dt.timedelta(days=i))) is not None]
    history.append(_point(monday, own))
    comparison = WeekComparison(previous_week=previous, history=history, new_areas=_new_areas(figures, before),
                                previous_days=len(before[0]), revert_median=_revert_median(before))  # fmt: skip
    return figures, comparison, signals(figures, comparison, own)


def _new_areas(figures: WeekFigures, before: list[list[DayReport]]) -> list[str]:
    """The week's areas none of the recent weeks before touched (none when none of those is stored)."""
    recent = before[:NEW_AREA_WEEKS]
    if not any(recent):
        return []
    known = {a for days in recent for r in days for rc in r.commits for a in areas_of(rc)}
    return sorted(a for a in figures.areas if a not in known)


def _revert_median(before: list[list[DayReport]]) -> float | None:
    """The median of the reverts a stored week before had (None when none is stored)."""
    stored_before = [days for days in before if days]
    if not stored_before:
        return None
    return float(
        statistics.median([sum(1 for r in days for rc in r.commits if _revert(rc)) for days in stored_before])
    )


def signals(figures: WeekFigures, comparison: WeekComparison, days: Sequence[DayReport]) -> list[Signal]:
    """The risk signals of a week, in a fixed order; a quiet week has none."""
    ordered = sorted(days, key=lambda r: r.date)
    pairs = [(r, rc) for r in ordered for rc in r.commits]
    out: list[Signal] = []
    if figures.total and figures.fix_share > 0.5:
        out.append(_signal("fix_share", [p for p in pairs if _fix(p[1])], fixes=figures.fixes, total=figures.total,
                           percent=round(100 * figures.fix_share)))  # fmt: skip
    median = comparison.revert_median
    if median is not None and figures.reverts > median:
        out.append(_signal("reverts", [p for p in pairs if _revert(p[1])], reverts=figures.reverts,
                           median=plain_number(median)))  # fmt: skip
    for kind, test in (("breaking", _breaking), ("security", _security)):
        chosen = [p for p in pairs if test(p[1])]
        if chosen:
            out.append(_signal(kind, chosen))
    return out + [_failed_day(r, r.gate) for r in ordered if r.gate is not None and r.gate.gated]


def _signal(kind: str, chosen: list[tuple[DayReport, ReportCommit]], **figures: float | int | str) -> Signal:
    commits = [
        SignalCommit(sha=rc.sha, title=output_text(rc.title), url=rc.url, date=report.date)
        for report, rc in chosen[:SIGNAL_COMMITS]
    ]
    return Signal(kind=kind, figures=figures, count=len(chosen), commits=commits)


def _failed_day(report: DayReport, gate: Gate) -> Signal:
    """A gated day: the commits whose analysis is not ok."""
    failed = [
        (report, rc)
        for rc in report.commits
        if rc.analysis is None or rc.analysis.status != AnalysisStatus.OK
    ]
    return _signal(
        "failed_day", failed, date=report.date.isoformat(), failed=gate.failed, analysable=gate.analysable
    )


def plain_number(value: float) -> int | float:
    """A whole number as an int (``2``, not ``2.0``), any other as it is."""
    return int(value) if float(value).is_integer() else value
