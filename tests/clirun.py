"""The command line in-process: what a subprocess would print and exit with, without starting Python.

``dailydiff(*args, cwd=..., env=...)`` answers a ``subprocess.CompletedProcess`` like ``subprocess.run``
would, so a test reads ``returncode``, ``stdout`` and ``stderr`` the same way. ``env`` is the whole
environment of the command, as for a subprocess. Everything a command may change in the process is put
back afterwards: the environment, the working directory, ``sys.argv`` (commands record it), the
``dailydiff`` logger, signal handlers.

Tests whose point is the process itself (signals, a broken pipe, the exit of a real interpreter, the
README's command, several processes at once) start ``python -m dailydiff`` with ``subprocess``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from dailydiff.cli.app import app

_SIGNALS = [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]


@contextlib.contextmanager
def _process_state(argv: list[str], cwd: Path | str | None) -> Iterator[None]:
    logger = logging.getLogger("dailydiff")
    saved_logger = (list(logger.handlers), logger.level, logger.propagate)
    saved_signals = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    saved_cwd, saved_argv = os.getcwd(), sys.argv
    if cwd is not None:
        os.chdir(cwd)
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        for handler in logger.handlers:
            if handler not in saved_logger[0]:
                handler.close()
        logger.handlers[:] = saved_logger[0]
        logger.setLevel(saved_logger[1])
        logger.propagate = saved_logger[2]
        for sig, handler in saved_signals.items():
            if handler is not None:
                signal.signal(sig, handler)


def _env_changes(env: Mapping[str, str]) -> dict[str, str | None]:
    """The overrides that turn this process's environment into ``env`` (None removes a variable)."""
    changes: dict[str, str | None] = {key: None for key in os.environ if key not in env}
    changes.update({key: value for key, value in env.items() if os.environ.get(key) != value})
    return changes


def dailydiff(
    *args: str | Path,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``dailydiff ARGS`` in this process; ``env`` (default: this process's) is the whole environment."""
    argv = [str(a) for a in args]
    full_env = dict(os.environ if env is None else env)
    full_env.pop("DAILYDIFF_DEBUG", None)  # expected failures are one line, as a user sees them
    with _process_state(["dailydiff", *argv], cwd):
        result = CliRunner().invoke(
            app, argv, input=input, env=_env_changes(full_env), catch_exceptions=False, prog_name="dailydiff"
        )
    return subprocess.CompletedProcess(["dailydiff", *argv], result.exit_code, result.stdout, result.stderr)


@contextlib.contextmanager
def default_sigint() -> Iterator[None]:
    """Processes started inside get SIGINT's default, as from a terminal. A test run started in the
    background by a non-interactive shell (`cmd &`) ignores SIGINT, and an ignored signal is inherited
    across exec: a child would then never see the Ctrl-C a test sends it."""
    with _sigint(signal.default_int_handler):
        yield


@contextlib.contextmanager
def ignored_sigint() -> Iterator[None]:
    """Processes started inside ignore SIGINT, as every process a non-interactive shell starts in the
    background (`cmd &`) does: asyncio then installs no Ctrl-C handler of its own in them."""
    with _sigint(signal.SIG_IGN):
        yield


@contextlib.contextmanager
def _sigint(handler: Any) -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# The exit of a real interpreter, seen from outside: it writes "exit handlers ran" once its exit handlers have
# run, and a module's object writes "torn down" when it is freed as the modules are torn down (a process that
# ends without tearing them down never says it).
_WATCHED = (
    "import atexit, os, runpy, sys, types\n"
    "class Held:\n    def __del__(self, write=os.write): write(2, b'torn down\\n')\n"
    "sys.modules['held'] = types.ModuleType('held')\n"
    "sys.modules['held'].held = Held()\n"
    "atexit.register(lambda: sys.stderr.write('exit handlers ran\\n'))\n"
    "sys.argv = ['dailydiff', *sys.argv[1:]]\n"
    "runpy.run_module('dailydiff', run_name='__main__')\n"
)


def watched_exit(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m dailydiff ARGS`` in a real interpreter whose stderr ends with what its exit did."""
    argv = [sys.executable, "-c", _WATCHED, *args]
    return subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=120)
