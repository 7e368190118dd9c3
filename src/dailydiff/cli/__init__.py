"""The command line: the only place that reads argv."""

from __future__ import annotations

from dailydiff.cli import ops as _ops  # noqa: F401  (run, weekly, init, doctor)
from dailydiff.cli import publish as _publish  # noqa: F401  (registers the command)
from dailydiff.cli import report as _report  # noqa: F401  (registers the command)
from dailydiff.cli import site as _site  # noqa: F401  (registers `site build` and `serve`)
from dailydiff.cli.app import EXIT_INTERRUPTED, app

# `--help` lists commands in the order a user meets them.
_ORDER = ["report", "run", "publish", "weekly", "serve", "init", "doctor"]
app.registered_commands.sort(key=lambda c: _ORDER.index(c.name) if c.name in _ORDER else len(_ORDER))


def main() -> None:
    try:
        app()
    except SystemExit as done:
        if done.code == EXIT_INTERRUPTED:
            _exit_now(EXIT_INTERRUPTED)
        raise


def _exit_now(code: int) -> None:
    """After Ctrl-C everything is stored and closed; tearing the interpreter's modules down can take
    seconds on a loaded machine, and an interrupted command must stop at once."""
    import contextlib
    import logging
    import os
    import sys

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


__all__ = ["app", "main"]
