"""The weekly digest: one repository's ISO week, built from its stored daily reports. Pure.

The digest has the week's highlights, counts by level and change type per day, the most important
commits, watch-topic hits and contributors, and says which days had no stored report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from dailydiff.common.i18n import change_type_labels, words
from dailydiff.errors import UsageError
from dailydiff.models import ChangeType, DayReport, Level, ReportCommit
from dailydiff.render.week_compare import FrozenModel, Signal, SignalCommit, WeekComparison, WeekFigures
from dailydiff.scoring.agents import agent_of

WEEKLY_SCHEMA_VERSION = 1
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class IsoWeek(FrozenModel):
    year: int
    week: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=i) for i in range(7)]


def parse_week(text: str | None, today: dt.date) -> IsoWeek:
    """``2026-W04`` (or ``2026W04``), ``this`` or ``last`` (the default: the last complete week)."""
    lowered = (text or "last").strip().lower()
    if lowered in {"this", "last"}:
        day = today if lowered == "this" else today - dt.timedelta(days=7)
        year, week, _ = day.isocalendar()
        return IsoWeek(year=year, week=week)
    match = _WEEK_RE.match(lowered)
    if not match:
        raise UsageError(f"bad week {text!r}", "use YYYY-Www (e.g. 2026-W04), 'this' or 'last'")
    year, week = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9998:  # the same days `report` accepts (datetime stops at year 9999)
        raise UsageError(f"bad week {text!r}: out of range", "use a week from 1900 to 9998")
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(
            f"bad week {text!r}: {year} has no week {week}", "ISO years have 52 or 53 weeks"
        ) from None
    return IsoWeek(year=year, week=week)


class DigestCommit(FrozenModel):
    date: dt.date
    sha: str
    committed_at: dt.datetime
    title: str
    url: str | None = None
    author: str
    level: Level
    score: float
    change_types: list[ChangeType] = Field(default_factory=list)
    summary: str = ""
    watch: list[str] = Field(default_factory=list)
    agent: str | None = None  # the coding agent that wrote it (scoring/agents.toml), else None


class Theme(FrozenModel):
    """What a group of the week's commits (an area and a kind of change) means for users; its commits are
    linked, never named by path or hash."""

    title: str
    meaning: str
    count: int
    commits: list[SignalCommit] = Field(default_factory=list)


class WeekUsage(FrozenModel):
    """Tokens and cost of a week: its stored days' and this edition's own (``edition_*``); ``priced``: a
    price is set ([llm] price or input/output prices), so ``cost`` means something."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    edition_prompt_tokens: int = 0
    edition_completion_tokens: int = 0
    edition_cost: float = 0.0
    priced: bool = False
    cached_tokens: int | None = None  # its days' prompt tokens an endpoint's cache served; None: never said

    @model_serializer(mode="wrap")
    def _without_unknown_cache(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("cached_tokens") is None:
            data.pop("cached_tokens", None)  # weeks without the figure keep the shape they had
        return data


class DigestDay(FrozenModel):
    date: dt.date
    stored: bool
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    types: dict[str, int] = Field(default_factory=dict)


class WatchHits(FrozenModel):
    topic: str
    commits: list[DigestCommit]


class Contributor(FrozenModel):
    name: str
    login: str | None = None
    commits: int
    additions: int
    deletions: int


class DigestTotals(FrozenModel):
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    additions: int = 0
    deletions: int = 0
    contributors: int = 0
    types: dict[str, int] = Field(default_factory=dict)


class WeekDigest(FrozenModel):
    schema_version: int = WEEKLY_SCHEMA_VERSION
    kind: str = "weekly"
    repo: str
    repo_url: str | None = None
    week: str
    start: dt.date
    end: dt.date  # inclusive (Sunday)
    timezone: str
    language: str
    days: list[DigestDay]
    missing_days: list[dt.date] = Field(default_factory=list)
    totals: DigestTotals
    highlights: list[str] = Field(default_factory=list)
    top_commits: list[DigestCommit] = Field(default_factory=list)
    watch: list[WatchHits] = Field(default_factory=list)
    contributors: list[Contributor] = Field(default_factory=list)
    generated_at: dt.datetime | None = None
    # Who it is written for: "engineer" (commits, paths) or "stakeholder" (themes, no paths or identifiers).
    audience: str = "engineer"
    # One line for a chat preview and an e-mail subject (the LLM's when configured, else the rules').
    summary: str = ""
    # The week's own figures, the same for the week before and the last eight weeks (render/week_compare.py).
    figures: WeekFigures | None = None
    comparison: WeekComparison | None = None
    signals: list[Signal] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)  # the stakeholder edition's (empty for engineers)
    # What the week cost: its days' analyses and overviews, and this edition's own request.
    usage: WeekUsage = Field(default_factory=lambda: WeekUsage())

    @property
    def repo_name(self) -> str:
        return self.repo.rsplit("/", 1)[-1]


def _digest_commit(rc: ReportCommit, date: dt.date) -> DigestCommit:
    analysis = rc.analysis
    return DigestCommit(
        date=date,
        sha=rc.sha,
        committed_at=rc.committed_at,
        title=rc.title,
        url=rc.url,
        author=rc.author.name,
        level=rc.level,
        score=rc.score.score,
        change_types=list(analysis.change_types) if analysis else [],
        summary=analysis.summary if analysis else "",
        watch=list(rc.watch),
        agent=agent_of(rc),
    )


def build_digest(
    repo: str,
    week: IsoWeek,
    reports: Mapping[dt.date, DayReport | None],
    *,
    timezone: str,
    language: str,
    top_n: int = 10,
    now: dt.datetime | None = None,
) -> WeekDigest:
    days: list[DigestDay] = []
    commits: list[DigestCommit] = []
    repo_url = None
    stored = [r for r in (reports.get(date) for date in week.days) if r is not None]
    for date in week.days:
        report = reports.get(date)
        days.append(_digest_day(date, report))
        if report is not None:
            repo_url = repo_url or report.repo_url
            commits += [_digest_commit(rc, date) for rc in report.commits]
    contributors = _contributors(stored)
    totals = _totals(days, contributors)
    ranked = sorted(commits, key=lambda c: (-c.level.rank, -c.score, -c.date.toordinal(), c.sha))
    topics: dict[str, list[DigestCommit]] = {}
    for commit, topic in (
        (c, t) for c in sorted(commits, key=lambda c: (c.committed_at, c.sha)) for t in c.watch
    ):
        topics.setdefault(topic, []).append(commit)
    digest = WeekDigest(
        repo=repo,
        repo_url=repo_url,
        week=week.label,
        start=week.days[0],
        end=week.days[-1],
        timezone=timezone,
        language=language,
        days=days,
        missing_days=[d.date for d in days if not d.stored],
        totals=totals,
        top_commits=ranked[:top_n],
        watch=[WatchHits(topic=name, commits=hits) for name, hits in topics.items()],
        contributors=contributors,
        generated_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
    )
    return digest.model_copy(update={"highlights": highlights(digest)})


def _totals(days: Sequence[DigestDay], contributors: Sequence[Contributor]) -> DigestTotals:
    all_types: Counter[str] = Counter()
    for day in days:
        all_types.update(day.types)
    return DigestTotals(
        total=sum(d.total for d in days),
        high=sum(d.high for d in days),
        medium=sum(d.medium for d in days),
        low=sum(d.low for d in days),
        additions=sum(c.additions for c in contributors),
        deletions=sum(c.deletions for c in contributors),
        contributors=len(contributors),
        types=_ordered_types(all_types),
    )


def _digest_day(date: dt.date, report: DayReport | None) -> DigestDay:
    if report is None:
        return DigestDay(date=date, stored=False)
    types = Counter(
        t.value for rc in report.commits if rc.analysis is not None for t in rc.analysis.change_types
    )
    s = report.stats
    return DigestDay(date=date, stored=True, total=s.total, high=s.high, medium=s.medium, low=s.low,
                     types=_ordered_types(types))  # fmt: skip


def _contributors(reports: Sequence[DayReport]) -> list[Contributor]:
    """The authors of the reports' commits (merges left out), most commits first."""
    people: dict[str, tuple[str, str | None]] = {}  # identity -> (name, login)
    authored: Counter[str] = Counter()
    added: Counter[str] = Counter()
    deleted: Counter[str] = Counter()
    for rc in (rc for report in reports for rc in report.commits if not rc.is_merge):
        key = (rc.author.login or rc.author.email or rc.author.name).lower()
        people.setdefault(key, (rc.author.name, rc.author.login))
        authored[key] += 1
        added[key] += rc.stats.additions
        deleted[key] += rc.stats.deletions
    found = (Contributor(name=name, login=login, commits=authored[key], additions=added[key], deletions=deleted[key])
             for key, (name, login) in people.items())  # fmt: skip
    return sorted(found, key=lambda c: (-c.commits, c.name.lower()))


def _ordered_types(counts: Counter[str]) -> dict[str, int]:
    return {t.value: counts[t.value] for t in ChangeType if counts[t.value]}


def highlights(digest: WeekDigest) -> list[str]:
    text = words("week_highlights", digest.language)
    names = change_type_labels(digest.language)
    t = digest.totals
    if not t.total:
        return [text["empty"]]
    lines = [
        text["total"].format(
            total=t.total, high=t.high, medium=t.medium, low=t.low, people=t.contributors,
            add=t.additions, dele=t.deletions,
        )
    ]  # fmt: skip
    busiest = max((d for d in digest.days if d.stored), key=lambda d: (d.total, -d.date.toordinal()))
    lines.append(text["busiest"].format(date=busiest.date.isoformat(), n=busiest.total))
    top_types = sorted(t.types.items(), key=lambda kv: -kv[1])[:3]
    if top_types:
        lines.append(
            text["types"].format(types=text["list_sep"].join(f"{names[k]} ×{v}" for k, v in top_types))
        )
    if digest.watch:
        lines.append(
            text["watch"].format(
                hits=text["list_sep"].join(f"{w.topic} ×{len(w.commits)}" for w in digest.watch)
            )
        )
    if digest.top_commits:
        lines.append(text["top"].format(title=digest.top_commits[0].title))
    return lines
