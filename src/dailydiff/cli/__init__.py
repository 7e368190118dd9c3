"""The command line: the only place that reads argv."""

from __future__ import annotations

from . import ops as _ops  # noqa: F401  (run, weekly, init, doctor)
from . import publish as _publish  # noqa: F401  (registers the command)
from . import report as _report  # noqa: F401  (registers the command)
from . import site as _site  # noqa: F401  (registers `site build` and `serve`)
from .app import app

# `--help` lists commands in the order a user meets them.
_ORDER = ["report", "run", "publish", "weekly", "serve", "init", "doctor"]
app.registered_commands.sort(key=lambda c: _ORDER.index(c.name) if c.name in _ORDER else len(_ORDER))


def main() -> None:
    app()


__all__ = ["app", "main"]
