"""Where the data directory is, for the settings' models (settings/sections.py)."""

from __future__ import annotations

import os
from pathlib import Path


def data_path_of(data_dir: str) -> Path:
    """``data_dir`` as a path, or the platform's default: ``$XDG_DATA_HOME/dailydiff``, else
    ``~/.local/share/dailydiff``."""
    if data_dir:
        return Path(data_dir).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dailydiff"
