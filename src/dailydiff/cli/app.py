"""The typer application and what every command shares: settings, errors, the store, output.

Start-up is lazy: a command's module (and what it imports: the engine, the analysers, the publishers,
the web server) is imported only when that command runs or its own help is shown. `dailydiff --help`
lists the commands from the table below without importing any of them.
"""

from __future__ import annotations

import functools
import importlib
import signal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from dailydiff import __version__
from dailydiff.cli.base import (  # noqa: F401  (the commands import them from here)
    _STOPPED_BY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_IO,
    _stderr_console,
    build_settings,
    failed,
    failure_code,
    has_nothing_to_tear_down,
    interrupted_exit_code,
    nothing_to_tear_down,
    open_store,
    read_settings,
    say,
    say_store_upgrade,
    stderr,
    stop_like_ctrl_c,
    stop_taken,
    stopped_code,
)

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter


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
    "eval": LazyCommand(
        "dailydiff.cli.eval",
        "Endpoints side by side over a sample of your history or a labelled set: quality, tokens, cost, speed.",
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


P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, hint: str = "", code: int = 1) -> typer.Exit:
    return typer.Exit(failed(message, hint, code))


def stopped(hint: str = "") -> typer.Exit:
    """Ctrl-C or SIGTERM: one line saying which, with what to do next where there is something to do
    (a command that builds resumes; a server has ``server_stopped``), exit 130/143."""
    return typer.Exit(stopped_code(hint))


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
    """Expected failures become one line on stderr and a non-zero exit; never a traceback (``failure_code``)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            code = failure_code(exc)
            if code is None:
                raise
            raise typer.Exit(code) from None

    return wrapper


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
