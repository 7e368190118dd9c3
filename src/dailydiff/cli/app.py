"""The typer application and what every command shares: settings, errors, the store, output."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from dailydiff import __version__
from dailydiff.common.secrets import scrub
from dailydiff.common.text import terminal_text
from dailydiff.errors import DailyDiffError
from dailydiff.settings import Settings, load_settings

app = typer.Typer(
    name="dailydiff",
    help="Daily reports of the commits in the repositories you follow, explained commit by commit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class _TerminalConsole(Console):
    """stderr: text from commits, servers or models can carry escape sequences (dropped) and an error body
    may echo a secret (scrubbed)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(terminal_text(scrub(o)) if isinstance(o, str) else o for o in objects), **kwargs)


stderr = _TerminalConsole(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_IO = 74  # sysexits EX_IOERR
_IO_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})


def fail(message: str, hint: str = "", code: int = 1) -> typer.Exit:
    line = f"dailydiff: error: {message}" + (f" — {hint}" if hint else "")
    line = " ".join(line.split("\n"))  # one line, whatever the message quotes
    stderr.print(line, markup=False, highlight=False)
    return typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Expected failures become one line on stderr and a non-zero exit; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DailyDiffError as exc:
            raise fail(exc.message, exc.hint, exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", "everything analysed so far is stored; run the same command to resume",
                       EXIT_INTERRUPTED) from None  # fmt: skip
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in _IO_ERRNOS:  # e.g. stdout on a full disk
                raise fail(f"cannot write the output: {exc.strerror}",
                           "free some space and run the same command again; what was analysed is stored",
                           EXIT_IO) from None  # fmt: skip
            if os.environ.get("DAILYDIFF_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc}",
                "please report it; set DAILYDIFF_DEBUG=1 for the traceback",
                EXIT_INTERNAL,
            ) from None

    return wrapper


def build_settings(config: Path | None, data_dir: Path | None, overrides: dict[str, Any]) -> Settings:
    merged: dict[str, Any] = dict(overrides)
    if data_dir is not None:
        merged["data_dir"] = str(data_dir)
    return load_settings(config, overrides=merged)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"dailydiff {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: bool = typer.Option(
        False, "--version", callback=version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """dailydiff turns each day's commits into a report worth reading."""
