"""The typer application and what every command shares: settings, errors, the store, output.

Start-up is lazy: a command's module (and what it imports: the engine, the analysers, the publishers,
the web server) is imported only when that command runs or its own help is shown. `dailydiff --help`
lists the commands from the table below without importing any of them.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from dailydiff import __version__
from dailydiff.common.secrets import scrub
from dailydiff.common.text import terminal_text
from dailydiff.errors import IO_ERRNOS, DailyDiffError

if TYPE_CHECKING:
    from rich.console import Console
    from typer._click import Command, Context, HelpFormatter

    from dailydiff.settings import HasStore, L, ReadSettings, Settings
    from dailydiff.store import Store


class LazyCommand:
    """Where a command lives and its one-line help, so `--help` can list it without importing it."""

    __slots__ = ("module", "short_help")

    def __init__(self, module: str, short_help: str) -> None:
        self.module = module
        self.short_help = short_help


# Every command, in the order `--help` lists them (the order a user meets them). A test checks that each
# module registers what it is listed for and that the one-line help matches the command's own.
COMMANDS: dict[str, LazyCommand] = {
    "report": LazyCommand("dailydiff.cli.report", "Build the daily report(s) of one repository."),
    "run": LazyCommand(
        "dailydiff.cli.run", "Build (and publish) the daily reports of every repository in the config."
    ),
    "publish": LazyCommand(
        "dailydiff.cli.publish",
        "Send stored report(s) through the configured publishers ([[publish]] in dailydiff.toml).",
    ),
    "weekly": LazyCommand(
        "dailydiff.cli.weekly",
        "Weekly digest(s) from the stored daily reports: highlights, counts, top commits, watch hits.",
    ),
    "notes": LazyCommand(
        "dailydiff.cli.notes", "Release notes of a range of commits, from the stored analyses."
    ),
    "search": LazyCommand(
        "dailydiff.cli.search",
        "The stored commits that match QUESTION best: titles, pull requests, paths and analyses.",
    ),
    "ask": LazyCommand(
        "dailydiff.cli.ask", "Answer QUESTION from the stored history, citing the commits it rests on."
    ),
    "mcp": LazyCommand(
        "dailydiff.cli.mcp",
        "Serve search, ask, reports, digests and repositories to an assistant (MCP over stdio; read-only).",
    ),
    "digest": LazyCommand(
        "dailydiff.cli.digest", "Daily digest(s) across repositories from the stored reports of the day(s)."
    ),
    "serve": LazyCommand(
        "dailydiff.cli.site",
        "Serve the site from the store (pages re-rendered when reports change) and a JSON API under /api.",
    ),
    "watch": LazyCommand(
        "dailydiff.cli.watch",
        "Alert new commits as they land ([[watch]] alert), every --every; `watch test` tries a topic first.",
    ),
    "init": LazyCommand(
        "dailydiff.cli.init",
        "Write a short dailydiff.toml and .github/workflows/dailydiff.yml (pinned to this version).",
    ),
    "doctor": LazyCommand(
        "dailydiff.cli.doctor", "Check the configuration, git, the data directory and every repository."
    ),
    "site": LazyCommand(
        "dailydiff.cli.site", "The reports as a static website (HTML pages, Atom feeds, search)."
    ),
    "store": LazyCommand(
        "dailydiff.cli.store",
        "Look after the store: check it, rebuild its search index, copy it between SQLite and PostgreSQL.",
    ),
}


class _Commands(Mapping[str, "Command"]):
    """The group's command table: every name is known up front, a command is built on first lookup."""

    def __init__(self, group: LazyGroup, loaded: Mapping[str, Command]) -> None:
        self._group = group
        self._loaded: dict[str, Command] = dict(loaded)

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded:
            command = self._group.load(name)
            if command is None:
                raise KeyError(name)
            self._loaded[name] = command
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMANDS, *(n for n in self._loaded if n not in COMMANDS)])

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._loaded))

    def __setitem__(self, name: str, command: Command) -> None:  # click's add_command
        self._loaded[name] = command

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded


class LazyGroup(TyperGroup):
    """The top-level group: imports a command's module only when that command is looked up."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self, self.commands)  # type: ignore[assignment]
        from dailydiff.cli.coercion import plain_values

        plain_values(self.params)

    def get_help_option(self, ctx: Context) -> Any:
        from dailydiff.cli.coercion import plain_values

        option = super().get_help_option(ctx)
        plain_values([option])
        return option

    def load(self, name: str) -> Command | None:
        if name in COMMANDS:
            importlib.import_module(COMMANDS[name].module)
        else:  # a command missing from the table still works, the slow way (a test flags the table)
            import pkgutil

            for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
                importlib.import_module(f"dailydiff.cli.{module.name}")
        short, markup = app.pretty_exceptions_short, app.rich_markup_mode
        for info in app.registered_commands:
            if info.name == name:
                return typer.main.get_command_from_info(
                    info, pretty_exceptions_short=short, rich_markup_mode=markup
                )
        for group in app.registered_groups:
            if group.name == name:
                return typer.main.get_group_from_info(
                    group, pretty_exceptions_short=short, rich_markup_mode=markup,
                    suggest_commands=app.suggest_commands,
                )  # fmt: skip
        if name in COMMANDS:
            raise LookupError(f"{COMMANDS[name].module} does not register the command {name!r}")
        return None

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        # The listed one-line help, not the command itself: listing must not import every command.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            lazy = COMMANDS.get(name)
            if lazy is not None and not self.commands.is_loaded(name):  # type: ignore[attr-defined]
                rows.append((name, TyperCommand(name=name, help=lazy.short_help).get_short_help_str(limit)))
            elif not (command := self.commands[name]).hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    cls=LazyGroup,
    name="dailydiff",
    help="Daily reports of the commits in the repositories you follow, explained commit by commit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


P = ParamSpec("P")
R = TypeVar("R")

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
_STOPPED_BY: list[int] = []  # the signal (SIGTERM) that asked this process to stop, once received


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
    on_ctrl_c = signal.getsignal(signal.SIGINT)  # asyncio's while a loop runs: it cancels the main task
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


def fail(message: str, hint: str = "", code: int = 1) -> typer.Exit:
    from dailydiff.common.logs import json_logs

    if json_logs():  # --log-format json: the error is a log line like every other
        import logging

        logging.getLogger("dailydiff").error("%s", f"{message}" + (f" — {hint}" if hint else ""))
        return typer.Exit(code)
    line = f"dailydiff: error: {message}" + (f" — {hint}" if hint else "")
    say(" ".join(line.split("\n")))  # one line, whatever the message quotes
    return typer.Exit(code)


def stopped(hint: str = "") -> typer.Exit:
    """Ctrl-C or SIGTERM: one line saying which, with what to do next where there is something to do
    (a command that builds resumes; a server has ``server_stopped``), exit 130/143."""
    return fail("stopped by SIGTERM" if _STOPPED_BY else "interrupted", hint, interrupted_exit_code())


def server_stopped(signum: int | None = None) -> typer.Exit:
    """A server stopped the way it is meant to be (Ctrl-C, or SIGTERM from systemd or docker stop): one calm
    line saying how, not an error, with the same exit code as any stopped command (130/143). ``signum``: the
    signal the server itself caught (it stopped and returned, no KeyboardInterrupt reached us)."""
    if signum == signal.SIGTERM and not _STOPPED_BY:
        _STOPPED_BY.append(signum)
    how = "stopped by SIGTERM" if _STOPPED_BY else "stopped by Ctrl-C"
    from dailydiff.common.logs import json_logs

    if json_logs():
        import logging

        logging.getLogger("dailydiff").info("%s", how)
    else:
        _stderr_console().print(f"dailydiff: {how}", markup=False, highlight=False)
    return typer.Exit(interrupted_exit_code())


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Expected failures become one line on stderr and a non-zero exit; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DailyDiffError as exc:
            raise fail(exc.message, exc.hint, exc.exit_code) from None
        except KeyboardInterrupt:
            raise stopped("everything analysed so far is stored; run the same command to resume") from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in IO_ERRNOS:  # e.g. stdout on a full disk
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
    """The settings of a command, and a warning on stderr about ``DAILYDIFF_*`` variables that nothing
    reads (typos)."""
    from dailydiff.settings import Settings

    return _built(Settings, config, data_dir, overrides)


def read_settings(config: Path | None, data_dir: Path | None) -> ReadSettings:
    """The settings of a command that only reads the store (``ReadSettings``), as ``build_settings`` builds
    them."""
    from dailydiff.settings import load_read_settings

    merged = {"data_dir": str(data_dir)} if data_dir is not None else {}
    return _warned(load_read_settings(config, overrides=merged))


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
