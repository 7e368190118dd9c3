"""Split a commit's unified diff (``Accept: application/vnd.github.diff``) into per-file sections: the
hunks of each file, or the fact that it is binary. Used for files whose JSON ``patch`` is absent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dailydiff.sources.git import _unquote

_SECTION_RE = re.compile(r"(?m)^diff --git ")


@dataclass(frozen=True)
class DiffSection:
    path: str
    hunks: str  # from the first "@@" on, without the trailing newline; "" when there are none
    binary: bool


def split_diff(text: str) -> dict[str, DiffSection]:
    """Sections keyed by the file's new path (its old path when it was deleted)."""
    sections: dict[str, DiffSection] = {}
    for chunk in _SECTION_RE.split(text)[1:]:
        header, _, rest = chunk.partition("\n")
        lines = rest.split("\n")
        path = _path_from_lines(lines) or _path_from_header(header)
        if path is None:
            continue
        binary = any(line.startswith(("Binary files ", "GIT binary patch")) for line in lines[:8])
        at = chunk.find("\n@@")
        hunks = "" if binary or at < 0 else chunk[at + 1 :].rstrip("\n")
        sections[path] = DiffSection(path=path, hunks=hunks, binary=binary)
    return sections


def _path_from_lines(lines: list[str]) -> str | None:
    old = new = None
    for line in lines:
        if line.startswith("@@"):
            break
        if line.startswith("rename to ") or line.startswith("copy to "):
            new = _unquote(line.split(" ", 2)[2])
        elif line.startswith("+++ ") and line[4:] != "/dev/null":
            new = new or _strip_prefix(_unquote(line[4:]), "b/")
        elif line.startswith("--- ") and line[4:] != "/dev/null":
            old = _strip_prefix(_unquote(line[4:]), "a/")
    return new or old


def _path_from_header(header: str) -> str | None:
    """``a/P b/P`` (binary and mode-only sections have no ---/+++ lines); quoted when unusual."""
    if header.startswith('"'):
        quoted = re.findall(r'"(?:[^"\\]|\\.)*"', header)
        return _strip_prefix(_unquote(quoted[-1]), "b/") if quoted else None
    if not header.startswith("a/"):
        return None
    length = (len(header) - 5) // 2
    if length <= 0 or header[2 + length : 2 + length + 3] != " b/":
        return None
    return header[2 + length + 3 :]


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path
