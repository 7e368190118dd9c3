"""A link checker over a built site: every internal href/src (HTML) and Atom link resolves to a file,
and every #fragment to an element id in it."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.duplicates: list[str] = []
        self.links: list[tuple[str, str]] = []  # (tag.attr, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                if value in self.ids:
                    self.duplicates.append(value)
                self.ids.add(value)
            if name in {"href", "src", "action"}:
                self.links.append((f"{tag}.{name}", value))


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def check_site(root: Path) -> tuple[int, list[str]]:
    """(number of internal links checked, problems); duplicate ids are problems too."""
    parsed: dict[Path, _Collector] = {}
    problems: list[str] = []
    checked = 0

    def ids_of(path: Path) -> set[str]:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path].ids

    def check(source: Path, what: str, url: str) -> None:
        nonlocal checked
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "mailto"}:
            return
        if parts.scheme or parts.netloc:
            problems.append(f"{source.relative_to(root)}: {what} has a non-http(s) URL {url!r}")
            return
        checked += 1
        target = source if not parts.path else (source.parent / unquote(parts.path))
        target = Path(posixpath.normpath(target.as_posix()))
        if root.resolve() not in (target.resolve(), *target.resolve().parents):
            problems.append(f"{source.relative_to(root)}: {what} {url!r} leaves the site")
            return
        if not target.is_file():
            problems.append(f"{source.relative_to(root)}: {what} {url!r} → missing {target}")
            return
        if parts.fragment:
            if target.suffix != ".html":
                problems.append(f"{source.relative_to(root)}: {what} {url!r} has a fragment on a non-page")
            elif unquote(parts.fragment) not in ids_of(target):
                problems.append(f"{source.relative_to(root)}: {what} {url!r} → no id {parts.fragment!r}")

    for page in sorted(root.rglob("*.html")):
        ids_of(page)
        problems += [f"{page.relative_to(root)}: duplicate id {d!r}" for d in parsed[page].duplicates]
        for what, url in parsed[page].links:
            check(page, what, url)
    for feed in sorted(root.rglob("*.xml")):
        tree = ET.parse(feed)
        for link in tree.iter("{http://www.w3.org/2005/Atom}link"):
            check(feed, "atom:link", link.attrib["href"])
    return checked, problems
