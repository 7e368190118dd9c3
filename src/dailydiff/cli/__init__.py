"""The command line: the only place that reads argv."""

from __future__ import annotations

from dailydiff.cli import ops as _ops  # noqa: F401  (run, weekly, init, doctor)
from dailydiff.cli import publish as _publish  # noqa: F401  (registers the command)
from dailydiff.cli import report as _report  # noqa: F401  (registers the command)
from dailydiff.cli import site as _site  # noqa: F401  (registers `site build` and `serve`)
from dailydiff.cli import store as _store  # noqa: F401  (registers `store copy`)
from dailydiff.cli.app import app

# `--help` lists commands in the order a user meets them.
_ORDER = ["report", "run", "publish", "weekly", "serve", "init", "doctor"]
app.registered_commands.sort(key=lambda c: _ORDER.index(c.name) if c.name in _ORDER else len(_ORDER))


def main() -> None:
    app()


__all__ = ["app", "main"]
