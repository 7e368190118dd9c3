"""The one builder from the store: the reports read in batches, what the last build kept of each day reused,
the store's watermark, and the site written by ``build_site``."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from dailydiff import __version__
from dailydiff.common.storeurl import is_postgres
from dailydiff.errors import PublishError
from dailydiff.models import DayReport
from dailydiff.publish.files import atomic_write
from dailydiff.render.digest import DayDigest, load_digest
from dailydiff.render.html import (
    repo_slug,
)
from dailydiff.render.json import load_report
from dailydiff.settings import Settings
from dailydiff.site.model import (
    DAYS,
    KEEP_PARSED,
    READ_BATCH,
    SOURCE,
    DayKey,
    DaySummary,
    DayTexts,
    StoredDay,
    Unreadable,
    json_text,
    read_json,
    sha_of,
    templates_fingerprint,
)
from dailydiff.site.pages import Site
from dailydiff.site.write import BuildResult, build_site, cannot_write
from dailydiff.store import Store

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
    hashes = {(r, d, lang): sha_of(data) for r, d, lang, data in rows}
    days = [StoredDay(r.repo, r.date, r.language, hashes[(r.repo, r.date, r.language)], r) for r in reports]
    return days, unreadable


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
    releases = store.release_rows()  # a few rows: what the release pages are made of, read whole
    watermark = Watermark.of(store, _settings_key(settings, title) + sha_of(repr(releases)))
    source = output_dir / SOURCE
    if watermark.holds(read_json(source)) and (output_dir / "index.html").is_file():
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
            StoredDay(*key, fingerprint=was[0], kept=was[1], load=partial(reader.load, key))
            for key, was in kept.items()
            if was is not None
        ]
        prefer = settings.site.language or settings.report.language
        site = _site_of(
            settings, days, digests=stored_digests(store, prefer), unreadable=unreadable, title=title
        )
        site.add_releases(releases, prefer)
        try:
            source.unlink(missing_ok=True)  # an interrupted build must not leave the old watermark behind
        except OSError as exc:
            raise cannot_write(output_dir, exc) from None
        laid_out()
        # A forked writer reads through a connection of its own: by the store's path (a PostgreSQL store's
        # address is kept without its password, so its pages are rendered in this process).
        # What was kept of each report is written while the writers work (the watermark, last).
        result = build_site(site, output_dir, 1 if is_postgres(store.location) else jobs,
                            meanwhile=lambda: record.write(site, days, watermark))  # fmt: skip
        try:
            watermark.pages = result.pages
            atomic_write(source, json_text(watermark.record(), sort_keys=True))
        except OSError as exc:
            raise cannot_write(output_dir, exc) from None
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
                                  load=partial(reader.load, (day.repo, day.date, day.language))))  # fmt: skip
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
            data = read_json(self.path)
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
            data = read_json(path)
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
                self._write_month(path, group)
        for path in set(self.files) - set(groups):
            path.unlink(missing_ok=True)
            path.with_name(path.name.removesuffix(".json") + self.TEXTS).unlink(missing_ok=True)

    def _write_month(self, path: Path, group: dict[str, Any]) -> None:
        """A month's record and its texts (the texts first)."""
        entries = sorted(group["days"].items())
        texts = {k: summary.texts_as_list() for k, (_stamp, _fp, summary) in entries if summary}
        self._write(path.with_name(path.name.removesuffix(".json") + self.TEXTS),
                    {"format": self.FORMAT, "repo": group["repo"], "days": texts})  # fmt: skip
        group["days"] = {
            k: [stamp, fingerprint, summary and summary.as_dict()]
            for k, (stamp, fingerprint, summary) in entries
        }
        self._write(path, group)

    @staticmethod
    def _write(path: Path, data: dict[str, Any]) -> None:
        atomic_write(path, json_text(data), durable=False)


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
            recent[f"{repo}\t{date.isoformat()}\t{language}"] = sha_of(data)
        for key in cls._latest(digests):
            name, day, language = key.split("\t")
            row = store.get_digest(name, dt.date.fromisoformat(day), language)
            recent[f"digest\t{key}"] = sha_of(row[1]) if row else ""
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
             templates_fingerprint(s.templates_dir))  # fmt: skip
    return sha_of(repr(parts))
