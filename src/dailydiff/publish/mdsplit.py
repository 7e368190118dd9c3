"""Split Markdown into pieces under a size limit at block boundaries (pure).

Preference: before a heading or a ``---`` rule, then at a blank line, then at a line end; never inside a
fenced code block unless one block alone is over the limit (its lines are then split, and a line over
the limit is cut between characters as a last resort).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def utf16_len(text: str) -> int:
    """GitHub counts body length like JavaScript: characters outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


def blocks(text: str) -> list[str]:
    """Paragraph-level blocks, each with its trailing newlines; fenced code stays in one block."""
    out: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = _FENCE_RE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        current.append(line)
        if fence is None and not line.strip():
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def _cut_line(line: str, limit: int, size: Callable[[str], int]) -> list[str]:
    pieces = []
    while size(line) > limit:
        end = limit
        while end > 1 and size(line[:end]) > limit:
            end -= 1
        pieces.append(line[:end])
        line = line[end:]
    pieces.append(line)
    return pieces


def split_markdown(text: str, limit: int, size: Callable[[str], int] = utf16_len) -> list[str]:
    if size(text) <= limit:
        return [text]
    units: list[str] = []
    for block in blocks(text):
        if size(block) <= limit:
            units.append(block)
            continue
        for line in block.splitlines(keepends=True):
            units.extend(_cut_line(line, limit, size) if size(line) > limit else [line])
    parts: list[str] = []
    current = ""
    for unit in units:
        if current and size(current) + size(unit) > limit:
            parts.append(current)
            current = ""
        current += unit
    if current:
        parts.append(current)
    return _prefer_sections(parts, limit, size)


def _prefer_sections(parts: list[str], limit: int, size: Callable[[str], int]) -> list[str]:
    """Move a trailing heading (or rule) to the start of the next part, so no part ends on a title."""
    for i in range(len(parts) - 1):
        tail = blocks(parts[i])
        moved = ""
        while len(tail) > 1 and re.match(r"^(#{1,6} |---\s*$)", tail[-1].lstrip("\n")):
            moved = tail.pop() + moved
        if moved and size(moved + parts[i + 1]) <= limit:
            parts[i] = "".join(tail)
            parts[i + 1] = moved + parts[i + 1]
    return parts
