"""The text policy of every output, and escaping untrusted text (commit messages, names, model output)
for Markdown.

Control characters: everything a report, a page or a payload carries (JSON included) loses the C0
controls but tab and newline (a carriage return becomes a newline), DEL, the C1 controls (0x9b is a CSI
on its own), the bidi overrides, embeddings and isolates (U+202A-202E, U+2066-2069) and the invisible
direction marks U+200E, U+200F and U+061C (they reorder what a reader sees around them and carry no
text), the line/paragraph separators, non-characters and lone surrogates. Zero-width joiners stay
(emoji sequences need them).

Markdown: only our templates add structure: text from a commit or a model can never open a heading, a
table cell, an HTML element or a link. Code spans survive (they are inert), bare URLs are shown as code.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from dailydiff.common.secrets import scrub

# C1 controls (0x9b is a CSI on its own); also what XML 1.0 forbids and UTF-8 cannot encode:
# U+FFFE/U+FFFF and lone surrogates (JSON "\\udc80").
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    r"\ufffe\uffff\ud800-\udfff]"
)
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>#|~!&$^])")
_URL_RE = re.compile(r"\b(?:https?|ftp|javascript|data|vbscript|file)://[^\s`<>]+|\bwww\.[^\s`<>]+", re.I)
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_LIST_RE = re.compile(r"^\s*(?:([-*+•])|(\d{1,3})[.)、])\s+(.*)$")
_ANCHOR_RE = re.compile(r"[^a-z0-9-]")


def clean(text: str) -> str:
    """Drop NUL and control characters (tabs and newlines survive), normalise newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL_RE.sub("", text)


def is_printable_line(text: str) -> bool:
    """A name or value written on one line: no newline or tab, and nothing the output policy would drop
    (C0/C1 controls, bidi overrides)."""
    return not _CONTROL_RE.search(text) and not any(c in text for c in "\t\n\r")


def strip_controls(text: str) -> str:
    """The output policy for text kept as it is (JSON, payloads, template values): control characters
    dropped, newlines normalised, tabs kept."""
    if not _CONTROL_RE.search(text) and "\r" not in text:
        return text
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def output_text(text: str) -> str:
    """Text on its way into an output or payload: the control-character policy, then the one scrub."""
    return scrub(strip_controls(text))


def output_tree(value: Any) -> Any:
    """JSON-like data on its way into an output or payload: :func:`output_text` on every string."""
    if isinstance(value, str):
        return output_text(value)
    if isinstance(value, list | tuple):
        return [output_tree(item) for item in value]
    if isinstance(value, dict):
        return {output_tree(k): output_tree(v) for k, v in value.items()}
    return value


def terminal_text(text: str) -> str:
    """Text for a terminal: no escape sequence (ESC, CSI, OSC…) from a commit or a server survives."""
    return clean(text)


def _escape_plain(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        out.append(_MD_SPECIAL_RE.sub(r"\\\1", text[last : match.start()]))
        out.append(_code_span(match.group(0)))
        last = match.end()
    out.append(_MD_SPECIAL_RE.sub(r"\\\1", text[last:]))
    return _join(out)


def _join(pieces: list[str]) -> str:
    """Pieces side by side, with a space where two code spans meet: their backtick runs would merge into
    one longer run that no longer closes the first span (and what follows would be live Markdown)."""
    out: list[str] = []
    for piece in pieces:
        if piece and out and out[-1].endswith("`") and piece.startswith("`"):
            out.append(" ")
        if piece:
            out.append(piece)
    return "".join(out)


def _code_span(content: str, *, in_table: bool = False) -> str:
    content = content.replace("\n", " ")
    if in_table:
        content = content.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0) if "`" in content else 0
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") or not content.strip() else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def md_inline(text: str | None, *, in_table: bool = False) -> str:
    """One line of untrusted text as inline Markdown: specials escaped, code spans kept."""
    if not text:
        return ""
    text = clean(text).replace("\n", " ").strip()
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN_RE.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append(_code_span(match.group(2).strip() or match.group(2), in_table=in_table))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    result = _join(out)
    if in_table:
        # Escaped pipes inside our escapes are fine; a pipe that survived (none should) would split cells.
        result = re.sub(r"(?<!\\)\|", r"\\|", result)
    return result


def md_cell(text: str | None) -> str:
    return md_inline(text, in_table=True) or " "


def md_block(text: str | None) -> str:
    """Multi-line untrusted text: paragraphs and list items (rebuilt by us), nothing else."""
    if not text:
        return ""
    lines = [line.strip() for line in clean(text).split("\n")]
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append(" ".join(md_inline(p) for p in paragraph))
            paragraph.clear()

    def flush_items() -> None:
        if items:
            blocks.append("\n".join(items))
            items.clear()

    numbered = 0
    for line in lines:
        if not line:
            flush_paragraph()
            flush_items()
            numbered = 0
            continue
        line = re.sub(r"^#{1,6}\s+", "", line)  # a heading from the model becomes plain text
        if re.fullmatch(r"[-=*_|:\s]{3,}", line):
            continue  # rules, setext underlines and table separators carry no content
        match = _LIST_RE.match(line)
        if match:
            flush_paragraph()
            if match.group(2):
                numbered += 1
                items.append(f"{numbered}. {_item_text(match.group(3))}")
            else:
                items.append(f"- {_item_text(match.group(3))}")
            continue
        flush_items()
        paragraph.append(line)
    flush_paragraph()
    flush_items()
    return "\n\n".join(blocks)


def _item_text(text: str) -> str:
    """A list item's text; one that itself starts like a list item ("- - x") would open a nested list."""
    return re.sub(r"^(\d{1,9})([.)])", r"\1\\\2", re.sub(r"^([-+])", r"\\\1", md_inline(text)))


def shorten(text: str, limit: int, *, code_spans: bool = False) -> str:
    """``text`` cut to ``limit`` columns with "...", never inside a code span (a lone backtick would open
    code up to the next one): a cut inside `code` is moved before the span, or, with ``code_spans`` or when
    that would keep less than half, closes the span after the dots (the shortened title still shows code)."""
    text = clean(text).replace("\n", " ").strip()
    if 2 * len(text) <= limit or _display_width(text) <= limit:  # no character is wider than 2 columns
        return text
    out, width = [], 0
    for char in text:
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if width > limit:
            break
        out.append(char)
    span = code_span_at(text, len(out))
    if span and not code_spans and 2 * span.start() >= len(out):
        return text[: span.start()].rstrip() + "..."
    short = "".join(out).rstrip() + "..."
    return short + span.group(1) if span else short


def code_span_at(text: str, end: int) -> re.Match[str] | None:
    """The code span that ``text[:end]`` stops inside (None when it stops outside every span): a text
    shortened there closes it with its backtick run (``group(1)``) after the dots."""
    for match in _CODE_SPAN_RE.finditer(text):
        if match.start() < end < match.end():
            return match
    return None


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def safe_url(url: str | None) -> str | None:
    """A URL we put in a link: http(s) only, with characters that would end a Markdown link encoded."""
    if not url or not re.match(r"^https?://", url, re.I):
        return None
    return re.sub(r"[\s()<>\[\]\"'`]", lambda m: f"%{ord(m.group(0)):02X}", url)


def anchor(prefix: str, key: str) -> str:
    return f"{prefix}-{_ANCHOR_RE.sub('', key.lower())}"
