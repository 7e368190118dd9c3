"""The static site: which pages exist, where they go, and writing them.

``Site.from_reports`` lays the reports out (one page per repository-day, one per repository and ISO week
with stored days (its weekly digest), one per repository, the index, the search page and its index, Atom
feeds, the daily digests and their feed); ``Site.pages()`` maps every relative path to a function that
renders it, which the static build writes out and ``dailydiff serve`` calls on request.

``site_from_rows`` is the one builder behind both, from the store's rows: a row this version cannot read
gets a page that says so, and every other page is built as usual.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import heapq
import itertools
import json
import os
import posixpath
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from dailydiff import __version__
from dailydiff.common.storeurl import is_postgres
from dailydiff.common.text import shorten
from dailydiff.errors import PublishError
from dailydiff.models import DayReport
from dailydiff.publish.files import atomic_write, sync_filesystem
from dailydiff.render import charts as chart_data
from dailydiff.render.charts import Chart, figure_view, render_svg
from dailydiff.render.digest import DayDigest, load_digest, render_digest_html
from dailydiff.render.feed import AtomEntry, assemble_atom, atom_entry, render_digest_atom
from dailydiff.render.html import (
    PageContext,
    render_day,
    render_index,
    render_page,
    render_repo,
    render_search,
    repo_slug,
)
from dailydiff.render.json import load_report, render_json
from dailydiff.render.markdown import commit_anchors
from dailydiff.render.safe_html import plain_text
from dailydiff.render.week import IsoWeek, WeekDigest, build_digest
from dailydiff.render.weekly_html import WeeklyLinks, render_weekly_html
from dailydiff.settings import Settings
from dailydiff.store import Store

ASSETS = ("site.css", "site.js", "favicon.svg")
MANIFEST = ".dailydiff-site.json"
REPOS = "repos"  # the repositories' pages: repos/<slug>/…
SOURCE = ".dailydiff-site-source.json"  # the store's watermark the last build from the store saw
DAYS = ".dailydiff-site-days"  # what the last build from the store kept of each report (DayRecord)
SEARCH_SUMMARY_CHARS = 240
LATEST_DAYS = 30
REPO_PAGE_DAYS = 90  # a repository's page lists the reports of its last 90 days; the older, by week
KEEP_PARSED = 2000  # a build of more new reports keeps their summaries, not the reports (memory)
READ_BATCH = 500

Renderer = Callable[[], str]
DayKey = tuple[str, dt.date, str]  # repo, date, language


def digest_page(digest: DayDigest) -> str:
    """A daily digest's page: ``digests/<name>/YYYY-MM-DD.html`` (several digests may share a day)."""
    return f"digests/{digest.name}/{digest.date.isoformat()}.html"


def relative(from_path: str, to_path: str) -> str:
    """The link from one site page to another (both relative to the site root)."""
    start, _ = posixpath.split(from_path)
    folder, name = posixpath.split(to_path)
    if folder == start:  # most links: a page beside this one
        return name
    return posixpath.relpath(to_path, start or ".")


@dataclass(frozen=True)
class DayTexts:
    """The long part of a day's summary, needed only by the pages that show it (the feeds' newest entries,
    its month's part of the search index): kept apart from the rest (``DayRecord``), read when needed."""

    feed: AtomEntry | None  # None: a day without commits has no entry
    search: str  # the day's entries of the search index (JSON, comma-separated, escaped for a script)


@dataclass(frozen=True, eq=False)
class DaySummary:
    """What the pages other than a day's own need of its report (the index, the repository's page, charts,
    feeds, search): kept beside a built site (``DAYS``), so that a build reads and renders again only the
    reports that changed. ``fingerprint`` is the hash of the report's stored text; ``texts`` gives its
    feed entry and search entries (``has_feed``, ``has_search``: whether it has any), read when first
    needed."""

    repo: str
    path: str  # the day's page
    language: str
    repo_url: str | None
    fingerprint: str
    held_numbers: chart_data.DayNumbers | Mapping[str, Any] = field(
        repr=False
    )  # a kept one's: parsed when used
    highlight: str
    has_feed: bool
    has_search: bool
    texts: Callable[[], DayTexts] = field(repr=False)

    @property
    def numbers(self) -> chart_data.DayNumbers:
        """The day's numbers for the charts (a kept summary's are parsed when a page first needs them)."""
        held = self.held_numbers
        if not isinstance(held, chart_data.DayNumbers):
            held = chart_data.DayNumbers.from_dict(held)
            object.__setattr__(self, "held_numbers", held)
        return held

    @property
    def date(self) -> dt.date:
        held = self.held_numbers
        return held.date if isinstance(held, chart_data.DayNumbers) else dt.date.fromisoformat(held["date"])

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.numbers.counts)

    @property
    def feed(self) -> AtomEntry | None:
        return self.texts().feed if self.has_feed else None

    @property
    def search(self) -> str:
        return self.texts().search if self.has_search else ""

    @classmethod
    def of(cls, report: DayReport, path: str, fingerprint: str) -> DaySummary:
        anchors = commit_anchors(report.commits)
        search = ",".join(
            _script_json([
                report.repo, report.date.isoformat(), shorten(rc.title, 300) or "—", shorten(rc.author.name, 120),
                shorten(plain_text(rc.analysis.summary, keep_code=True) if rc.analysis else "",
                        SEARCH_SUMMARY_CHARS, code_spans=True),
                rc.level.value, f"{path}#{anchors[rc.sha]}", rc.short_sha,
            ])
            for rc in report.commits
        )  # fmt: skip
        texts = DayTexts(atom_entry(report), search)
        return cls(report.repo, path, report.language, report.repo_url, fingerprint,
                   chart_data.DayNumbers.of(report), _first_highlight(report), texts.feed is not None,
                   bool(search), lambda: texts)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """All but its texts (``texts_as_list``)."""
        return {"repo": self.repo, "path": self.path, "language": self.language, "repo_url": self.repo_url,
                "fingerprint": self.fingerprint, "numbers": self._numbers_dict(), "highlight": self.highlight,
                "feed": self.has_feed, "search": self.has_search}  # fmt: skip

    def _numbers_dict(self) -> Mapping[str, Any]:
        held = self.held_numbers
        return held.as_dict() if isinstance(held, chart_data.DayNumbers) else held

    def texts_as_list(self) -> list[Any]:
        feed = self.feed
        return [self.fingerprint, feed and [feed.updated, feed.head, feed.tail], self.search]

    @classmethod
    def from_dict(cls, data: dict[str, Any], texts: Callable[[], DayTexts]) -> DaySummary:
        numbers = data["numbers"]
        if not isinstance(numbers, dict) or not isinstance(numbers.get("date"), str):
            raise TypeError("a kept summary without its numbers")
        return cls(data["repo"], data["path"], data["language"], data["repo_url"], data["fingerprint"], numbers,
                   data["highlight"], bool(data["feed"]), bool(data["search"]), texts)  # fmt: skip

    @staticmethod
    def texts_from_list(repo: str, date: dt.date, data: list[Any]) -> DayTexts:
        return DayTexts(data[1] and AtomEntry(repo, date, *data[1]), data[2])


@dataclass
class StoredDay:
    """A stored report as the layout sees it: the report itself, or what the last build kept of it
    (``kept``) and how to read it when its own page is rendered again (``load``)."""

    repo: str
    date: dt.date
    language: str
    fingerprint: str = ""  # the hash of the stored text ("": of the report's JSON)
    report: DayReport | None = None
    kept: DaySummary | None = None
    load: Callable[[], DayReport] | None = None


@dataclass
class DayPage:
    path: str  # e.g. repos/owner--name/2026-01-27.html
    date: dt.date
    language: str
    loaded: DayReport | None = None
    load: Callable[[], DayReport] | None = None
    kept: DaySummary | None = None  # made for this page by an earlier build
    fingerprint: str = ""  # the hash of the report's stored text ("": of its JSON)
    made: DaySummary | None = field(default=None, repr=False)  # made by this build (``summary``)

    @property
    def summary(self) -> DaySummary:
        """What the other pages need of the day: kept, or made from the report when first needed."""
        if self.kept is not None:
            return self.kept
        if self.made is None:
            report = self.report
            self.made = DaySummary.of(report, self.path, self.fingerprint or _sha(report.model_dump_json()))
        return self.made

    @property
    def repo_url(self) -> str | None:
        return self.loaded.repo_url if self.loaded is not None else self.summary.repo_url

    @property
    def report(self) -> DayReport:
        """The day's report (read from the store when only its summary was kept: the reader keeps the
        last few it read, not every one)."""
        if self.loaded is not None:
            return self.loaded
        assert self.load is not None, self.path
        return self.load()

    @property
    def json_path(self) -> str:
        return self.path.removesuffix(".html") + ".json"


@dataclass
class WeekPage:
    week: IsoWeek
    path: str  # e.g. repos/owner--name/weeks/2026-W05.html
    days: list[DayPage]  # the stored days of the week, oldest first


@dataclass
class RepoSection:
    repo: str
    slug: str
    repo_url: str | None
    days: list[DayPage] = field(default_factory=list)  # newest first
    weeks: list[WeekPage] = field(default_factory=list)  # newest first

    def week_of(self, day: DayPage) -> WeekPage:
        year, week, _ = day.date.isocalendar()
        return self._weeks_by_number[(year, week)]

    @cached_property
    def _weeks_by_number(self) -> dict[tuple[int, int], WeekPage]:
        return {(w.week.year, w.week.week): w for w in self.weeks}

    def position(self, day: DayPage) -> int:
        return self._positions[id(day)]

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {id(day): i for i, day in enumerate(self.days)}

    def window(self, index: int, days: int = chart_data.MEDIAN_DAYS) -> list[DayPage]:
        """The day at ``index`` and the stored days of the ``days`` days before it (newest first)."""
        day = self.days[index].date
        out = []
        for page in self.days[index:]:
            if (day - page.date).days > days:
                break
            out.append(page)
        return out

    @property
    def path(self) -> str:
        return f"repos/{self.slug}/index.html"

    @property
    def feed_path(self) -> str:
        return f"repos/{self.slug}/feed.xml"

    @property
    def language(self) -> str:
        return self.days[0].language if self.days else "en"


@dataclass(frozen=True)
class Unreadable:
    """A stored row this version cannot read (a newer schema, damage): its page says so."""

    repo: str
    date: dt.date
    language: str
    reason: str

    @property
    def path(self) -> str:
        return f"repos/{repo_slug(self.repo)}/{self.date.isoformat()}.html"


@dataclass
class Site:
    repos: list[RepoSection]
    title: str = "dailydiff"
    base_url: str = ""
    language: str = "zh"
    feed_entries: int = 0
    templates_dir: str = ""
    toc_title_chars: int = 60
    weekly_top_commits: int = 10
    charts: bool = True  # trend charts (SVG files beside the pages, with their numbers in tables)
    digests: list[DayDigest] = field(default_factory=list)  # daily digests across repositories
    unreadable: list[Unreadable] = field(default_factory=list)  # stored rows this version cannot read
    _chart_cache: dict[str, Chart] = field(default_factory=dict, repr=False)
    _search_parts: list[tuple[str, str]] | None = field(default=None, repr=False)

    @classmethod
    def from_reports(cls, reports: Iterable[DayReport], **options: Any) -> Site:
        """``from_days`` of reports at hand (``options``: its keywords)."""
        return cls.from_days((StoredDay(r.repo, r.date, r.language, report=r) for r in reports), **options)

    @classmethod
    def from_days(cls, stored: Iterable[StoredDay], *, title: str = "dailydiff", base_url: str = "",
                  language: str = "", prefer_language: str = "", feed_entries: int = 0, templates_dir: str = "",
                  toc_title_chars: int = 60, weekly_top_commits: int = 10, charts: bool = True) -> Site:  # fmt: skip
        """One page per repository-day: when a day exists in several languages, ``prefer_language`` (by
        default ``language``; else the first seen) wins. ``language`` is the index's; "" picks the
        language most reports use. A day kept from the last build is not read unless its page moved."""
        prefer = prefer_language or language
        chosen: dict[tuple[str, dt.date], StoredDay] = {}
        for day in stored:
            key = (day.repo, day.date)
            current = chosen.get(key)
            if current is None or (day.language == prefer and current.language != prefer):
                chosen[key] = day
        by_repo: dict[str, list[StoredDay]] = defaultdict(list)
        for (repo, _date), day in chosen.items():
            by_repo[repo].append(day)
        sections: list[RepoSection] = []
        used: set[str] = set()
        for repo in sorted(by_repo, key=str.lower):
            slug = repo_slug(repo)
            if slug.lower() in used:
                slug = f"{slug}-{hashlib.sha1(repo.encode()).hexdigest()[:8]}"
            used.add(slug.lower())
            section = RepoSection(repo=repo, slug=slug, repo_url=None)
            section.days = [_day_page(d, f"repos/{slug}/{d.date.isoformat()}.html")
                            for d in sorted(by_repo[repo], key=lambda d: d.date, reverse=True)]  # fmt: skip
            section.repo_url = next((d.repo_url for d in section.days if d.repo_url), None)
            section.weeks = _weeks(slug, section.days)
            sections.append(section)
        site_language = language or _majority([d.language for d in chosen.values()]) or "zh"
        return cls(sections, title=title, base_url=base_url, language=site_language, feed_entries=feed_entries,
                   templates_dir=templates_dir, toc_title_chars=toc_title_chars,
                   weekly_top_commits=weekly_top_commits, charts=charts)  # fmt: skip

    def summaries(self) -> dict[tuple[str, dt.date, str], DaySummary]:
        """The summaries this site has made or kept so far, by (repository, date, language)."""
        return {(s.repo, s.date, s.language): s for s in (d.kept or d.made for d in self.days) if s}

    @property
    def days(self) -> list[DayPage]:
        return [day for section in self.repos for day in section.days]

    # pages -------------------------------------------------------------------------------------

    def pages(self) -> dict[str, Renderer]:
        """Every page: the site-wide ones and each repository's (``section_pages``)."""
        pages = self.shared_pages()
        for section in self.repos:
            pages.update(self.section_pages(section))
        return pages

    def shared_pages(self) -> dict[str, Renderer]:
        """The pages made from every repository: the index, search and its index, the feeds of all
        repositories and of the digests, the digests, the assets, and the pages of unreadable rows (where
        no day page has their place)."""
        pages: dict[str, Renderer] = {
            "index.html": self.render_index,
            "search.html": self.render_search,
            "feed.xml": self.render_feed_all,
        }
        for month, path in self.search_parts():
            pages[path] = _bind(self.render_search_part, month)
        for name in ASSETS:
            pages[f"assets/{name}"] = _asset_reader(name)
        if self.digests:
            pages["digests.xml"] = self.render_feed_digests
            for digest in self.digests:
                pages[digest_page(digest)] = _bind(self.render_digest, digest)
        if self.unreadable:
            days = {day.path for day in self.days}
            for row in self.unreadable:
                if row.path not in days:
                    pages.setdefault(row.path, _bind(self.render_unreadable, row))
        return pages

    def section_pages(self, section: RepoSection) -> dict[str, Renderer]:
        """One repository's pages: its page, feed, days (and their JSON), weeks and charts — laid out and
        fingerprinted (``section_inputs``) apart from the others', so that a build spreads them over
        processes."""
        pages: dict[str, Renderer] = {}
        if self.charts:
            pages.update(self.section_chart_pages(section))
        pages[section.path] = _bind(self.render_repo, section)
        pages[section.feed_path] = _bind(self.render_feed_repo, section)
        for i, day in enumerate(section.days):
            newer = section.days[i - 1] if i > 0 else None
            older = section.days[i + 1] if i + 1 < len(section.days) else None
            pages[day.path] = _bind(self.render_day, section, day, newer, older)
            pages[day.json_path] = _bind(_day_json, day)
        for i, week in enumerate(section.weeks):
            newer_week = section.weeks[i - 1] if i > 0 else None
            older_week = section.weeks[i + 1] if i + 1 < len(section.weeks) else None
            pages[week.path] = _bind(self.render_week, section, week, newer_week, older_week)
        return pages

    def page_inputs(self, pages: Iterable[str] = ()) -> dict[str, str]:
        """A fingerprint of what each page is made from, for an incremental build: a page whose
        fingerprint is unchanged is not rendered again (``shared_inputs`` and each ``section_inputs``)."""
        inputs = self.shared_inputs(pages or self.pages())
        for section in self.repos:
            inputs.update(self.section_inputs(section))
        return inputs

    @cached_property
    def _common(self) -> str:
        """What every page is made with: the version, the site's options, the templates."""
        return hashlib.sha256(repr((__version__, self.title, self.base_url, self.language, self.feed_entries,
                                    self.toc_title_chars, self.weekly_top_commits, self.charts,
                                    _templates_fingerprint(self.templates_dir))).encode()).hexdigest()  # fmt: skip

    def _key(self, *parts: object) -> str:
        text = "\x1f".join(p if isinstance(p, str) else repr(p) for p in (self._common, *parts))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def shared_inputs(self, pages: Iterable[str]) -> dict[str, str]:
        """The fingerprints of ``pages`` as site-wide pages: made from every report (the index, feeds),
        but a search part from its month's days, a digest page from its digest, an asset from itself."""
        key = self._key
        every = sorted(d.summary.fingerprint for d in self.days)
        everything = key(every, [d.model_dump_json() for d in self.digests], self.unreadable)
        inputs = dict.fromkeys(pages, everything)
        parts = self.search_parts()
        inputs["search.html"] = key("search.html", parts)
        by_month: dict[tuple[int, int], list[str]] = defaultdict(list)
        for day in self.days:
            by_month[(day.date.year, day.date.month)].append(f"{day.path} {day.summary.fingerprint}")
        inputs.update({path: key(path, sorted(by_month[_month_key(month)])) for month, path in parts})
        inputs.update({f"assets/{name}": key(name) for name in ASSETS})
        inputs.update({digest_page(d): key(d.model_dump_json()) for d in self.digests})
        inputs.update({row.path: key(row) for row in self.unreadable if inputs.get(row.path)})
        return inputs

    def section_inputs(self, section: RepoSection) -> dict[str, str]:
        """The fingerprints of a repository's pages: a day page depends on its report, its neighbours and
        (its chart) the days of the window before it; a week page on its days and the week before; the
        repository's page, feed and charts on its days (its chart on the index on the site's first and
        newest days too)."""
        key = self._key
        inputs: dict[str, str] = {}
        days = section.days
        mine = key(section.path, "\x1e".join(f"{d.path} {d.summary.fingerprint}" for d in days))
        inputs[section.path] = inputs[section.feed_path] = mine
        if self.charts:
            for key_name in chart_data.REPO_CHART_KEYS:
                inputs[f"repos/{section.slug}/charts/{key_name}.svg"] = mine
            inputs[self.index_chart_path(section)] = key(mine, self._span)
        end = 0  # the window of day i (section.window): days[i:end], newest first
        for i, day in enumerate(days):
            end = max(end, i + 1)
            while end < len(days) and (day.date - days[end].date).days <= chart_data.MEDIAN_DAYS:
                end += 1
            window = "\x1e".join(d.summary.fingerprint for d in days[i:end])
            newer = days[i - 1].path if i > 0 else ""
            older = days[i + 1].path if i + 1 < len(days) else ""
            inputs[day.path] = key(day.path, window, newer, older, section.week_of(day).path)
            inputs[day.json_path] = key(day.summary.fingerprint)
            if self.charts:
                inputs[self.day_chart_path(section, day)] = key("chart", window)
        by_monday = {w.week.monday: w for w in section.weeks}
        for i, week in enumerate(section.weeks):
            before = by_monday.get(week.week.monday - dt.timedelta(days=7))
            made = [d.summary.fingerprint for w in [week, *([before] if before else [])] for d in w.days]
            neighbours = [section.weeks[j].path for j in (i - 1, i + 1) if 0 <= j < len(section.weeks)]
            inputs[week.path] = key(week.path, made, neighbours, [d.path for d in week.days])
            for name in chart_data.WEEK_CHART_KEYS if self.charts else ():
                inputs[self.week_chart_path(section, week, name)] = key("chart", name, made)
        return inputs

    # charts ------------------------------------------------------------------------------------

    @cached_property
    def _span(self) -> tuple[dt.date | None, dt.date | None]:
        """The site's first and newest days."""
        dates = [d.date for section in self.repos for d in section.days]
        return (min(dates), max(dates)) if dates else (None, None)

    def index_charts(self) -> list[tuple[RepoSection, str, Chart]]:
        """Per repository, commits per day by importance over the site's last 30 days."""
        if self._span[1] is None:
            return []
        return [(section, *self.index_chart(section)) for section in self.repos]

    def index_chart(self, section: RepoSection) -> tuple[str, Chart]:
        """A repository's chart on the index (``index_charts``)."""
        first, end = self._span
        assert first is not None and end is not None
        path = self.index_chart_path(section)
        if path not in self._chart_cache:
            span = min(chart_data.INDEX_DAYS, (end - first).days + 1)
            self._chart_cache[path] = chart_data.commits_per_day(
                [d.summary.numbers for d in section.days if (end - d.date).days < span], end, span, self.language,
                key=f"{section.slug}-last-{chart_data.INDEX_DAYS}d",
            )  # fmt: skip
        return path, self._chart_cache[path]

    def index_chart_path(self, section: RepoSection) -> str:
        return f"repos/{section.slug}/charts/last-{chart_data.INDEX_DAYS}d.svg"

    def repo_charts(self, section: RepoSection) -> list[tuple[str, Chart]]:
        """Commits per day (90 days), change types per week, most-changed areas, most active authors."""
        paths = [f"repos/{section.slug}/charts/{key}.svg" for key in chart_data.REPO_CHART_KEYS]
        if paths[0] not in self._chart_cache:
            made = chart_data.repo_charts([d.summary.numbers for d in section.days], section.language)
            self._chart_cache.update(zip(paths, made, strict=True))
        return [(path, self._chart_cache[path]) for path in paths if path in self._chart_cache]

    def day_chart(self, section: RepoSection, day: DayPage) -> tuple[str, Chart]:
        """The day against its repository's 30-day median."""
        path = self.day_chart_path(section, day)
        if path not in self._chart_cache:
            history = [d.summary.numbers for d in section.window(section.position(day))]
            self._chart_cache[path] = chart_data.day_against_median(day.summary.numbers, history)
        return path, self._chart_cache[path]

    def week_charts(self, section: RepoSection, week: WeekPage) -> list[tuple[str, Chart]]:
        """The week by weekday and importance, and its change types against the week before's."""
        paths = [self.week_chart_path(section, week, key) for key in chart_data.WEEK_CHART_KEYS]
        if paths[0] not in self._chart_cache:
            before = week.week.monday - dt.timedelta(days=7)
            previous = next((w for w in section.weeks if w.week.monday == before), None)
            types = chart_data.type_totals(d.summary.numbers for d in previous.days) if previous else None
            made = chart_data.weekly_charts(self._digest(section, week), types)
            self._chart_cache.update(zip(paths, made, strict=True))
        return [(path, self._chart_cache[path]) for path in paths]

    def section_chart_pages(self, section: RepoSection) -> dict[str, Renderer]:
        """A repository's charts' pictures; a chart's numbers are counted once, by whichever of its page
        and its picture is rendered first."""
        pages: dict[str, Renderer] = {}
        if section.days:
            path, chart = self.index_chart(section)
            pages[path] = _bind(render_svg, chart)
        for path, chart in self.repo_charts(section):
            pages[path] = _bind(render_svg, chart)
        for day in section.days:
            pages[self.day_chart_path(section, day)] = _bind(self._day_svg, section, day)
        for week in section.weeks:
            for index, key in enumerate(chart_data.WEEK_CHART_KEYS):
                pages[self.week_chart_path(section, week, key)] = _bind(self._week_svg, section, week, index)
        return pages

    def day_chart_path(self, section: RepoSection, day: DayPage) -> str:
        return f"repos/{section.slug}/charts/{day.date.isoformat()}.svg"

    def week_chart_path(self, section: RepoSection, week: WeekPage, key: str) -> str:
        return f"repos/{section.slug}/charts/{week.week.label}-{key}.svg"

    def _day_svg(self, section: RepoSection, day: DayPage) -> str:
        return render_svg(self.day_chart(section, day)[1])

    def _week_svg(self, section: RepoSection, week: WeekPage, index: int) -> str:
        return render_svg(self.week_charts(section, week)[index][1])

    def _figures(self, page: str, charts: Iterable[tuple[str, Chart]]) -> list[dict[str, Any]]:
        return [figure_view(chart, relative(page, path)) for path, chart in charts]

    def _ctx(self, path: str, language: str, feed: str = "") -> PageContext:
        root = relative(path, "index.html").removesuffix("index.html")
        return PageContext(root=root, site_title=self.title, language=language,
                           feed=relative(path, feed) if feed else "")  # fmt: skip

    def render_day(
        self, section: RepoSection, day: DayPage, newer: DayPage | None, older: DayPage | None
    ) -> str:
        nav = {
            "repo": relative(day.path, section.path),
            "json": relative(day.path, day.json_path),
            "previous": relative(day.path, older.path) if older else "",
            "next": relative(day.path, newer.path) if newer else "",
            "week": relative(day.path, section.week_of(day).path),
            "week_label": section.week_of(day).week.label,
        }
        ctx = self._ctx(day.path, day.summary.language, section.feed_path)
        charts = self._figures(day.path, [self.day_chart(section, day)]) if self.charts else []
        return render_day(day.report, ctx, nav=nav, templates_dir=self.templates_dir,
                          toc_title_chars=self.toc_title_chars, charts=charts)  # fmt: skip

    def render_repo(self, section: RepoSection) -> str:
        """The repository's page: its reports of the last ``REPO_PAGE_DAYS`` days (every one of them is in
        its week, listed whole: a page that grew by a row a day would be rendered whole for each new day)."""
        newest = section.days[0].date if section.days else None
        recent = [d for d in section.days if newest and (newest - d.date).days < REPO_PAGE_DAYS]
        days = [
            {"date": d.date.isoformat(), "href": d.path.rsplit("/", 1)[1],
             "counts": d.summary.counts, "highlight": d.summary.highlight}
            for d in recent
        ]  # fmt: skip
        weeks = []
        for w in section.weeks:
            counts: Counter[str] = Counter()
            for d in w.days:
                counts.update(d.summary.counts)
            weeks.append({"week": w.week.label, "href": relative(section.path, w.path), "days": len(w.days),
                          "counts": dict(counts)})  # fmt: skip
        ctx = self._ctx(section.path, section.language, section.feed_path)
        charts = self._figures(section.path, self.repo_charts(section)) if self.charts else []
        return render_repo(section.repo, days, ctx, repo_url=section.repo_url, weeks=weeks,
                           templates_dir=self.templates_dir, charts=charts, recent_days=REPO_PAGE_DAYS,
                           older=len(recent) < len(section.days))  # fmt: skip

    def render_week(
        self, section: RepoSection, week: WeekPage, newer: WeekPage | None, older: WeekPage | None
    ) -> str:
        """The weekly digest of the site's reports of one repository-week (the same digest as
        `dailydiff weekly` builds from the store)."""
        digest = self._digest(section, week)
        language = digest.language
        commits: dict[tuple[dt.date, str], str] = {}
        for day in week.days:
            href = relative(week.path, day.path)
            for sha, anchor in commit_anchors(day.report.commits).items():
                commits[(day.report.date, sha)] = f"{href}#{anchor}"
        links = WeeklyLinks(
            ctx=self._ctx(week.path, language, section.feed_path),
            repo=relative(week.path, section.path),
            previous=relative(week.path, older.path) if older else "",
            next=relative(week.path, newer.path) if newer else "",
            days={d.date: relative(week.path, d.path) for d in week.days},
            commits=commits,
        )
        charts = self._figures(week.path, self.week_charts(section, week)) if self.charts else []
        return render_weekly_html(
            digest, links=links, site_title=self.title, templates_dir=self.templates_dir, charts=charts
        )

    def _digest(self, section: RepoSection, week: WeekPage) -> WeekDigest:
        reports = {d.report.date: d.report for d in week.days}
        language = _majority([d.report.language for d in week.days])
        stamps = [d.report.generated_at for d in week.days if d.report.generated_at]
        end = dt.datetime.combine(week.week.days[-1], dt.time(), dt.UTC)
        return build_digest(section.repo, week.week, reports, timezone=week.days[0].report.timezone,
                            language=language, top_n=self.weekly_top_commits,
                            now=max(stamps) if stamps else end)  # fmt: skip

    def render_index(self) -> str:
        repos = []
        for section in self.repos:
            # The latest day with commits (an empty Sunday is no news), else the latest day.
            latest = next((d for d in section.days if d.summary.counts.get("total")), section.days[0])
            repos.append({
                "repo": section.repo, "href": section.path, "latest_date": latest.date.isoformat(),
                "latest_href": latest.path, "latest": latest.summary.counts, "days": len(section.days),
            })  # fmt: skip
        newest = self._newest(LATEST_DAYS)
        latest_days = [
            {"date": d.date.isoformat(), "repo": d.summary.repo, "href": d.path,
             "counts": d.summary.counts, "highlight": d.summary.highlight}
            for d in newest
        ]  # fmt: skip
        ctx = self._ctx("index.html", self.language, "feed.xml")
        rows = {r["href"]: r for r in repos}
        charts = [
            (rows[section.path], figure_view(chart, path, anchor=f"trend-{section.slug}"))
            for section, path, chart in (self.index_charts() if self.charts else [])
        ]
        digests = [
            {"name": d.name, "date": d.date.isoformat(), "href": digest_page(d), "total": d.total,
             "high": sum(r.high for r in d.repos), "medium": sum(r.medium for r in d.repos),
             "low": sum(r.low for r in d.repos)}
            for d in sorted(self.digests, key=lambda d: (d.date, d.name), reverse=True)[:LATEST_DAYS]
        ]  # fmt: skip
        return render_index(repos, latest_days, ctx, templates_dir=self.templates_dir, charts=charts,
                            digests=digests)  # fmt: skip

    def render_digest(self, digest: DayDigest) -> str:
        path = digest_page(digest)
        return render_digest_html(digest, ctx=self._ctx(path, digest.language, "digests.xml"),
                                  site_title=self.title, templates_dir=self.templates_dir)  # fmt: skip

    def render_unreadable(self, row: Unreadable) -> str:
        ctx = self._ctx(row.path, row.language)
        return render_page("unreadable.html.j2", ctx, self.templates_dir, repo=row.repo, date=row.date,
                           reason=row.reason)  # fmt: skip

    def render_feed_digests(self) -> str:
        S_title = f"{self.title} · digests"
        return render_digest_atom([(d, digest_page(d)) for d in self.digests], title=S_title,
                                  self_href="digests.xml", home_href="index.html", language=self.language,
                                  base_url=self.base_url, limit=self.feed_entries)  # fmt: skip

    def render_search(self, results: dict[str, Any] | None = None) -> str:
        """The search page: the static site searches its client-side index (the scripts of
        ``search_parts``, newest month first); `serve` passes ``results`` (``q`` and ``hits``) found over
        the store, shown without JavaScript."""
        return render_search(
            self._ctx("search.html", self.language, "feed.xml"),
            templates_dir=self.templates_dir,
            results=results,
            parts=[path for _month, path in self.search_parts()],
        )

    def search_parts(self) -> list[tuple[str, str]]:
        """The search index in one script per month with commits, newest first: (YYYY-MM, path). A new day
        rewrites its month's part only."""
        if self._search_parts is None:
            months = {(d.date.year, d.date.month) for d in self.days if d.summary.has_search}
            self._search_parts = [
                (m, f"assets/search/{m}.js")
                for m in (f"{y:04d}-{n:02d}" for y, n in sorted(months, reverse=True))
            ]
        return self._search_parts

    def render_search_part(self, month: str) -> str:
        """A month's entries of the search index, newest day first: [repo, date, title, author, summary,
        level, href, short sha] per commit, added to ``window.DAILYDIFF_SEARCH`` (a script, not JSON:
        fetch() cannot read a file:// URL, a <script src> can; the parts run in the page's order)."""
        first = dt.date.fromisoformat(f"{month}-01")
        after = (first + dt.timedelta(days=31)).replace(day=1)
        days = [d for d in self.days if first <= d.date < after and d.summary.has_search]
        days.sort(key=lambda d: (d.date, d.summary.repo), reverse=True)
        text = ",".join(d.summary.search for d in days)
        return f"window.DAILYDIFF_SEARCH = (window.DAILYDIFF_SEARCH || []).concat([{text}]);\n"

    def render_feed_all(self) -> str:
        limit = self.feed_entries
        days = self._newest(limit, feed=True) if limit > 0 else self.days
        entries = [(entry, d.path) for entry, d in self._feed_days(days)]
        return assemble_atom(entries, title=self.title, key="all", self_href="feed.xml", home_href="index.html",
                             language=self.language, base_url=self.base_url, limit=self.feed_entries)  # fmt: skip

    def _newest(self, count: int, feed: bool = False) -> list[DayPage]:
        """The ``count`` newest days of every repository (with a feed entry: ``feed``), newest first: of
        each repository's ``count`` newest (its days are newest first), not of every day stored."""
        candidates: list[DayPage] = []
        for section in self.repos:
            days = (d for d in section.days if d.summary.has_feed) if feed else iter(section.days)
            candidates += itertools.islice(days, count)
        return heapq.nlargest(count, candidates, key=lambda d: (d.date, d.summary.repo))

    def _feed_days(self, days: list[DayPage]) -> list[tuple[AtomEntry, DayPage]]:
        """The entries of the days that a feed of at most ``feed_entries`` shows (the newest; 0: all),
        so that only theirs are read."""
        shown = [d for d in days if d.summary.has_feed]
        if self.feed_entries > 0:
            shown.sort(key=lambda d: (d.date, d.summary.repo), reverse=True)
            del shown[self.feed_entries :]
        return [(entry, d) for d in shown if (entry := d.summary.feed) is not None]

    def render_feed_repo(self, section: RepoSection) -> str:
        base = self.base_url and self.base_url.rstrip("/") + "/"
        entries = [(entry, relative(section.feed_path, d.path)) for entry, d in self._feed_days(section.days)]
        return assemble_atom(entries, title=f"{section.repo} · {self.title}", key=f"repo/{section.repo}",
                             self_href="feed.xml", home_href="index.html", language=section.language,
                             base_url=base + posixpath.dirname(section.feed_path) + "/" if base else "",
                             limit=self.feed_entries)  # fmt: skip


def _weeks(slug: str, days: list[DayPage]) -> list[WeekPage]:
    """The ISO weeks that have stored days, newest first (``days`` is newest first)."""
    by_week: dict[tuple[int, int], list[DayPage]] = defaultdict(list)
    for day in days:
        year, week, _ = day.date.isocalendar()
        by_week[(year, week)].append(day)
    pages = []
    for (year, week), members in sorted(by_week.items(), reverse=True):
        iso = IsoWeek(year=year, week=week)
        pages.append(
            WeekPage(iso, f"repos/{slug}/weeks/{iso.label}.html", sorted(members, key=lambda d: d.date))
        )
    return pages


def _day_page(day: StoredDay, path: str) -> DayPage:
    """A day's page, with its summary kept from an earlier build when its page has not moved (else made
    from its report, read when needed)."""
    kept = day.kept if day.kept is not None and day.kept.path == path else None
    return DayPage(path, day.date, day.language, day.report, day.load, kept, day.fingerprint)


def _day_json(day: DayPage) -> str:
    return render_json(day.report)


def _script_json(value: Any) -> str:
    """JSON for inside a <script>: no "<", ">", "&" or line separators as themselves."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escape)
    return text


def _bind(func: Callable[..., str], *args: Any) -> Renderer:
    return lambda: func(*args)


def _asset_reader(name: str) -> Renderer:
    return lambda: (
        resources.files("dailydiff").joinpath(f"render/templates/site/{name}").read_text(encoding="utf-8")
    )


def _templates_fingerprint(directory: str) -> list[tuple[str, int]]:
    """The user's templates as (name, modification time): editing one rebuilds every page."""
    if not directory:
        return []
    root = Path(directory).expanduser()
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file())


def _month_key(month: str) -> tuple[int, int]:
    """(year, month) of a YYYY-MM text."""
    return int(month[:4]), int(month[5:7])


def _majority(values: list[str]) -> str:
    return Counter(values).most_common(1)[0][0] if values else ""


def _first_highlight(report: DayReport) -> str:
    lines = report.overview.highlights
    return shorten(plain_text(lines[0]), 120) if lines else ""


# the one builder -----------------------------------------------------------------------------------

ReportRow = tuple[str, dt.date, str, str]  # repo, date, language, the stored JSON


def read_rows(rows: Iterable[ReportRow]) -> tuple[list[DayReport], list[Unreadable]]:
    """The stored reports this version can read, and the ones it cannot (each with the first line of why)."""
    reports, unreadable = [], []
    for repo, date, language, data in rows:
        try:
            reports.append(load_report(data))
        except ValueError as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            unreadable.append(Unreadable(repo, date, language, reason))
    return reports, unreadable


def stored_digests(store: Store, prefer: str) -> list[DayDigest]:
    """Every stored daily digest, one per name and day (``prefer``, the site's language, wins); a digest
    this version cannot read is left out (it is rebuilt from the reports by the next `digest`)."""
    chosen: dict[tuple[str, dt.date], DayDigest] = {}
    for name, date, language in store.list_digests():
        if (name, date) in chosen and language != prefer:
            continue
        row = store.get_digest(name, date, language)
        if row is not None:
            try:
                chosen[(name, date)] = load_digest(row[1])
            except ValueError:
                continue
    return list(chosen.values())


def make_site(settings: Settings, reports: list[DayReport], *, digests: Sequence[DayDigest] = (),
              unreadable: Sequence[Unreadable] = (), title: str | None = None,
              kept: Mapping[DayKey, DaySummary] | None = None) -> Site:  # fmt: skip
    """The site of ``reports`` with the settings' title, address, language, templates and charts;
    ``kept``: summaries an earlier site made of some of the same reports (``Site.summaries``)."""
    days = (StoredDay(r.repo, r.date, r.language, report=r, kept=(kept or {}).get((r.repo, r.date, r.language)))
            for r in reports)  # fmt: skip
    return _site_of(settings, days, digests=digests, unreadable=unreadable, title=title)


def _site_of(settings: Settings, days: Iterable[StoredDay], *, digests: Sequence[DayDigest] = (),
             unreadable: Sequence[Unreadable] = (), title: str | None = None) -> Site:  # fmt: skip
    s = settings.site
    site = Site.from_days(days, title=title or s.title, base_url=s.base_url, language=s.language,
                          prefer_language=s.language or settings.report.language, feed_entries=s.feed_entries,
                          templates_dir=s.templates_dir, toc_title_chars=settings.report.toc_title_chars,
                          weekly_top_commits=settings.weekly.top_commits, charts=s.charts)  # fmt: skip
    site.digests, site.unreadable = list(digests), list(unreadable)
    return site


def _parsed(rows: Iterable[ReportRow]) -> tuple[list[StoredDay], list[Unreadable]]:
    """``read_rows``, each report with the hash of its stored text (what its pages are made from)."""
    rows = list(rows)
    reports, unreadable = read_rows(rows)
    hashes = {(r, d, lang): _sha(data) for r, d, lang, data in rows}
    days = [StoredDay(r.repo, r.date, r.language, hashes[(r.repo, r.date, r.language)], r) for r in reports]
    return days, unreadable


def site_from_store(store: Store, settings: Settings, title: str | None = None) -> Site:
    """The one site of a store, for `site build` and `serve` alike: its reports, its digests, and a page
    for each row this version cannot read."""
    days, unreadable = _parsed(store.report_rows())
    prefer = settings.site.language or settings.report.language
    return _site_of(settings, days, digests=stored_digests(store, prefer), unreadable=unreadable, title=title)


def build_from_store(
    store: Store,
    settings: Settings,
    output_dir: Path,
    title: str | None = None,
    jobs: int = 1,
    keep_parsed: int = KEEP_PARSED,
) -> BuildResult:
    """`site build` over a store: when no report or digest was stored since the last build into
    ``output_dir`` (the store's watermark, one row per report without its data, against the one that
    build recorded) and the settings are the same, nothing is read, rendered or written; else the site is
    laid out again from what the last build kept of each report whose row is unchanged (``DayRecord``)
    and the reports stored since, and only the pages whose inputs changed are rendered (``build_site``):
    a report is read again only when one of its own pages is. ``jobs``: ``build_site``'s; ``keep_parsed``:
    ``_fresh``'s."""
    watermark = Watermark.of(store, _settings_key(settings, title))
    source = output_dir / SOURCE
    if watermark.holds(_read_json(source)) and (output_dir / "index.html").is_file():
        return BuildResult(output_dir, watermark.pages, 0, 0, len(watermark.reports))

    with _heap_of_the_site() as laid_out:
        reader = _Reader(store)

        def texts_again(key: DayKey, path: str, fingerprint: str) -> DayTexts:
            return DaySummary.of(reader.load(key), path, fingerprint).texts()

        record = DayRecord.read(output_dir, texts_again)
        kept = {}
        for text in watermark.reports:
            repo, day, language = text.split("\t")
            key = (repo, dt.date.fromisoformat(day), language)
            kept[key] = record.valid(key, text, watermark)
        days, unreadable = _fresh(reader, [key for key, was in kept.items() if was is None], keep_parsed)
        days += [
            StoredDay(*key, fingerprint=was[0], kept=was[1], load=reader.loader(key))
            for key, was in kept.items()
            if was is not None
        ]
        prefer = settings.site.language or settings.report.language
        site = _site_of(
            settings, days, digests=stored_digests(store, prefer), unreadable=unreadable, title=title
        )
        try:
            source.unlink(missing_ok=True)  # an interrupted build must not leave the old watermark behind
        except OSError as exc:
            raise _cannot_write(output_dir, exc) from None
        laid_out()
        # A forked writer reads through a connection of its own: by the store's path (a PostgreSQL store's
        # address is kept without its password, so its pages are rendered in this process).
        # What was kept of each report is written while the writers work (the watermark, last).
        result = build_site(site, output_dir, 1 if is_postgres(store.location) else jobs,
                            meanwhile=lambda: record.write(site, days, watermark))  # fmt: skip
        try:
            watermark.pages = result.pages
            atomic_write(source, _json_text(watermark.record(), sort_keys=True))
        except OSError as exc:
            raise _cannot_write(output_dir, exc) from None
    return result


@contextlib.contextmanager
def _heap_of_the_site() -> Iterator[Callable[[], None]]:
    """The cyclic garbage collector paused while a build reads what it kept and lays the site out (at 500
    repositories × 365 days, hundreds of thousands of objects that live to the build's end: each
    collection would walk them all); the function it yields, called once the site is laid out, freezes
    those objects (``gc.freeze``: later collections, here and in forked writers, skip them) and lets the
    collector run again for what rendering makes."""
    enabled = gc.isenabled()
    gc.disable()

    def laid_out() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield laid_out
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _fresh(reader: _Reader, keys: list[DayKey], keep_parsed: int) -> tuple[list[StoredDay], list[Unreadable]]:
    """The stored reports of ``keys``, read in batches: each with its report, or — when there are more
    than ``keep_parsed`` (a first build of a large store: every report at once would not fit in memory)
    — with its summary, the report read again when its own pages are rendered."""
    days: list[StoredDay] = []
    unreadable: list[Unreadable] = []
    for start in range(0, len(keys), READ_BATCH):
        parsed, bad = _parsed(reader.store.report_rows_of(keys[start : start + READ_BATCH]))
        unreadable += bad
        if len(keys) <= keep_parsed:
            days += parsed
            continue
        for day in parsed:
            assert day.report is not None
            path = f"repos/{repo_slug(day.repo)}/{day.date.isoformat()}.html"  # made again if it moves
            summary = DaySummary.of(day.report, path, day.fingerprint)
            days.append(StoredDay(day.repo, day.date, day.language, day.fingerprint, kept=summary,
                                  load=reader.loader((day.repo, day.date, day.language))))  # fmt: skip
    return days, unreadable


class _Reader:
    """Reads the stored reports whose pages are rendered again, keeping the last ``KEEP`` parsed (a
    repository's year: its week pages read what its day pages did). A forked writer (``build_site``'s
    jobs) opens a connection of its own."""

    KEEP: ClassVar[int] = 400

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pid = os.getpid()
        self._kept: OrderedDict[DayKey, DayReport] = OrderedDict()

    def loader(self, key: DayKey) -> Callable[[], DayReport]:
        return lambda: self.load(key)

    def load(self, key: DayKey) -> DayReport:
        if os.getpid() != self._pid:  # in a forked writer: never the parent's connection
            self.store, self._pid = Store.connect(self.store.location), os.getpid()
            self._kept.clear()
        report = self._kept.get(key)
        if report is not None:
            self._kept.move_to_end(key)
            return report
        rows = self.store.report_rows_of([key])
        if not rows:
            raise PublishError(
                f"the report of {key[0]} for {key[1].isoformat()} left the store during `site build`",
                "run `dailydiff site build` again",
            )
        report = self._kept[key] = load_report(rows[0][3])
        if len(self._kept) > self.KEEP:
            self._kept.popitem(last=False)
        return report


class _TextFile:
    """A record file of the texts (``DayTexts``) of one repository-month, read when one is first needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.days: dict[str, list[Any]] | None = None
        self.damaged = False

    def get(self, repo: str, date: dt.date, key: str, fingerprint: str) -> DayTexts | None:
        if self.days is None:
            data = _read_json(self.path)
            ok = isinstance(data, dict) and data.get("format") == DayRecord.FORMAT
            self.days = data["days"] if ok and isinstance(data.get("days"), dict) else {}
            self.damaged = not ok
        held = self.days.get(key)
        try:
            if held and held[0] == fingerprint:
                return DaySummary.texts_from_list(repo, date, held)
        except (IndexError, TypeError):
            pass
        self.damaged = True  # written again by this build
        return None


TextsFallback = Callable[[DayKey, str, str], DayTexts]  # (key, page, fingerprint): made from the report


@dataclass
class DayRecord:
    """What a build from the store kept of each stored report, in ``DAYS`` (files per repository and
    month, so that a new day rewrites small files): its row's stamp, the hash of its text and, for the
    report a page shows, its summary (``DaySummary``) — its texts (``DayTexts``: feed entry, search
    entries, most of its size) in a file of their own, read only for the pages that show them. The next
    build trusts a summary whose row still has that stamp (and, for a row stamped in the last seconds, that
    hash); texts missing from their file are made from the report again (``fallback``)."""

    root: Path
    days: dict[DayKey, tuple[str, str, DaySummary | None]]  # stamp, fingerprint, summary
    files: dict[Path, set[tuple[str, str, str, bool]]]  # what each file holds: (key, stamp, hash, summary?)
    texts: dict[Path, _TextFile] = field(default_factory=dict)  # by the record file they belong to

    FORMAT: ClassVar[str] = f"2/{__version__}"
    TEXTS: ClassVar[str] = ".texts.json"

    @classmethod
    def read(cls, output_dir: Path, fallback: TextsFallback | None = None) -> DayRecord:
        root = output_dir / DAYS
        record = cls(root, {}, {})
        for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
            if path.name.endswith(cls.TEXTS):
                continue
            data = _read_json(path)
            record.files[path] = set()
            if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
                continue
            texts = record.texts[path] = _TextFile(
                path.with_name(path.name.removesuffix(".json") + cls.TEXTS)
            )
            try:
                held = set()
                for key, (stamp, fingerprint, summary) in data["days"].items():
                    date, language = key.split("\t")
                    day = dt.date.fromisoformat(date)
                    made = summary and DaySummary.from_dict(
                        summary, _kept_texts(texts, (data["repo"], day, language), key, summary, fallback)
                    )
                    record.days[(data["repo"], day, language)] = (stamp, fingerprint, made or None)
                    held.add((key, stamp, fingerprint, bool(made)))
                record.files[path] = held
            except (KeyError, TypeError, ValueError):
                continue  # damaged: its days are read from the store again (and the file written)
        return record

    def valid(self, key: DayKey, text: str, watermark: Watermark) -> tuple[str, DaySummary | None] | None:
        """(fingerprint, summary) of a stored row unchanged since the last build, else None (``text``:
        the row's key in the watermark)."""
        was = self.days.get(key)
        if was is None:
            return None
        stamp, fingerprint, summary = was
        if watermark.reports.get(text) != stamp or watermark.recent.get(text, fingerprint) != fingerprint:
            return None
        return fingerprint, summary

    def write(self, site: Site, days: Sequence[StoredDay], watermark: Watermark) -> None:
        """Keep what this build knows of every stored report; rewrite only the files that changed (a
        month's texts with its record: first, so that a record never names texts not written)."""
        shown = {(d.summary.repo, d.date, d.language): d.summary for d in site.days}
        groups: dict[Path, dict[str, Any]] = {}
        held: dict[Path, set[tuple[str, str, str, bool]]] = defaultdict(set)
        changed = {path for path, texts in self.texts.items() if texts.damaged}
        paths: dict[tuple[str, str], Path] = {}
        for day in days:
            key = (day.repo, day.date, day.language)
            iso = day.date.isoformat()
            month = (day.repo, iso[:7])
            path = paths.get(month) or paths.setdefault(
                month, self.root / hashlib.sha1(day.repo.encode()).hexdigest()[:16] / f"{month[1]}.json"
            )
            group = groups.setdefault(path, {"format": self.FORMAT, "repo": day.repo, "days": {}})
            summary = shown.get(key)
            text = f"{iso}\t{day.language}"
            stamp = watermark.reports[f"{day.repo}\t{text}"]
            group["days"][text] = [stamp, day.fingerprint, summary]
            held[path].add((text, stamp, day.fingerprint, summary is not None))
            was = self.days.get(key)
            if summary is not None and (was is None or was[2] is not summary):
                changed.add(path)  # a summary made by this build
        for path, group in groups.items():
            if path in changed or self.files.get(path) != held[path]:
                entries = sorted(group["days"].items())
                texts = {k: summary.texts_as_list() for k, (_stamp, _fp, summary) in entries if summary}
                self._write(path.with_name(path.name.removesuffix(".json") + self.TEXTS),
                            {"format": self.FORMAT, "repo": group["repo"], "days": texts})  # fmt: skip
                group["days"] = {
                    k: [stamp, fingerprint, summary and summary.as_dict()]
                    for k, (stamp, fingerprint, summary) in entries
                }
                self._write(path, group)
        for path in set(self.files) - set(groups):
            path.unlink(missing_ok=True)
            path.with_name(path.name.removesuffix(".json") + self.TEXTS).unlink(missing_ok=True)

    @staticmethod
    def _write(path: Path, data: dict[str, Any]) -> None:
        atomic_write(path, _json_text(data), durable=False)


def _kept_texts(texts: _TextFile, key: DayKey, held: str, summary: dict[str, Any],
                fallback: TextsFallback | None) -> Callable[[], DayTexts]:  # fmt: skip
    """A kept summary's texts: from its month's file (read once), else made again from its report."""
    made: list[DayTexts] = []

    def get() -> DayTexts:
        if not made:
            found = texts.get(key[0], key[1], held, summary["fingerprint"])
            if found is None:
                if fallback is None:
                    raise PublishError(
                        f"the site's record {texts.path} is damaged", "run `dailydiff site build` again"
                    )
                found = fallback(key, summary["path"], summary["fingerprint"])
            made.append(found)
        return made[0]

    return get


@dataclass
class Watermark:
    """What a build from the store was made from, without the reports' data: each report's and digest's
    ``updated_at`` and the settings. Stamps have one-second resolution (and writers on several machines
    have their own clocks), so a row stored again within the same second as its stamp could change unseen:
    the hashes of the rows stamped in the last ``RECHECK_SECONDS`` before the newest stamp are kept too,
    read before the build reads the reports (a row that changes after that is seen by the next build)."""

    settings: str
    reports: dict[str, str]
    digests: dict[str, str]
    recent: dict[str, str]
    pages: int = 0

    RECHECK_SECONDS: ClassVar[int] = 10

    @classmethod
    def of(cls, store: Store, settings: str) -> Watermark:
        def keyed(rows: Iterable[tuple[str, dt.date, str, str]]) -> dict[str, str]:
            return {f"{a}\t{d.isoformat()}\t{lang}": at for a, d, lang, at in rows}

        reports, digests = keyed(store.report_stamps()), keyed(store.digest_stamps())
        recent = {}
        keys = [tuple(k.split("\t")) for k in cls._latest(reports)]
        for repo, date, language, data in store.report_rows_of(
            (repo, dt.date.fromisoformat(day), language) for repo, day, language in keys
        ):
            recent[f"{repo}\t{date.isoformat()}\t{language}"] = _sha(data)
        for key in cls._latest(digests):
            name, day, language = key.split("\t")
            row = store.get_digest(name, dt.date.fromisoformat(day), language)
            recent[f"digest\t{key}"] = _sha(row[1]) if row else ""
        return cls(settings, reports, digests, recent)

    @classmethod
    def _latest(cls, stamps: dict[str, str]) -> list[str]:
        """The keys stamped in the last ``RECHECK_SECONDS`` (stamps are ISO texts in UTC: their order is
        the text's)."""
        newest = max(stamps.values(), default="")
        try:
            since = (
                dt.datetime.fromisoformat(newest) - dt.timedelta(seconds=cls.RECHECK_SECONDS)
            ).isoformat()
        except ValueError:
            return list(stamps)  # a stamp of another shape: check every row
        return [key for key, at in stamps.items() if at >= since]

    def record(self) -> dict[str, Any]:
        return {"version": 1, "settings": self.settings, "reports": self.reports, "digests": self.digests,
                "recent": self.recent, "pages": self.pages}  # fmt: skip

    def holds(self, recorded: Any) -> bool:
        """Whether ``recorded`` (the last build's record) still describes the store."""
        if not isinstance(recorded, dict) or recorded.get("version") != 1:
            return False
        mine = self.record()
        if any(recorded.get(k) != mine[k] for k in ("settings", "reports", "digests", "recent")):
            return False
        self.pages = int(recorded.get("pages") or 0)
        return True


def _settings_key(settings: Settings, title: str | None) -> str:
    """Everything besides the reports that the pages depend on: the version, the site's settings, the
    report and weekly settings it uses, the user's templates."""
    s = settings.site
    parts = (__version__, title or s.title, s.base_url, s.language, settings.report.language, s.feed_entries,
             s.charts, settings.report.toc_title_chars, settings.weekly.top_commits,
             _templates_fingerprint(s.templates_dir))  # fmt: skip
    return _sha(repr(parts))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read_json(path: Path) -> Any:
    """The JSON in ``path``; None when it cannot be read or is not JSON."""
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return None


def _json_text(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as compact JSON on one line with its newline, by orjson (a large site's records, manifest
    and watermark: several times quicker than the standard library), or by the standard library where
    orjson refuses (text with a lone surrogate)."""
    import orjson

    try:
        option = orjson.OPT_APPEND_NEWLINE | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        return orjson.dumps(value, option=option).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys) + "\n"


# writing -----------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    output_dir: Path
    pages: int
    written: int
    removed: int
    reports: int


def build_site(
    site: Site, output_dir: Path, jobs: int = 1, meanwhile: Callable[[], object] | None = None
) -> BuildResult:
    """Write every page (atomically) whose inputs changed since the last build (the manifest keeps each
    page's fingerprint, ``Site.page_inputs``) and whose content differs, and remove the pages a previous
    build wrote that no longer exist. A build with nothing changed renders and writes nothing. The
    site-wide pages are made first; then each repository's pages are laid out, fingerprinted and written
    — with ``jobs`` above 1, by that many processes (forked: each inherits the laid-out site and reads
    reports through a connection of its own). ``meanwhile``: more work of this process, done while the
    writers work."""
    previous = _manifest(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        shared = site.shared_pages()
        # The files present: here those of the site-wide pages, each writer those of its repositories.
        present = _files(output_dir, skip=REPOS) | {
            path for path in shared if path.startswith(f"{REPOS}/") and (output_dir / path).is_file()
        }
        inputs = site.shared_inputs(shared)
        todo = _changed(shared, inputs, previous, present)

        def here() -> int:  # the site-wide pages, and the caller's work
            count = _write_pages(shared, todo, output_dir)
            if meanwhile is not None:
                meanwhile()
            return count

        everyone = list(range(len(site.repos)))
        if jobs > 1 and len(everyone) > 1 and _can_fork():
            done, written = _sections_in_processes(site, everyone, previous, output_dir, jobs, here)
        else:
            written = here()
            done = [_write_sections(site, everyone, previous, output_dir)]
        for made, count in done:
            inputs.update(made)
            written += count
        removed = _remove_stale(output_dir, previous.keys() - inputs.keys())
        if written:
            # Once for every page (an fsync each would cost more than rendering them), before the manifest.
            sync_filesystem(output_dir)
        if previous != inputs:
            atomic_write(
                output_dir / MANIFEST,
                _json_text({"pages": inputs}, sort_keys=True),
            )
    except OSError as exc:
        raise _cannot_write(output_dir, exc) from None
    return BuildResult(output_dir, len(inputs), written, removed, len(site.days))


def _changed(pages: Mapping[str, Renderer], inputs: Mapping[str, str], previous: Mapping[str, str],
             present: set[str]) -> list[str]:  # fmt: skip
    """The pages whose inputs changed since the last build, or whose file is gone."""
    return [path for path in pages if previous.get(path) != inputs[path] or path not in present]


Written = tuple[dict[str, str], int]  # the inputs of the pages laid out, how many were written


def _write_sections(site: Site, sections: Iterable[int], previous: Mapping[str, str],
                    output_dir: Path) -> Written:  # fmt: skip
    """Lay out, fingerprint and write the changed pages of the repositories at ``sections`` (indexes of
    ``site.repos``): (their pages' inputs, the count written)."""
    inputs: dict[str, str] = {}
    written = 0
    for index in sections:
        section = site.repos[index]
        folder = f"{REPOS}/{section.slug}"
        present = {f"{folder}/{name}" for name in _files(output_dir / folder)}
        pages = site.section_pages(section)
        mine = site.section_inputs(section)
        written += _write_pages(pages, _changed(pages, mine, previous, present), output_dir)
        inputs.update((path, mine[path]) for path in pages)
    return inputs, written


def _write_pages(pages: Mapping[str, Renderer], paths: Iterable[str], output_dir: Path) -> int:
    """Render ``paths`` and write each whose content differs from the file's; returns how many."""
    written = 0
    for path in paths:
        target = output_dir / path
        text = pages[path]()
        try:
            if target.read_text(encoding="utf-8") == text:
                continue
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        atomic_write(target, text, durable=False)
        written += 1
    return written


def default_jobs() -> int:
    """`site build`'s writer processes by default: one per core this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


# What forked writers work on (``_write_share``): the site, the last build's manifest and the output folder.
_FORKED: tuple[Site, Mapping[str, str], Path] | None = None


def _write_share(sections: list[int]) -> Written | str:
    """A forked writer's share: ``_write_sections``'s result, or the error's text (an OSError does not
    cross)."""
    assert _FORKED is not None
    try:
        return _write_sections(_FORKED[0], sections, *_FORKED[1:])
    except OSError as exc:
        return str(exc.strerror or exc)


def _sections_in_processes(site: Site, sections: list[int], previous: Mapping[str, str], output_dir: Path,
                           jobs: int, meanwhile: Callable[[], int]) -> tuple[list[Written], int]:  # fmt: skip
    """``_write_sections`` by ``jobs`` forked processes, a few neighbouring repositories at a time, while
    this one runs ``meanwhile``: (the processes' results, ``meanwhile``'s)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED
    size = max(1, len(sections) // (jobs * 8))
    shares = [sections[i : i + size] for i in range(0, len(sections), size)]
    _FORKED = (site, previous, output_dir)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_write_share, share) for share in shares]  # forked on submitting
            mine = meanwhile()
            done = [future.result() for future in futures]
    finally:
        _FORKED = None
    failed = [d for d in done if isinstance(d, str)]
    if failed:
        raise OSError(failed[0])
    return [d for d in done if not isinstance(d, str)], mine


def _files(root: Path, skip: str = "") -> set[str]:
    """Every file under ``root``, relative (one listing: cheaper than asking about each page), but those
    in its folder ``skip``."""
    found: set[str] = set()
    for folder, dirs, names in os.walk(root):
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        if prefix == ".":
            prefix = ""
            if skip in dirs:
                dirs.remove(skip)
        else:
            prefix += "/"
        found.update(prefix + name for name in names)
    return found


def _cannot_write(output_dir: Path, exc: OSError) -> PublishError:
    return PublishError(
        f"cannot write the site to {output_dir}: {exc.strerror or exc}",
        "check --output-dir and its permissions",
    )


def _manifest(output_dir: Path) -> dict[str, str]:
    """The pages the last build wrote, with their fingerprints ("" from a manifest that had none)."""
    data = _read_json(output_dir / MANIFEST)
    if data is None:
        return {}
    if isinstance(data, list):  # a manifest of an earlier version: the pages only
        return {str(p): "" for p in data}
    pages = data.get("pages") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def _remove_stale(output_dir: Path, stale: Iterable[str]) -> int:
    """Remove the pages of ``stale`` (a previous build's that this one does not have)."""
    removed = 0
    for path in sorted(stale):
        if not isinstance(path, str) or ".." in Path(path).parts or Path(path).is_absolute():
            continue
        target = output_dir / path
        target.unlink(missing_ok=True)
        removed += 1
        for parent in target.parents:
            if parent == output_dir or output_dir not in parent.parents:
                break
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
    return removed
