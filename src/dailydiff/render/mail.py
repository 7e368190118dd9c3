"""The mail of an edition (pure): a subject, the Markdown as plain text (its markers and escapes read away:
``__init__``, not ``\\_\\_init\\_\\_``), the same as HTML with inline
styles (mail clients drop <style>), and charts as PNG images the HTML shows by ``cid:`` (many clients
strip inline SVG), their numbers as tables in the HTML and as aligned text in the plain part. The
e-mail publisher only addresses and sends it."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from dailydiff.common.i18n import words
from dailydiff.render.chartdata import Chart
from dailydiff.render.charts import PNG_WIDTH, figure_view, render_png


@dataclass(frozen=True)
class Image:
    cid: str  # without the angle brackets: the HTML says src="cid:<cid>"
    filename: str
    png: bytes

    @classmethod
    def of(cls, chart: Chart, width: int) -> Image:
        """``chart`` drawn as a PNG, its part named by its bytes."""
        png = render_png(chart, width=width)
        return cls(f"{chart.key}.{hashlib.sha256(png).hexdigest()[:16]}@dailydiff", f"{chart.key}.png", png)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    images: tuple[Image, ...] = ()

    def message(self) -> EmailMessage:
        """A multipart/alternative message (plain text, HTML with its related images) without addresses:
        the publisher adds From, To, Date and Message-ID."""
        message = EmailMessage()
        subject = " ".join(self.subject.split())
        if subject.isascii():
            message["Subject"] = subject
        else:
            # Encoded whole, its spaces inside the encoded words: the default folding puts a fold between
            # "8" and "个提交" where the space was, and a reader drops whitespace between encoded words
            # ("8个提交" beside "11 个提交"). One line of the subject has no line break to inject.
            from email.header import Header

            message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\n"))
        message.set_content(self.text, subtype="plain", charset="utf-8")
        message.add_alternative(self.html, subtype="html", charset="utf-8")
        html_part = message.get_body(("html",))
        assert html_part is not None
        for image in self.images:
            html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.cid}>",
                                  filename=image.filename, disposition="inline")  # fmt: skip
        return message

    def comparable(self) -> str:
        """What identifies this mail for the delivery ledger: subject, both bodies and the images (the
        generation line left out by the caller's ``comparable``)."""
        pictures = "".join(hashlib.sha256(i.png).hexdigest() for i in self.images)
        return f"{self.subject}\0{self.text}\0{self.html}\0{pictures}"


def build_mail(subject: str, markdown: str, charts: Sequence[Chart] = (), link: str | None = None,
               width: int = PNG_WIDTH) -> Mail:  # fmt: skip
    """``markdown`` (our rendered report, digest or week; untrusted parts already escaped) as a mail,
    ``link`` (the full edition online) under it, and ``charts`` as PNG images shown by ``cid:``."""
    source = markdown + (f"\n\n{link}\n" if link else "")
    page = markdown_to_html(source)
    text = markdown_to_text(source)
    if not charts:
        return Mail(subject, text, page)
    heading = words("site", charts[0].language)["trends"]
    images, blocks, texts = [], [f'<h2 style="{STYLES["h2"]}">{html.escape(heading)}</h2>'], [heading, ""]
    for chart in charts:
        image = Image.of(chart, width)
        images.append(image)
        blocks.append(_chart_html(chart, image.cid, width))
        texts += [chart.title, chart.alt, "", chart.text_table(), ""]
    page = page.replace("</body>", "\n".join(blocks) + "\n</body>", 1)
    text = text.rstrip("\n") + "\n\n" + "\n".join(texts).rstrip() + "\n"
    return Mail(subject, text, page, tuple(images))


STYLES = {
    "h1": "font-size:22px;margin:16px 0 8px;color:#111",
    "h2": "font-size:19px;margin:16px 0 8px;color:#111;border-bottom:1px solid #ddd;padding-bottom:4px",
    "h3": "font-size:16px;margin:14px 0 6px;color:#111",
    "h4": "font-size:15px;margin:12px 0 6px;color:#111",
    "p": "margin:6px 0;line-height:1.5",
    "table": "border-collapse:collapse;margin:8px 0;font-size:13px",
    "th": "border:1px solid #ccc;padding:4px 8px;background:#f4f4f4;text-align:left",
    "td": "border:1px solid #ccc;padding:4px 8px;vertical-align:top",
    "code": "font-family:Consolas,Menlo,monospace;background:#f4f4f4;padding:1px 4px;border-radius:3px",
    "pre": "background:#f4f4f4;padding:8px;overflow:auto;font-size:12px",
    "blockquote": "margin:8px 0;padding:4px 12px;border-left:4px solid #ddd;color:#444",
    "a": "color:#0969da",
    "hr": "border:0;border-top:1px solid #ddd;margin:16px 0",
    "ul": "margin:6px 0;padding-left:22px",
    "ol": "margin:6px 0;padding-left:22px",
}
_BODY_STYLE = "font-family:-apple-system,'Segoe UI','Microsoft YaHei',sans-serif;font-size:14px;color:#222"


def markdown_to_html(text: str) -> str:
    """Our Markdown (untrusted parts already escaped) as HTML; raw HTML is never passed through."""
    from markdown_it import MarkdownIt  # on use: a run that sends no mail does not load it

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)

    def style(token_list: list) -> None:  # type: ignore[type-arg]
        for token in token_list:
            if token.nesting >= 0 and token.tag in STYLES and token.type not in ("text",):
                token.attrSet("style", STYLES[token.tag])
            if token.children:
                style(token.children)

    style(tokens)
    tokens = _anchors_to_ids(tokens)
    body = md.renderer.render(tokens, md.options, {})
    return f'<!DOCTYPE html>\n<html><body style="{_BODY_STYLE}">\n{body}</body></html>\n'


def markdown_to_text(markdown: str) -> str:
    """Our Markdown as the plain text a mail reader shows: headings, paragraphs, lists (indented by depth),
    tables as `a | b` rows, code blocks indented; emphasis markers, backslash escapes and the report's own
    anchors gone; a link as its text, with its address after it when it leads outside the report."""
    from markdown_it import MarkdownIt

    walk = _TextWalk()
    for token in MarkdownIt("commonmark", {"html": False}).enable("table").parse(markdown):
        handler = _TEXT_HANDLERS.get(token.type)
        if handler is not None:
            handler(walk, token)
    out: list[str] = []
    for text, attached in walk.blocks:
        if attached and out:
            out[-1] += "\n" + text
        else:
            out.append(text)
    return "\n\n".join(out).rstrip() + "\n"


@dataclass
class _TextWalk:
    """What ``markdown_to_text`` knows while it reads the tokens."""

    blocks: list[tuple[str, bool]] = field(default_factory=list)  # (text, whether it closes up to the block
    # before: items, rows)
    lists: list[list[int]] = field(default_factory=list)  # each open list's next number (0: a bullet list)
    marker: str = ""  # the marker the next paragraph of a list item starts with
    first_item: bool = False
    row: list[str] | None = None

    def list_open(self, token: Any) -> None:
        ordered = token.type == "ordered_list_open"
        self.lists.append([int(token.attrGet("start") or 1) if ordered else 0])
        self.first_item = len(self.lists) == 1

    def list_close(self, token: Any) -> None:
        self.lists.pop()

    def item_open(self, token: Any) -> None:
        number = self.lists[-1][0]
        self.marker = f"{number}. " if number else "- "
        self.lists[-1][0] += 1 if number else 0

    def row_open(self, token: Any) -> None:
        self.row = []

    def row_close(self, token: Any) -> None:
        if self.row is not None:
            self.blocks.append((" | ".join(self.row), bool(self.blocks) and " | " in self.blocks[-1][0]))
            self.row = None

    def inline(self, token: Any) -> None:
        text = _inline_text(token.children or [])
        if self.row is not None:
            self.row.append(text)
        elif _ANCHOR_LINE.fullmatch(text.strip()):
            return
        elif self.lists:
            indent = "  " * (len(self.lists) - 1)
            lead, self.marker = (self.marker or "  "), ""
            self.blocks.append(
                (indent + lead + text.replace("\n", "\n" + indent + "  "), not self.first_item)
            )
            self.first_item = False
        else:
            self.blocks.append((text, False))

    def code(self, token: Any) -> None:
        self.blocks.append(
            ("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")), False)
        )

    def rule(self, token: Any) -> None:
        self.blocks.append(("—" * 24, False))


_TEXT_HANDLERS: dict[str, Callable[[_TextWalk, Any], None]] = {
    "bullet_list_open": _TextWalk.list_open,
    "ordered_list_open": _TextWalk.list_open,
    "bullet_list_close": _TextWalk.list_close,
    "ordered_list_close": _TextWalk.list_close,
    "list_item_open": _TextWalk.item_open,
    "tr_open": _TextWalk.row_open,
    "tr_close": _TextWalk.row_close,
    "inline": _TextWalk.inline,
    "fence": _TextWalk.code,
    "code_block": _TextWalk.code,
    "hr": _TextWalk.rule,
}


def _inline_text(children: list) -> str:  # type: ignore[type-arg]
    parts: list[str] = []
    href = ""
    start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type == "link_open":
            href, start = str(child.attrGet("href") or ""), len(parts)
        elif child.type == "link_close":
            shown = "".join(parts[start:])
            if href and not href.startswith("#") and href != shown:
                parts.append(f" <{href}>")
            href = ""
    return "".join(parts)


_ANCHOR_LINE = re.compile(r'<a id="([a-z0-9-]+)"></a>')


def _anchors_to_ids(tokens: list) -> list:  # type: ignore[type-arg]
    """The report's own anchor lines (untrusted text can never produce one: its `<` is escaped) become
    ids on the heading that follows, so the contents links work in the mail and no tag shows as text."""
    out: list = []  # type: ignore[type-arg]
    pending: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (
            token.type == "paragraph_open"
            and index + 2 < len(tokens)
            and tokens[index + 1].type == "inline"
            and _ANCHOR_LINE.fullmatch(tokens[index + 1].content.strip())
        ):
            pending = _ANCHOR_LINE.fullmatch(tokens[index + 1].content.strip()).group(1)  # type: ignore[union-attr]
            index += 3
            continue
        if pending and token.type == "heading_open":
            token.attrSet("id", pending)
            pending = None
        out.append(token)
        index += 1
    return out


def _chart_html(chart: Chart, cid: str, width: int) -> str:
    view = figure_view(chart, f"cid:{cid}", width=width)
    e = html.escape
    head = "".join(
        f'<th style="{STYLES["th"]}">{e(c)}</th>' for c in [view["label_header"], *view["columns"]]
    )
    rows = "".join(
        "<tr>" + f'<td style="{STYLES["td"]}">{e(label)}</td>'
        + "".join(f'<td style="{STYLES["td"]};text-align:right">{e(v)}</td>' for v in cells) + "</tr>"
        for label, cells in view["rows"]
    )  # fmt: skip
    return (
        f'<h3 style="{STYLES["h3"]}">{e(chart.title)}</h3>\n'
        f'<p style="{STYLES["p"]}"><img src="cid:{e(cid)}" alt="{e(chart.alt)}" width="{view["width"]}" '
        f'height="{view["height"]}" style="max-width:100%;height:auto;border:1px solid #ddd"></p>\n'
        f'<table style="{STYLES["table"]}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )
