"""Atom feeds (RFC 4287): one entry per repository-day, with ids that never change across rebuilds.

An entry's id is a ``urn:uuid`` derived from the repository and the date alone, so re-rendering a day
updates the entry (new ``updated``) instead of adding a new one. XML escaping is ElementTree's.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from dailydiff import __version__
from dailydiff.common.i18n import words
from dailydiff.common.secrets import scrub
from dailydiff.common.text import clean
from dailydiff.models import DayReport, Level
from dailydiff.render.digest import DayDigest
from dailydiff.render.safe_html import plain_text

ATOM_NS = "http://www.w3.org/2005/Atom"
_NAMESPACE = uuid.UUID("6f1c3e0a-5d0b-4c7e-9a8e-2b1d7f4c9e11")  # dailydiff's own uuid5 namespace


@dataclass(frozen=True)
class FeedEntry:
    report: DayReport
    href: str  # link to the day page, relative to the feed file (or absolute)


def entry_id(repo: str, date: dt.date) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'day/{repo}/{date.isoformat()}')}"


def feed_id(key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'feed/{key}')}"


def _updated(report: DayReport) -> dt.datetime:
    moment = report.generated_at or report.window.end
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # The output policy, attributes included (a category's term is a repository's name): no control
    # character, no secret.
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: scrub(clean(v)) for k, v in attrs.items()})
    if text is not None:
        element.text = scrub(clean(text))
    return element


def _entry_html(report: DayReport) -> str:
    """The entry content: a short HTML summary of the day, built with ElementTree (so escaped)."""
    L = words("report", report.language)
    S = words("site", report.language)
    root = ET.Element("div")
    counts = {"total": report.stats.total, "high": report.stats.high, "medium": report.stats.medium,
              "low": report.stats.low}  # fmt: skip
    ET.SubElement(root, "p").text = S["day_feed_summary"].format(**counts)
    if report.overview.highlights:
        items = ET.SubElement(root, "ul")
        for line in report.overview.highlights:
            ET.SubElement(items, "li").text = plain_text(line)
    high = report.by_level(Level.HIGH)
    if high:
        ET.SubElement(root, "p").text = L["groups"]["high"]
        items = ET.SubElement(root, "ul")
        for rc in high[:20]:
            ET.SubElement(items, "li").text = f"{clean(rc.title)} ({rc.short_sha})"
    return ET.tostring(root, encoding="unicode", method="html")


def render_atom(entries: Sequence[FeedEntry], *, title: str, key: str, self_href: str, home_href: str,
                language: str, base_url: str = "", limit: int = 0) -> str:  # fmt: skip
    """An Atom feed of ``entries`` (newest first). ``key`` names the feed for its id ("all" or a repo).
    Links are relative to the feed file unless ``base_url`` makes them absolute."""
    # A day without commits has nothing to read: it would only crowd real days out of the feed.
    ordered = sorted(
        (e for e in entries if e.report.stats.total > 0),
        key=lambda e: (e.report.date, e.report.repo),
        reverse=True,
    )
    if limit > 0:
        ordered = ordered[:limit]

    def link(href: str) -> str:
        return urljoin(base_url, href) if base_url else href

    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _sub(feed, "id", feed_id(key))
    _sub(feed, "title", title)
    updated = max((_updated(e.report) for e in ordered), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    _sub(feed, "updated", _stamp(updated))
    author = _sub(feed, "author")
    _sub(author, "name", "dailydiff")
    _sub(feed, "generator", "dailydiff", version=__version__)
    _sub(feed, "link", rel="self", href=link(self_href), type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=link(home_href), type="text/html")
    for item in ordered:
        report = item.report
        L = words("report", report.language)
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(report.repo, report.date))
        partial = f" · {L['partial_short']}" if report.partial else ""
        _sub(entry, "title", f"{report.repo} · {L['title'].format(date=report.date)}{partial}")
        _sub(entry, "updated", _stamp(_updated(report)))
        _sub(entry, "published", _stamp(report.window.end))
        _sub(entry, "link", rel="alternate", href=link(item.href), type="text/html")
        S = words("site", report.language)
        summary = S["day_feed_summary"].format(
            total=report.stats.total, high=report.stats.high, medium=report.stats.medium, low=report.stats.low
        )
        _sub(entry, "summary", summary)
        _sub(entry, "content", _entry_html(report), type="html")
        _sub(entry, "category", term=report.repo)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def digest_entry_id(name: str, date: dt.date) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'digest/{name}/{date.isoformat()}')}"


def render_digest_atom(items: Sequence[tuple[DayDigest, str]], *, title: str, self_href: str, home_href: str,
                       language: str, base_url: str = "", limit: int = 0) -> str:  # fmt: skip
    """An Atom feed of daily digests: one entry per digest-day (``items``: the digest and the link to its
    page), its id derived from the digest's name and date alone."""
    ordered = sorted(items, key=lambda item: (item[0].date, item[0].name), reverse=True)
    if limit > 0:
        ordered = ordered[:limit]

    def link(href: str) -> str:
        return urljoin(base_url, href) if base_url else href

    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _sub(feed, "id", feed_id("digests"))
    _sub(feed, "title", title)
    stamps = [d.generated_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC) for d, _ in ordered]
    _sub(feed, "updated", _stamp(max(stamps, default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))))
    _sub(_sub(feed, "author"), "name", "dailydiff")
    _sub(feed, "generator", "dailydiff", version=__version__)
    _sub(feed, "link", rel="self", href=link(self_href), type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=link(home_href), type="text/html")
    for digest, href in ordered:
        D = words("digest", digest.language)
        entry = _sub(feed, "entry")
        _sub(entry, "id", digest_entry_id(digest.name, digest.date))
        _sub(entry, "title", D["title"].format(name=digest.name, date=digest.date))
        _sub(entry, "updated", _stamp(digest.generated_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)))
        _sub(entry, "link", rel="alternate", href=link(href), type="text/html")
        _sub(entry, "summary", D["overview_counts"].format(
            total=digest.total, active=sum(1 for r in digest.repos if r.total), repos=len(digest.repos),
            high=len(digest.high)))  # fmt: skip
        root = ET.Element("div")
        items_el = ET.SubElement(root, "ul")
        for line in digest.overview.highlights:
            ET.SubElement(items_el, "li").text = plain_text(line)
        high = ET.SubElement(root, "ul")
        for commit in digest.high[:20]:
            ET.SubElement(
                high, "li"
            ).text = f"[{clean(commit.repo)}] {clean(commit.title)} ({commit.sha[:7]})"
        _sub(entry, "content", ET.tostring(root, encoding="unicode", method="html"), type="html")
        _sub(entry, "category", term=f"digest:{digest.name}")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
