"""The site's pages: ``Site`` maps every relative path to a function that renders it (the days, the weeks, the
repositories, the index, the search page and its index, the charts, the Atom feeds and the digests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import itertools
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from importlib import resources
from typing import Any

from dailydiff import __version__
from dailydiff.common.text import safe_url
from dailydiff.models import DayReport
from dailydiff.render import chartdata as chart_data
from dailydiff.render.chartdata import Chart
from dailydiff.render.charts import figure_view, render_svg
from dailydiff.render.digest import DayDigest, render_digest_html
from dailydiff.render.feed import AtomEntry, assemble_atom, release_entry, render_digest_atom
from dailydiff.render.html import (
    PageContext,
    day_view,
    render_index,
    render_page,
    render_search,
    repo_slug,
)
from dailydiff.render.json import render_json
from dailydiff.render.markdown import commit_anchors
from dailydiff.render.notes import ReleaseNotes, notes_body, notes_title
from dailydiff.render.week import IsoWeek, WeekDigest, build_digest
from dailydiff.render.weekly_html import WeeklyLinks, render_weekly_html
from dailydiff.site.model import (
    ASSETS,
    LATEST_DAYS,
    REPO_PAGE_DAYS,
    DayPage,
    DaySummary,
    ReleasePage,
    Renderer,
    RepoSection,
    StoredDay,
    Unreadable,
    WeekPage,
    relative,
    sha_of,
    templates_fingerprint,
)


def digest_page(digest: DayDigest) -> str:
    """A daily digest's page: ``digests/<name>/YYYY-MM-DD.html`` (several digests may share a day)."""
    return f"digests/{digest.name}/{digest.date.isoformat()}.html"


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

    def add_releases(self, rows: Iterable[tuple[str, str, str, str, str]], prefer_language: str = "") -> None:
        """The stored release notes (rows of (repo, tag, language, audience, JSON)) as pages of their
        repositories' sections (a repository without a day on the site has none): per tag, the engineer's
        notes before the users', ``prefer_language`` (else the site's) before another; newest first. Notes
        this version cannot read are left out."""
        prefer = prefer_language or self.language
        sections = {section.repo: section for section in self.repos}
        chosen: dict[tuple[str, str], tuple[tuple[bool, bool], str]] = {}
        for repo, tag, language, audience, data in rows:
            rank = (audience == "engineer", language == prefer)
            if repo in sections and ((repo, tag) not in chosen or rank > chosen[(repo, tag)][0]):
                chosen[(repo, tag)] = (rank, data)
        for (repo, _tag), (_rank, data) in chosen.items():
            try:
                notes = ReleaseNotes.model_validate_json(data)
            except ValueError:
                continue
            section = sections[repo]
            section.releases.append(ReleasePage.of(notes, section.slug, sha_of(data)))
        for section in self.repos:
            section.releases.sort(key=lambda r: (r.notes.date, r.notes.tag), reverse=True)

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
            pages[path] = partial(self.render_search_part, month)
        for name in ASSETS:
            pages[f"assets/{name}"] = _asset_reader(name)
        if self.digests:
            pages["digests.xml"] = self.render_feed_digests
            for digest in self.digests:
                pages[digest_page(digest)] = partial(self.render_digest, digest)
        if self.unreadable:
            days = {day.path for day in self.days}
            for row in self.unreadable:
                if row.path not in days:
                    pages.setdefault(row.path, partial(self.render_unreadable, row))
        return pages

    def section_pages(self, section: RepoSection) -> dict[str, Renderer]:
        """One repository's pages: its page, feed, days (and their JSON), weeks and charts — laid out and
        fingerprinted (``section_inputs``) apart from the others', so that a build spreads them over
        processes."""
        pages: dict[str, Renderer] = {}
        if self.charts:
            pages.update(self.section_chart_pages(section))
        pages[section.path] = partial(self.render_repo, section)
        pages[section.feed_path] = partial(self.render_feed_repo, section)
        for release in section.releases:
            pages[release.path] = partial(self.render_release, section, release)
        for i, day in enumerate(section.days):
            newer = section.days[i - 1] if i > 0 else None
            older = section.days[i + 1] if i + 1 < len(section.days) else None
            pages[day.path] = partial(self.render_day, section, day, newer, older)
            pages[day.json_path] = partial(_day_json, day)
        for i, week in enumerate(section.weeks):
            newer_week = section.weeks[i - 1] if i > 0 else None
            older_week = section.weeks[i + 1] if i + 1 < len(section.weeks) else None
            pages[week.path] = partial(self.render_week, section, week, newer_week, older_week)
        return pages

    @cached_property
    def _common(self) -> str:
        """What every page is made with: the version, the site's options, the templates."""
        return hashlib.sha256(repr((__version__, self.title, self.base_url, self.language, self.feed_entries,
                                    self.toc_title_chars, self.weekly_top_commits, self.charts,
                                    templates_fingerprint(self.templates_dir))).encode()).hexdigest()  # fmt: skip

    def _key(self, *parts: object) -> str:
        text = "\x1f".join(p if isinstance(p, str) else repr(p) for p in (self._common, *parts))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def shared_inputs(self, pages: Iterable[str]) -> dict[str, str]:
        """The fingerprints of ``pages`` as site-wide pages: made from every report (the index, feeds),
        but a search part from its month's days, a digest page from its digest, an asset from itself."""
        key = self._key
        every = sorted(d.summary.fingerprint for d in self.days)
        releases = [f"{r.path} {r.fingerprint}" for section in self.repos for r in section.releases]
        everything = key(every, [d.model_dump_json() for d in self.digests], self.unreadable, releases)
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
        releases = [f"{r.path} {r.fingerprint}" for r in section.releases]
        mine = key(section.path, "\x1e".join(f"{d.path} {d.summary.fingerprint}" for d in days), releases)
        inputs[section.path] = inputs[section.feed_path] = mine
        for release in section.releases:
            inputs[release.path] = key(release.path, release.fingerprint, section.repo, section.language)
        if self.charts:
            for key_name in chart_data.REPO_CHART_KEYS:
                inputs[f"repos/{section.slug}/charts/{key_name}.svg"] = mine
            inputs[self.index_chart_path(section)] = key(mine, self._span)
        return inputs | self._day_inputs(section) | self._week_inputs(section)

    def _day_inputs(self, section: RepoSection) -> dict[str, str]:
        key, days = self._key, section.days
        inputs: dict[str, str] = {}
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
        return inputs

    def _week_inputs(self, section: RepoSection) -> dict[str, str]:
        key = self._key
        inputs: dict[str, str] = {}
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
            pages[path] = partial(render_svg, chart)
        for path, chart in self.repo_charts(section):
            pages[path] = partial(render_svg, chart)
        for day in section.days:
            pages[self.day_chart_path(section, day)] = partial(self._day_svg, section, day)
        for week in section.weeks:
            for index, key in enumerate(chart_data.WEEK_CHART_KEYS):
                pages[self.week_chart_path(section, week, key)] = partial(
                    self._week_svg, section, week, index
                )
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
        """A repository-day page; ``nav`` holds relative links (or ""), ``charts`` figure views. Its sibling
        pages are the repository's other days (a revert links the day its reverted commit landed on)."""
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
        view = day_view(day.report, self.toc_title_chars, day_link=lambda d: f"{d.isoformat()}.html")
        return render_page("day.html.j2", ctx, self.templates_dir, nav=nav, charts=charts, **view)

    def render_repo(self, section: RepoSection) -> str:
        """The repository's page: its releases, charts, every week, and its reports of the last
        ``REPO_PAGE_DAYS`` days (every one of them is in its week, listed whole: a page that grew by a row a
        day would be rendered whole for each new day)."""
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
        releases = [{"tag": r.notes.tag, "date": r.notes.date.isoformat(), "href": relative(section.path, r.path),
                     "commits": r.notes.figures.commits} for r in section.releases]  # fmt: skip
        return render_page("repo.html.j2", ctx, self.templates_dir, repo=section.repo, days=days,
                           repo_url=safe_url(section.repo_url), weeks=weeks, charts=charts, recent_days=REPO_PAGE_DAYS,
                           older=len(recent) < len(section.days), releases=releases)  # fmt: skip

    def render_release(self, section: RepoSection, release: ReleasePage) -> str:
        """A tag's release notes, in the site's frame, linked back to its repository's page."""
        from markupsafe import Markup

        notes = release.notes
        ctx = self._ctx(release.path, notes.language, section.feed_path)
        return render_page("release.html.j2", ctx, self.templates_dir, title=notes_title(notes), repo=section.repo,
                           tag=notes.tag, repo_href=relative(release.path, section.path),
                           body=Markup(notes_body(notes)))  # fmt: skip

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
        return render_digest_atom([(d, digest_page(d)) for d in self.digests], title=f"{self.title} · digests",
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
        entries += [(release_entry(r.notes), r.path) for section in self.repos for r in section.releases]
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
        entries += [(release_entry(r.notes), relative(section.feed_path, r.path)) for r in section.releases]
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


def _asset_reader(name: str) -> Renderer:
    return lambda: (
        resources.files("dailydiff").joinpath(f"render/templates/site/{name}").read_text(encoding="utf-8")
    )


def _month_key(month: str) -> tuple[int, int]:
    """(year, month) of a YYYY-MM text."""
    return int(month[:4]), int(month[5:7])


def _majority(values: list[str]) -> str:
    return Counter(values).most_common(1)[0][0] if values else ""
