"""Atom feeds (RFC 4287): one entry per repository-day, with ids that never change across rebuilds.

An entry's id is a ``urn:uuid`` derived from the repository and the date alone, so re-rendering a day
updates the entry (new ``updated``) instead of adding a new one. XML escaping is ElementTree's.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from dailydiff import __version__
from dailydiff.common.i18n import words
from dailydiff.common.secrets import scrub
from dailydiff.common.text import clean
from dailydiff.models import DayReport, Level
from dailydiff.render.digest import DayDigest
from dailydiff.render.notes import notes_body, notes_title
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


def _entry_html(report: DayReport, summary: str) -> str:
    """The entry content: a short HTML summary of the day (``summary``: its counts), built with ElementTree
    (so escaped)."""
    L = words("report", report.language)
    root = ET.Element("div")
    ET.SubElement(root, "p").text = summary
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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _linker(base_url: str) -> Callable[[str], str]:
    """Links relative to the feed file, or absolute under ``base_url``."""
    return lambda href: urljoin(base_url, href) if base_url else href


def _feed(identity: str, title: str, updated: dt.datetime, language: str, self_href: str,
          home_href: str) -> ET.Element:  # fmt: skip
    """An Atom feed element with its head: id, title, updated, author, generator, self and home links."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _sub(feed, "id", identity)
    _sub(feed, "title", title)
    _sub(feed, "updated", _stamp(updated))
    _sub(_sub(feed, "author"), "name", "dailydiff")
    _sub(feed, "generator", "dailydiff", version=__version__)
    _sub(feed, "link", rel="self", href=self_href, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=home_href, type="text/html")
    return feed


@dataclass(frozen=True)
class AtomEntry:
    """One day's entry, rendered once (a built site keeps it, so that a feed is put together again
    without reading the report): its text before and after its link's address, and when it was updated."""

    repo: str
    date: dt.date
    updated: str
    head: str
    tail: str

    def text(self, href: str) -> str:
        return self.head + _attribute(scrub(clean(href))) + self.tail


_LINK = '<link rel="alternate" href="'


def atom_entry(report: DayReport) -> AtomEntry | None:
    """The day's entry (None for a day without commits: it has nothing to read and would only crowd real
    days out of the feed)."""
    if report.stats.total == 0:
        return None
    L = words("report", report.language)
    S = words("site", report.language)
    feed = _feed("", "", EPOCH, "", "", "")
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id(report.repo, report.date))
    partial = f" · {L['partial_short']}" if report.partial else ""
    _sub(entry, "title", f"{report.repo} · {L['title'].format(date=report.date)}{partial}")
    _sub(entry, "updated", _stamp(_updated(report)))
    _sub(entry, "published", _stamp(report.window.end))
    _sub(entry, "link", rel="alternate", href="", type="text/html")
    summary = S["day_feed_summary"].format(
        total=report.stats.total, high=report.stats.high, medium=report.stats.medium, low=report.stats.low
    )
    _sub(entry, "summary", summary)
    _sub(entry, "content", _entry_html(report, summary), type="html")
    _sub(entry, "category", term=report.repo)
    return _entry_of(feed, report.repo, report.date, _stamp(_updated(report)))


def _entry_of(feed: ET.Element, repo: str, date: dt.date, updated: str) -> AtomEntry:
    ET.indent(feed)
    text = ET.tostring(feed, encoding="unicode")
    # The entry's own text, as it reads inside a feed: element text escapes "<", so the first "<entry>"
    # and the one link of the entry are the elements themselves.
    body = text[text.index("<entry>") : text.rindex("</entry>") + len("</entry>")]
    cut = body.index(_LINK) + len(_LINK)
    return AtomEntry(repo, date, updated, body[:cut], body[cut:])


def release_entry(notes: Any) -> AtomEntry:
    """A release's entry (``notes``: render.notes.ReleaseNotes): its id from the repository and the tag."""
    feed = _feed("", "", EPOCH, "", "", "")
    entry = _sub(feed, "entry")
    _sub(entry, "id", f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'release/{notes.repo}/{notes.tag}')}")
    _sub(entry, "title", notes_title(notes))
    made = notes.generated_at or dt.datetime.combine(notes.date, dt.time(), dt.UTC)
    updated = _stamp(made if made.tzinfo else made.replace(tzinfo=dt.UTC))
    _sub(entry, "updated", updated)
    _sub(entry, "link", rel="alternate", href="", type="text/html")
    if notes.overview:
        _sub(entry, "summary", notes.overview)
    _sub(entry, "content", notes_body(notes), type="html")
    _sub(entry, "category", term=notes.repo)
    return _entry_of(feed, notes.repo, notes.date, updated)


def _attribute(value: str) -> str:
    """An attribute's value escaped as ElementTree escapes it."""
    for char, escape in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\r", "&#13;"),
                         ("\n", "&#10;"), ("\t", "&#09;")):  # fmt: skip
        value = value.replace(char, escape)
    return value


def render_atom(entries: Sequence[FeedEntry], *, title: str, key: str, self_href: str, home_href: str,
                language: str, base_url: str = "", limit: int = 0) -> str:  # fmt: skip
    """An Atom feed of ``entries`` (newest first). ``key`` names the feed for its id ("all" or a repo).
    Links are relative to the feed file unless ``base_url`` makes them absolute."""
    made = [(atom_entry(e.report), e.href) for e in entries]
    return assemble_atom([(entry, href) for entry, href in made if entry is not None], title=title, key=key,
                         self_href=self_href, home_href=home_href, language=language, base_url=base_url,
                         limit=limit)  # fmt: skip


def assemble_atom(entries: Sequence[tuple[AtomEntry, str]], *, title: str, key: str, self_href: str,
                  home_href: str, language: str, base_url: str = "", limit: int = 0) -> str:  # fmt: skip
    """``render_atom`` of entries rendered before (each with its link)."""
    ordered = sorted(entries, key=lambda e: (e[0].date, e[0].repo), reverse=True)
    ordered = ordered[:limit] if limit > 0 else ordered
    link = _linker(base_url)
    updated = max((e.updated for e, _ in ordered), default=_stamp(EPOCH))
    feed = _feed(feed_id(key), title, dt.datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC),
                 language, link(self_href), link(home_href))  # fmt: skip
    ET.indent(feed)
    head = ET.tostring(feed, encoding="unicode").removesuffix("\n</feed>")
    body = "".join("\n  " + entry.text(link(href)) for entry, href in ordered)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + head + body + "\n</feed>\n"


def digest_entry_id(name: str, date: dt.date) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'digest/{name}/{date.isoformat()}')}"


def render_digest_atom(items: Sequence[tuple[DayDigest, str]], *, title: str, self_href: str, home_href: str,
                       language: str, base_url: str = "", limit: int = 0) -> str:  # fmt: skip
    """An Atom feed of daily digests: one entry per digest-day (``items``: the digest and the link to its
    page), its id derived from the digest's name and date alone."""
    ordered = sorted(items, key=lambda item: (item[0].date, item[0].name), reverse=True)
    ordered = ordered[:limit] if limit > 0 else ordered
    link = _linker(base_url)
    updated = max((d.generated_at or EPOCH for d, _ in ordered), default=EPOCH)
    feed = _feed(feed_id("digests"), title, updated, language, link(self_href), link(home_href))
    for digest, href in ordered:
        D = words("digest", digest.language)
        entry = _sub(feed, "entry")
        _sub(entry, "id", digest_entry_id(digest.name, digest.date))
        _sub(entry, "title", digest.title)
        _sub(entry, "updated", _stamp(digest.generated_at or EPOCH))
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
