"""The command line: the only place that reads argv."""

from __future__ import annotations

from dailydiff.cli.app import EXIT_INTERRUPTED, app, interrupted_exit_code, stop_like_ctrl_c


def main() -> None:
    stop_like_ctrl_c()
    try:
        app()
    except SystemExit as done:
        if done.code in (EXIT_INTERRUPTED, interrupted_exit_code()):
            _exit_now(int(done.code or 0))
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
