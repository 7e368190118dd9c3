"""What a site is made of: the stored days as pages (``DayPage``, their ``DaySummary``), a repository's section
and its weeks, the files a build keeps beside the pages, and the small helpers every part of the site shares."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dailydiff.common.text import shorten
from dailydiff.models import DayReport
from dailydiff.render import chartdata as chart_data
from dailydiff.render.feed import AtomEntry, atom_entry
from dailydiff.render.html import (
    repo_slug,
)
from dailydiff.render.markdown import commit_anchors
from dailydiff.render.safe_html import plain_text
from dailydiff.render.week import IsoWeek

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
            self.made = DaySummary.of(report, self.path, self.fingerprint or sha_of(report.model_dump_json()))
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


@dataclass(frozen=True)
class ReleasePage:
    """A tag's stored release notes (`dailydiff notes`, `run` with ``[notes] on_tag``) as a page."""

    notes: Any  # render.notes.ReleaseNotes
    path: str  # e.g. repos/owner--name/releases/v1.2.html
    fingerprint: str  # of the stored notes

    @classmethod
    def of(cls, notes: Any, slug: str, fingerprint: str) -> ReleasePage:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", notes.tag).strip(".-") or "release"
        if name != notes.tag:  # two tags never share a page
            name = f"{name}-{hashlib.sha1(notes.tag.encode(), usedforsecurity=False).hexdigest()[:8]}"
        return cls(notes, f"{REPOS}/{slug}/releases/{name}.html", fingerprint)


@dataclass
class RepoSection:
    repo: str
    slug: str
    repo_url: str | None
    days: list[DayPage] = field(default_factory=list)  # newest first
    weeks: list[WeekPage] = field(default_factory=list)  # newest first
    releases: list[ReleasePage] = field(default_factory=list)  # newest first

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


def _script_json(value: Any) -> str:
    """JSON for inside a <script>: no "<", ">", "&" or line separators as themselves."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escape)
    return text


def templates_fingerprint(directory: str) -> list[tuple[str, int]]:
    """The user's templates as (name, modification time): editing one rebuilds every page."""
    if not directory:
        return []
    root = Path(directory).expanduser()
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file())


def _first_highlight(report: DayReport) -> str:
    lines = report.overview.highlights
    return shorten(plain_text(lines[0]), 120) if lines else ""


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_json(path: Path) -> Any:
    """The JSON in ``path``; None when it cannot be read or is not JSON."""
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return None


def json_text(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as compact JSON on one line with its newline, by orjson (a large site's records, manifest
    and watermark: several times quicker than the standard library), or by the standard library where
    orjson refuses (text with a lone surrogate)."""
    import orjson

    try:
        option = orjson.OPT_APPEND_NEWLINE | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        return orjson.dumps(value, option=option).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys) + "\n"
