"""The syntax trees of the package's source files, parsed once per test process: the layout, engine and
locale tests walk every module several times (hundreds of ``ast.parse`` calls otherwise). The trees are
shared: walk them, do not change them."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


@cache
def _parsed(path: Path, mtime_ns: int) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def parsed(path: Path) -> ast.Module:
    """The tree of the file at ``path`` (parsed again if the file changed since)."""
    return _parsed(path, path.stat().st_mtime_ns)
