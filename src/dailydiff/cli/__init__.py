"""The command line: the only place that reads argv."""

from __future__ import annotations

import gc
import sys

from dailydiff.cli.base import (
    EXIT_INTERRUPTED,
    has_nothing_to_tear_down,
    interrupted_exit_code,
    stop_like_ctrl_c,
)


def main() -> None:
    _without_trio()
    _collect_for_a_command()
    stop_like_ctrl_c()
    try:
        _command_line(sys.argv[1:])
    except SystemExit as done:
        if done.code in (EXIT_INTERRUPTED, interrupted_exit_code()):
            _exit_now(int(done.code or 0))
        if has_nothing_to_tear_down() and (done.code is None or isinstance(done.code, int)):
            _end_without_teardown(done.code or 0)
        raise


def _without_trio() -> None:
    """httpx's transport (httpcore2) imports trio, where it is installed, to tell trio's event loop from
    asyncio's: 0.15 to 0.2 s of CPU in every process that makes an HTTP client (each worker of a shared
    plan, at the moment its first units wait for it). No command runs under trio, and the command line owns
    its process: trio is marked absent here, unless something imported it already. Importing dailydiff as a
    library changes nothing."""
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]  # None: `import trio` raises ImportError


def _command_line(args: list[str]) -> None:
    """The command: `search` and `report` in the forms they are read without typer (cli/direct.py), else
    typer's application (cli/app.py); either ends by SystemExit."""
    if args[:1] in (["search"], ["report"]):
        from dailydiff.cli.direct import run_directly

        run_directly(args)
    from dailydiff.cli.app import app

    app()


def _end_without_teardown(code: int) -> None:
    """What a normal exit does, for a command that left nothing open (``nothing_to_tear_down``): the exit
    handlers run (logging's, a coverage run's), the output is flushed, and then the process ends, without
    freeing psycopg's, pydantic's and typer's objects one by one and tearing every module down: about 30 ms
    of a `search` on PostgreSQL whose whole wait was 0.4 s (bench/search_scale.py). Returns, for the normal
    exit, while another thread runs, under a profiler (``python -m cProfile -o FILE`` writes FILE once the
    program has returned) or when the output cannot be flushed (that exit says why)."""
    import atexit
    import os
    import sys
    import threading

    if threading.active_count() > 1 or sys.getprofile() is not None:
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a full disk, a closed pipe: the normal exit reports it
        return
    os._exit(code)


def _collect_for_a_command() -> None:
    """The garbage collector set for a command, not a library: what the command line imported to start
    lives as long as the process, so it is frozen (later collections never walk it again), and the young
    generation is collected every 10,000 allocations instead of 700. On PostgreSQL, `search` spent about
    20 ms of its 0.4-0.5 s in full collections over the objects psycopg and pydantic create as they load;
    with this, none happen (bench/search_scale.py)."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


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


__all__ = ["main"]
