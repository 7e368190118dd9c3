"""The package's own TOML data (the settings' defaults, the locales, the search glossary), parsed once a
process; and this user's private directory for data derived between runs (settings/kept.py)."""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def private_directory() -> Path | None:
    """This user's private directory for data derived between runs (kept settings), or None where there is
    none that is ours alone."""
    if not hasattr(os, "getuid"):
        return None
    path = Path(tempfile.gettempdir()) / f"_dailydiff-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    ours = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return path if ours else None


@cache
def toml(name: str) -> dict[str, Any]:
    """The package's TOML file ``name`` (relative to the package, e.g. ``"settings/defaults.toml"``), parsed
    once per process. Callers never change it (they copy what they merge)."""
    with open(os.path.join(_PACKAGE, name), "rb") as file:
        return tomllib.load(file)
