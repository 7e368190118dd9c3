"""What every command shares that needs no parser: the settings, the store, stderr, the exit codes, what a
failure says, and how SIGTERM stops a command. cli/app.py's typer application and the commands read without
it (cli/direct.py: `search`, where typer's import and parsing were a tenth of the wait) both use these."""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailydiff.common.secrets import scrub
from dailydiff.common.stopping import TAKEN
from dailydiff.common.text import terminal_text
from dailydiff.errors import EXIT_INTERRUPTED, IO_ERRNOS, DailyDiffError

if TYPE_CHECKING:
    from rich.console import Console

    from dailydiff.settings import HasStore, L, ReadSettings, Settings
    from dailydiff.store import Store


@functools.cache
def _stderr_console() -> Console:
    from rich.console import Console

    class TerminalConsole(Console):
        """stderr: text from commits, servers or models can carry escape sequences (dropped) and an
        error body may echo a secret (scrubbed)."""

        def print(self, *objects: Any, **kwargs: Any) -> None:
            super().print(*(terminal_text(scrub(o)) if isinstance(o, str) else o for o in objects), **kwargs)

    return TerminalConsole(stderr=True, highlight=False, soft_wrap=True)


class _LazyConsole:
    """Stands for the stderr console until it is used: rich's console is not needed to print the version
    or the help, and command modules import `stderr` when they load."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_stderr_console(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_stderr_console(), name, value)

    def __enter__(self) -> Console:  # rich's live displays enter their console
        return _stderr_console().__enter__()

    def __exit__(self, *exc: Any) -> None:
        _stderr_console().__exit__(*exc)


stderr: Console = _LazyConsole()  # type: ignore[assignment]


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal, as rich's console decides it (``TTY_COMPATIBLE``, ``FORCE_COLOR``, then
    ``isatty``), without starting the console to learn that it is not one: rich's import is some 20 ms of a
    command whose output goes to a file or a pipe."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream: not a terminal, as rich says too
        tty = False
    if tty or os.environ.get("TTY_COMPATIBLE") or "FORCE_COLOR" in os.environ:
        return bool(stderr.is_terminal)
    return False


# What rich's console would turn into an emoji (``:name:``): a line holding it goes through the console.
_EMOJI_LIKE = re.compile(r":\S*?:")


def say(line: str) -> None:
    """One line on stderr, as the stderr console prints it (escape sequences dropped, secrets scrubbed).
    A line of printable text with nothing rich's console would change (no ``:name:`` it would make an
    emoji) is written as it is, without starting the console: about 40 ms of a command that prints one
    summary line (`notes`, an error)."""
    text = terminal_text(scrub(line))
    if not text.isprintable() or _EMOJI_LIKE.search(text):
        _stderr_console().print(text, markup=False, highlight=False)
        return
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


EXIT_INTERNAL = 70
# The signal (SIGTERM) that asked this process to stop, once received: kept where a delivery asks for it too.
_STOPPED_BY = TAKEN


def stop_taken() -> bool:
    """Whether a SIGTERM was taken (``stop_like_ctrl_c``). A loop that starts look after look asks this between
    them: the cancellation the signal asks of a look's main task can be lost inside it (a library that swallows
    it as its awaited work completes), and the look then ends as if nothing had been asked."""
    return bool(_STOPPED_BY)


def stop_like_ctrl_c() -> None:
    """SIGTERM — what systemd, docker stop, Kubernetes and CI cancellation send — stops a command as Ctrl-C
    does: what is in flight (a message being sent) finishes and is recorded, a shared plan's units are given
    back, and the command exits 143. A second SIGTERM stops at once (what it leaves is recovered by the next
    command: claims of a process that is gone are stale)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: Any) -> None:
    if _STOPPED_BY:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    _STOPPED_BY.append(signum)
    import logging

    # Said as it lands (a command's logs, where it has set them up: not --quiet, not a server's own): what a
    # supervisor (and a test) sees between the signal and the exit.
    logger = logging.getLogger("dailydiff")
    if logger.handlers:
        logger.warning("SIGTERM: stopping once what is in flight is sent and recorded")
    # A loop of ours running (common/aio.py): its main task cancelled by the loop itself, whether or not SIGINT
    # is ignored (then asyncio has no Ctrl-C handler to go through). Looked up, not imported: a command that
    # has not loaded it runs no loop, and start-up does not load asyncio for it. No loop: KeyboardInterrupt,
    # as Ctrl-C raises it.
    aio = sys.modules.get("dailydiff.common.aio")
    if aio is not None and aio.stop_main_run():
        return
    on_ctrl_c = signal.getsignal(signal.SIGINT)
    if callable(on_ctrl_c):
        on_ctrl_c(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def interrupted_exit_code() -> int:
    return 128 + _STOPPED_BY[0] if _STOPPED_BY else EXIT_INTERRUPTED


_NOTHING_OPEN: list[bool] = []  # said by the command that ran (``nothing_to_tear_down``)


def nothing_to_tear_down() -> None:
    """Said by a command whose store is closed and which has only its output left to write (`search`, `ask`):
    the process may end as soon as that output is flushed and the exit handlers have run, without tearing
    the interpreter's modules down (cli/__init__.py)."""
    _NOTHING_OPEN.append(True)


def has_nothing_to_tear_down() -> bool:
    return bool(_NOTHING_OPEN)


EXIT_IO = 74  # sysexits EX_IOERR


def failed(message: str, hint: str = "", code: int = 1) -> int:
    """A command's failure said in one line on stderr (a log line like every other with --log-format json);
    its exit code."""
    from dailydiff.common.logs import json_logs

    if json_logs():  # --log-format json: the error is a log line like every other
        import logging

        logging.getLogger("dailydiff").error("%s", f"{message}" + (f" — {hint}" if hint else ""))
        return code
    line = f"dailydiff: error: {message}" + (f" — {hint}" if hint else "")
    say(" ".join(line.split("\n")))  # one line, whatever the message quotes
    return code


def stopped_code(hint: str = "") -> int:
    """Ctrl-C or SIGTERM: one line saying which, with what to do next where there is something to do; the
    exit code, 130 or 143. A stop someone asked for is no error: not said as one."""
    from dailydiff.common.logs import json_logs

    line = ("stopped by SIGTERM" if _STOPPED_BY else "interrupted") + (f" — {hint}" if hint else "")
    if json_logs():
        import logging

        logging.getLogger("dailydiff").warning("%s", line)
    else:
        say(f"dailydiff: {line}")
    return interrupted_exit_code()


def failure_code(exc: BaseException) -> int | None:
    """What becomes of a failure a command raised (an ``Exception`` or Ctrl-C): said in one line, never a
    traceback, and its exit code; None for an internal error with DAILYDIFF_DEBUG set (raised as it is)."""
    if isinstance(exc, DailyDiffError):
        return failed(exc.message, exc.hint, exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        return stopped_code("everything analysed so far is stored; run the same command to resume")
    if isinstance(exc, BrokenPipeError):
        sys.stderr.close()
        return 0
    if isinstance(exc, OSError) and exc.errno in IO_ERRNOS:  # e.g. stdout on a full disk
        return failed(f"cannot write the output: {exc.strerror}",
                      "free some space and run the same command again; what was analysed is stored", EXIT_IO)  # fmt: skip
    if os.environ.get("DAILYDIFF_DEBUG"):
        return None
    return failed(f"internal error: {type(exc).__name__}: {exc}",
                  "please report it; set DAILYDIFF_DEBUG=1 for the traceback", EXIT_INTERNAL)  # fmt: skip


def build_settings(config: Path | None, data_dir: Path | None, overrides: dict[str, Any]) -> Settings:
    """The settings of a command, and a warning on stderr about ``DAILYDIFF_*`` variables that nothing
    reads (typos)."""
    from dailydiff.settings import Settings

    return _built(Settings, config, data_dir, overrides)


def read_settings(config: Path | None, data_dir: Path | None) -> ReadSettings:
    """The settings of a command that only reads the store (``ReadSettings``), as ``build_settings`` builds
    them."""
    from dailydiff.settings.sections import ReadSettings

    return _built(ReadSettings, config, data_dir, {})


def _built(model: type[L], config: Path | None, data_dir: Path | None, overrides: dict[str, Any]) -> L:
    from dailydiff.settings import load_model

    merged: dict[str, Any] = dict(overrides)
    if data_dir is not None:
        merged["data_dir"] = str(data_dir)
    return _warned(load_model(model, config, overrides=merged))


def _warned(settings: L) -> L:
    """``settings``, a ``DAILYDIFF_*`` variable nothing reads said first (a typo)."""
    from dailydiff.settings import unknown_environment

    warning = unknown_environment(settings, os.environ)
    if warning:
        say(f"dailydiff: warning: {warning}")
    return settings


def say_store_upgrade(text: str) -> None:
    """A store's slow upgrade (a migration that rebuilds the search index), said on stderr before the wait,
    scrubbed like every line there: as a log line with --log-format json, nothing with --quiet (errors only).
    stdout is left alone (JSON output, `mcp`'s protocol)."""
    import logging

    from dailydiff.common.logs import json_logs

    logger = logging.getLogger("dailydiff")
    if logger.level >= logging.ERROR:  # --quiet
        return
    if json_logs():
        logger.warning("%s", text)
    else:
        _stderr_console().print(f"dailydiff: {text}", markup=False, highlight=False)


def open_store(settings: HasStore, quiet: bool = False) -> Store:
    """The store a command works with (``dailydiff.store.open_store``), its slow upgrade said first (not with
    ``quiet``: a command whose --quiet does not already keep logs to errors passes it)."""
    from dailydiff.store import open_store as open_settings_store

    return open_settings_store(settings, on_slow=None if quiet else say_store_upgrade)
