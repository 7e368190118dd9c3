"""The numbers of the charts, from stored reports alone (no fetching, no LLM): commits per day by importance,
change types per week, the most-changed areas and the most active authors, a day against its repository's
median, a week by weekday and its change types against the week before; each a :class:`Chart` with its
title, text alternative and table (render/charts.py draws them)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dailydiff.common.i18n import change_type_labels, weekdays, words
from dailydiff.common.text import output_text
from dailydiff.models import ChangeType, DayReport, Level, ReportCommit
from dailydiff.render.week import WeekDigest
from dailydiff.render.week_compare import plain_number

Kind = Literal["stacked", "bars", "hbars"]


Value = int | float | None


REPO_DAYS = 90


INDEX_DAYS = 30


MEDIAN_DAYS = 30


TOP_N = 10


AREA_DEPTH = 2  # "src/engine/scheduler.py" is in the area "src/engine"


# Series colours (light, dark): the levels use the site's colours; types a colour-blind-safe palette.
COLOURS: dict[str, tuple[str, str]] = {
    "high": ("#cf222e", "#f85149"),
    "medium": ("#bf8700", "#d29922"),
    "low": ("#1a7f37", "#3fb950"),
    "current": ("#0969da", "#4493f8"),
    "reference": ("#8c959f", "#6e7681"),
    "feature": ("#0072b2", "#56b4e9"),
    "bugfix": ("#d55e00", "#ff8c42"),
    "performance": ("#009e73", "#3fd0a0"),
    "refactor": ("#cc79a7", "#e3a3c9"),
    "docs": ("#56b4e9", "#9ad3f5"),
    "test": ("#e69f00", "#f5c04a"),
    "ci_build": ("#6e7781", "#a0a8b2"),
    "dependency": ("#8250df", "#b392f0"),
    "config": ("#1b7c83", "#39c5cf"),
    "security": ("#a40e26", "#ff7b72"),
    "revert": ("#4d2d00", "#c69026"),
    "release": ("#116329", "#56d364"),
    "other": ("#afb8c1", "#545d68"),
}


FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", '
    '"Noto Sans CJK SC", sans-serif'
)


PNG_FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


def chart_labels(language: str) -> dict[str, str]:
    return words("charts", language)


@dataclass(frozen=True)
class Series:
    key: str  # picks the colour: a level, a change type, "current" or "reference"
    name: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Chart:
    """One chart's numbers. ``labels`` are the categories (dates, weeks, areas …) in order; a value of
    None means "no stored report" (a gap, not a zero)."""

    key: str  # a file-name stem, e.g. "commits-90d"
    kind: Kind
    title: str
    label_header: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    language: str
    axis_labels: tuple[str, ...] = ()  # shorter labels for the axis (e.g. "01-27" for "2026-01-27")
    axis_every: int = 1  # label every nth category on the axis
    note: str = ""  # said under the chart (e.g. how a commit of several types counts)

    def __post_init__(self) -> None:
        # The output policy for every text a picture, its table and its alt carry: an author's name or an
        # area is untrusted, and one control character leaves an SVG that no browser draws.
        text = _label
        for name in ("title", "label_header", "note"):
            object.__setattr__(self, name, output_text(getattr(self, name)))
        object.__setattr__(self, "labels", tuple(text(label) for label in self.labels))
        object.__setattr__(self, "axis_labels", tuple(text(label) for label in self.axis_labels))
        series = tuple(Series(s.key, text(s.name), s.values) for s in self.series)
        object.__setattr__(self, "series", series)

    @property
    def stacked_total(self) -> bool:
        return self.kind == "stacked" and len(self.series) > 1

    def rows(self) -> list[tuple[str, list[Value]]]:
        """The table: one row per label, one cell per series (and the total for stacked charts)."""
        out = []
        for i, label in enumerate(self.labels):
            cells: list[Value] = [s.values[i] for s in self.series]
            if self.stacked_total:
                known = [v for v in cells if v is not None]
                cells.append(sum(known) if known else None)
            out.append((label, cells))
        return out

    @property
    def columns(self) -> list[str]:
        names = [s.name for s in self.series]
        return [*names, chart_labels(self.language)["total"]] if self.stacked_total else names

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    @property
    def alt(self) -> str:
        """A sentence with the chart's key numbers, for ``alt`` and for plain-text mail."""
        C = chart_labels(self.language)
        sep = "，" if self.language == "zh" else ", "
        if self.empty:
            return C["alt"].format(title=self.title, parts=C["none"])
        if self.kind == "stacked":
            return C["alt"].format(title=self.title, parts=sep.join(self._stacked_parts(C)))
        if self.kind == "hbars" and len(self.series) == 1:
            values = self.series[0].values
            parts = [f"{label} {number_text(v)}" for label, v in zip(self.labels, values, strict=True)]
            return C["alt"].format(title=self.title, parts=sep.join(parts))
        parts = [
            f"{s.name}: "
            + " / ".join(f"{label} {number_text(v)}" for label, v in zip(self.labels, s.values, strict=True))
            for s in self.series
        ]
        return C["alt"].format(title=self.title, parts=("；" if self.language == "zh" else "; ").join(parts))

    def _stacked_parts(self, C: dict[str, str]) -> list[str]:
        """A stacked chart's total, each series' and its busiest column."""
        totals = [(s.name, sum(v for v in s.values if v)) for s in self.series]
        parts = [f"{C['total']} {sum(n for _, n in totals)}"] + [f"{name} {n}" for name, n in totals]
        sums = [sum(v or 0 for v in cells[: len(self.series)]) for _, cells in self.rows()]
        best = max(range(len(sums)), key=lambda i: sums[i])
        return [*parts, C["alt_busiest"].format(label=self.labels[best], n=number_text(sums[best]))]

    def text_table(self) -> str:
        """The numbers as aligned plain text (for the text part of an email)."""
        header = [self.label_header, *self.columns]
        body = [[label, *(number_text(v) for v in cells)] for label, cells in self.rows()]
        widths = [max(cell_width(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines = []
        for row in [header, *body]:
            first = row[0] + " " * (widths[0] - cell_width(row[0]))
            rest = [" " * (w - cell_width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
            lines.append("  ".join([first, *rest]).rstrip())
        return "\n".join(lines)


def _label(value: str) -> str:
    cleaned = output_text(value)
    return cleaned if cleaned.strip() or not value else "?"  # a name of control characters only


def number_text(value: Value) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def cell_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


LEVELS = (Level.HIGH, Level.MEDIUM, Level.LOW)


def level_counts(report: DayReport) -> dict[str, int]:
    """The day's commits by level, as the report's statistics count them."""
    s = report.stats
    return {"total": s.total, "high": s.high, "medium": s.medium, "low": s.low}


def type_counts(reports: Iterable[DayReport]) -> dict[str, int]:
    """Commits per change type (a commit of several types counts once in each; commits without an
    analysis in none), in the vocabulary's order: the weekly digest counts them the same way."""
    counts: Counter[str] = Counter()
    for report in reports:
        for rc in report.commits:
            if rc.analysis is not None:
                counts.update(t.value for t in rc.analysis.change_types)
    return {t.value: counts[t.value] for t in ChangeType if counts[t.value]}


def commit_areas(rc: ReportCommit, root: str | None, depth: int = AREA_DEPTH) -> set[str | None]:
    """The directories (the first ``depth`` levels) a commit changed; files at the top level are ``root``."""
    areas: set[str | None] = set()
    for change in rc.files:
        parts = change.path.split("/")[:-1]
        areas.add("/".join(parts[:depth]) if parts else root)
    return areas


@dataclass(frozen=True)
class DayNumbers:
    """What the trend charts count of one stored day: kept beside a built site, so that its charts are
    drawn again without reading every stored report."""

    date: dt.date
    language: str
    counts: Mapping[str, int]  # level_counts
    types: Mapping[str, int]  # type_counts
    areas: tuple[tuple[str | None, int], ...]  # commits per area (None: files at the top level)
    authors: Mapping[str, int]  # commits per author name

    @classmethod
    def of(cls, report: DayReport) -> DayNumbers:
        # Names and paths are untrusted: kept under the output policy, as the charts show them.
        areas: Counter[str | None] = Counter()
        for rc in report.commits:
            areas.update(a if a is None else _label(a) for a in commit_areas(rc, None))
        authors = Counter(_label(rc.author.name or "?") for rc in report.commits)
        # A commit's areas are a set (no order of their own): in order of name, so that the kept numbers
        # are the same bytes in every build.
        ordered = tuple(sorted(areas.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")))
        return cls(report.date, report.language, level_counts(report), type_counts([report]), ordered,
                   dict(authors))  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "language": self.language, "counts": dict(self.counts),
                "types": dict(self.types), "areas": [list(a) for a in self.areas], "authors": dict(self.authors)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DayNumbers:
        return cls(dt.date.fromisoformat(data["date"]), data["language"], data["counts"], data["types"],
                   tuple((a, int(n)) for a, n in data["areas"]), data["authors"])  # fmt: skip


Day = DayNumbers | DayReport


def numbers(days: Iterable[Day]) -> list[DayNumbers]:
    return [d if isinstance(d, DayNumbers) else DayNumbers.of(d) for d in days]


def _area_totals(days: Iterable[DayNumbers], root: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for day in days:
        for area, n in day.areas:
            counts[root if area is None else area] += n
    return counts


def type_totals(days: Iterable[DayNumbers]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for day in days:
        counts.update(day.types)
    return {t.value: counts[t.value] for t in ChangeType if counts[t.value]}


def _span(end: dt.date, days: int) -> list[dt.date]:
    return [end - dt.timedelta(days=days - 1 - i) for i in range(days)]


def commits_per_day(reports: Iterable[Day], end: dt.date, days: int, language: str,
                    key: str = "") -> Chart:  # fmt: skip
    """Commits per day by importance for the ``days`` days ending with ``end`` (gaps where no report)."""
    C = chart_labels(language)
    by_date = {r.date: r for r in numbers(reports)}
    dates = _span(end, days)
    series = tuple(
        Series(level.value, C[level.value],
               tuple(by_date[d].counts[level.value] if d in by_date else None for d in dates))
        for level in LEVELS
    )  # fmt: skip
    return Chart(
        key=key or f"commits-{days}d", kind="stacked", title=C["commits_per_day"].format(n=days),
        label_header=C["date"], labels=tuple(d.isoformat() for d in dates), series=series, language=language,
        axis_labels=tuple(d.strftime("%m-%d") for d in dates), axis_every=7 if days > 31 else (5 if days > 14 else 1),
    )  # fmt: skip


def types_per_week(reports: Iterable[Day], end: dt.date, days: int, language: str, key: str = "") -> Chart:
    """Commits per change type in each ISO week that overlaps the ``days`` days ending with ``end``."""
    C = chart_labels(language)
    names = change_type_labels(language)
    weeks: dict[str, list[DayNumbers]] = {}
    for day in _span(end, days):
        year, week, _ = day.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", [])
    for report in _within(reports, end, days):
        year, week, _ = report.date.isocalendar()
        weeks[f"{year}-W{week:02d}"].append(report)
    per_week = {label: type_totals(members) for label, members in weeks.items()}
    used = [t.value for t in ChangeType if any(t.value in c for c in per_week.values())]
    series = tuple(
        Series(t, names.get(t, t),
               tuple(per_week[w].get(t, 0) if weeks[w] else None for w in weeks))
        for t in used
    )  # fmt: skip
    return Chart(key=key or f"types-{days}d", kind="stacked", title=C["types_per_week"], label_header=C["week"],
                 labels=tuple(weeks), series=series, language=language,
                 axis_labels=tuple(w.split("-")[1] for w in weeks), note=C["types_note"])  # fmt: skip


def _within(reports: Iterable[Day], end: dt.date, days: int) -> list[DayNumbers]:
    start = end - dt.timedelta(days=days - 1)
    return [r for r in numbers(reports) if start <= r.date <= end]


def _top(name: str, counts: Counter[str], days: int, language: str, key: str, n: int) -> Chart:
    """The ``n`` largest of ``counts`` as horizontal bars: ``name`` is "areas" or "authors"."""
    C = chart_labels(language)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower(), kv[0]))[:n]
    return Chart(key=key or f"{name}-{days}d", kind="hbars", title=C[name].format(n=days), label_header=C[name[:-1]],
                 labels=tuple(a for a, _ in top), series=(Series("current", C["commits"], tuple(c for _, c in top)),),
                 language=language)  # fmt: skip


def top_areas(reports: Sequence[Day], end: dt.date, days: int, language: str, key: str = "",
              n: int = TOP_N) -> Chart:  # fmt: skip
    root = chart_labels(language)["root"]
    return _top("areas", _area_totals(_within(reports, end, days), root), days, language, key, n)


def top_authors(
    reports: Sequence[Day], end: dt.date, days: int, language: str, key: str = "", n: int = TOP_N
) -> Chart:
    counts: Counter[str] = Counter()
    for r in _within(reports, end, days):
        counts.update(r.authors)
    return _top("authors", counts, days, language, key, n)


def day_against_median(day: Day, history: Iterable[Day], days: int = MEDIAN_DAYS) -> Chart:
    """The day's commits (total and by level) beside the median of the stored days among the ``days``
    days before it (a day without a stored report is left out, not counted as zero)."""
    (report,) = numbers([day])
    language = report.language
    C = chart_labels(language)
    start = report.date - dt.timedelta(days=days)
    before = [r for r in numbers(history) if start <= r.date < report.date]
    keys = ["total", *(level.value for level in LEVELS)]
    today = report.counts
    medians: tuple[Value, ...] = tuple(
        plain_number(float(statistics.median([r.counts[k] for r in before]))) if before else None
        for k in keys
    )
    series = (
        Series("current", f"{C['this_day']} {report.date.isoformat()}", tuple(today[k] for k in keys)),
        Series("reference", C["median"].format(n=len(before)), medians),
    )
    return Chart(key="day-vs-median", kind="bars", title=C["day_vs_median"].format(n=days),
                 label_header=C["level"], labels=(C["total"], *(C[level.value] for level in LEVELS)),
                 series=series, language=language)  # fmt: skip


def week_by_weekday(digest: WeekDigest) -> Chart:
    C = chart_labels(digest.language)
    day_names = weekdays(digest.language)
    labels = tuple(f"{day_names[d.date.weekday()]} {d.date.strftime('%m-%d')}" for d in digest.days)
    series = tuple(
        Series(level.value, C[level.value],
               tuple(getattr(d, level.value) if d.stored else None for d in digest.days))
        for level in LEVELS
    )  # fmt: skip
    return Chart(key="weekdays", kind="stacked", title=C["weekdays"], label_header=C["weekday"], labels=labels,
                 series=series, language=digest.language,
                 axis_labels=tuple(str(day_names[d.date.weekday()]) for d in digest.days))  # fmt: skip


def type_mix(digest: WeekDigest, previous: Mapping[str, int] | None) -> Chart:
    """This week's commits per change type beside the week before's (``previous`` None: no stored day)."""
    C = chart_labels(digest.language)
    names = change_type_labels(digest.language)
    before = previous or {}
    used = [t.value for t in ChangeType if digest.totals.types.get(t.value) or before.get(t.value)]
    series = [Series("current", C["this_week"], tuple(digest.totals.types.get(t, 0) for t in used))]
    if previous is not None:
        series.append(Series("reference", C["previous_week"], tuple(before.get(t, 0) for t in used)))
    return Chart(key="type-mix", kind="hbars", title=C["type_mix"], label_header=C["type"],
                 labels=tuple(names.get(t, t) for t in used), series=tuple(series), language=digest.language,
                 note=C["types_note"])  # fmt: skip


REPO_CHART_KEYS = (
    f"commits-{REPO_DAYS}d",
    f"types-{REPO_DAYS}d",
    f"areas-{REPO_DAYS}d",
    f"authors-{REPO_DAYS}d",
)


WEEK_CHART_KEYS = ("weekdays", "type-mix")


def repo_charts(days_: Sequence[Day], language: str, days: int = REPO_DAYS) -> list[Chart]:
    """A repository page's charts over the ``days`` days ending with its newest stored day (fewer when
    its first stored day is nearer: a chart does not open on weeks before the repository was followed)."""
    reports = numbers(days_)
    if not reports:
        return []
    end = max(r.date for r in reports)
    span = min(days, (end - min(r.date for r in reports)).days + 1)
    return [
        commits_per_day(reports, end, span, language, key=f"commits-{days}d"),
        types_per_week(reports, end, span, language, key=f"types-{days}d"),
        top_areas(reports, end, span, language, key=f"areas-{days}d"),
        top_authors(reports, end, span, language, key=f"authors-{days}d"),
    ]


def weekly_charts(digest: WeekDigest, previous: Mapping[str, int] | None) -> list[Chart]:
    return [week_by_weekday(digest), type_mix(digest, previous)]
