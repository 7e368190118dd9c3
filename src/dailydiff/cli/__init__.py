"""The command line: the only place that reads argv."""

from __future__ import annotations

from . import publish as _publish  # noqa: F401  (registers the command)
from . import report as _report  # noqa: F401  (registers the command)
from . import site as _site  # noqa: F401  (registers `site build` and `serve`)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
