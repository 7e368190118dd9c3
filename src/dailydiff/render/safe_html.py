"""Untrusted Markdown → safe HTML.

Model output (``inline``/``block``): markdown-it renders with raw HTML off and no headings, images or
tables (text from a model never adds structure of its own); nh3 then keeps a short list of inline and list
tags. Links survive only when they point to http(s) or to an anchor that exists on the page; anything else
loses its ``href``.

Text from a commit, or built from one by the rules (``text``/``text_block``: titles, the heuristic
analyser's summaries and overview), is text: it is escaped for Markdown exactly as in the ``.md`` report
(``md_inline``/``md_block``: code spans kept, every other special character literal, bare URLs as code)
and only then rendered, so it never becomes a link, an image or emphasis.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from dailydiff.common.text import clean, md_block, md_inline

_TAGS = {"p", "ul", "ol", "li", "code", "pre", "em", "strong", "a", "blockquote", "br", "hr"}
_ATTRIBUTES = {"a": {"href", "title", "id"}, "ol": {"start"}}
_LINK_RE = re.compile(r"^(?:https?://|#)", re.I)
# Text without any of these renders the same through markdown-it as through plain escaping.
_MARKDOWN_SPECIAL_RE = re.compile(r"[\\`*_\[\]<>&!#~|\n]|^\s*(?:[-+>=]|\d+[.)])|^ {4}")


@cache
def _markdown() -> MarkdownIt:
    """One parser for every page (it keeps no state between renders; building one costs ~1.5 ms)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["heading", "lheading", "image", "html_block", "html_inline"])
    md.validateLink = lambda url: bool(_LINK_RE.match(url.strip()))  # type: ignore[method-assign]
    return md


class SafeMarkdown:
    """Renders untrusted Markdown for one page; ``anchors`` are the ids a ``#fragment`` link may target."""

    def __init__(self, anchors: Iterable[str] = ()) -> None:
        self.anchors = frozenset(anchors)
        self._md = _markdown()
        self._cache: dict[tuple[str, bool], Markup] = {}

    def _keep_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            if value.startswith("#"):
                return value if value[1:] in self.anchors else None
            return value if re.match(r"^https?://", value, re.I) else None
        return value

    def _sanitise(self, rendered: str) -> str:
        return nh3.clean(
            rendered,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            attribute_filter=self._keep_attribute,
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )

    def block(self, text: str | None) -> Markup:
        return self._render(text, block=True)

    def inline(self, text: str | None) -> Markup:
        return self._render(text, block=False)

    def text(self, text: str | None) -> Markup:
        """Commit-derived text on one line, as the Markdown report shows it: never a link or an image."""
        return self._render(md_inline(text), block=False)

    def text_block(self, text: str | None) -> Markup:
        return self._render(md_block(text), block=True)

    def _render(self, text: str | None, *, block: bool) -> Markup:
        if not text:
            return Markup("")
        key = (text, block)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        source = clean(text).strip()
        if not block:
            source = source.replace("\n", " ")
        if not _MARKDOWN_SPECIAL_RE.search(source):
            escaped = html.escape(source, quote=False)
            result = Markup(f"<p>{escaped}</p>" if block else escaped)
        else:
            rendered = self._md.render(source) if block else self._md.renderInline(source)
            result = Markup(self._sanitise(rendered).strip())
        self._cache[key] = result
        return result


def plain_text(text: str | None, *, keep_code: bool = False) -> str:
    """Untrusted Markdown as plain text (for search and feeds): markup characters dropped, one line;
    ``keep_code``: its `code` spans kept as they are (the search page shows them as code)."""
    if not text:
        return ""
    flat = clean(text).replace("\n", " ")
    pieces = re.split(r"(`[^`\n]+`)", flat) if keep_code else [flat]
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(piece)
            continue
        piece = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", piece)
        piece = re.sub(r"(^|\s)(?:#{1,6}|>)\s", r"\1", piece)
        out.append(re.sub(r"[`*]+|(?<!\w)_+|_+(?!\w)", "", piece))
    return re.sub(r"\s+", " ", "".join(out)).strip()
