"""dailydiff: a day of commits, explained."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_DISTRIBUTION = "dailydiff"


def _installed_version() -> str:
    """The installed distribution's version (pyproject.toml is its only source): what `--version`, feeds,
    footers and the workflows `init` writes show. Read from its ``METADATA`` on the import path, as
    importlib.metadata finds it, without importing that (and the e-mail parser it loads): `--version` is
    measured (bench/startup.py)."""
    for entry in sys.path:
        try:
            found = sorted(Path(entry or ".").glob(f"{_DISTRIBUTION}-*.dist-info"))
        except OSError:
            continue
        for info in found:
            try:
                head = (info / "METADATA").read_text(encoding="utf-8").partition("\n\n")[0]
            except OSError:
                continue
            fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
            if fields.get("Name", "").lower() == _DISTRIBUTION and fields.get("Version"):
                return fields["Version"]
    from importlib import metadata  # an egg, a zip: what importlib.metadata reads

    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree on PYTHONPATH that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # looked up once, on first use
        version = _installed_version()
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
