"""The flags `report` and `run` share, defined once: same names, same metavars, same checks.

A command takes them as parameters typed with the aliases below and hands them to ``Shared``, which
checks them and turns them into settings overrides, the dates to build, and the logging set-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

from dailydiff.cli.app import build_settings
from dailydiff.cli.coercion import plain_values
from dailydiff.common.dates import DateSpec, checked_days, clock
from dailydiff.common.logs import setup_logging
from dailydiff.common.timewindow import check_timezone
from dailydiff.errors import DailyDiffError, UsageError

if TYPE_CHECKING:
    from dailydiff.settings import Settings  # the commands that build it import it (settings/whole.py)

FORMATS = ("md", "json", "html")
LANGUAGES = ("zh", "en")
LOG_FORMATS = ("text", "json")

Date = Annotated[
    str | None,
    typer.Option("--date", "-d", metavar="DATE",
                 help="YYYY-MM-DD, 'today' or 'yesterday' (default), in the report's timezone."),
]  # fmt: skip
First = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First day of a range (one report per day).")
]
Last = Annotated[str | None, typer.Option("--to", metavar="DATE", help="Last day of a range, inclusive.")]
Analyzer = Annotated[
    str | None, typer.Option("--analyzer", metavar="NAME", help="heuristic, llm or auto [default: auto].")
]
LANG_HELP = "Report language: zh or en [default: {language}]."
Lang = Annotated[str | None, typer.Option("--lang", metavar="LANG", help=LANG_HELP.format(language="zh"))]
TZ_HELP = "IANA timezone that defines the day [default: {zone}]."
Tz = Annotated[str | None, typer.Option("--tz", metavar="TZ", help=TZ_HELP.format(zone="Asia/Shanghai"))]
Formats = Annotated[
    str | None,
    typer.Option("--format", metavar="FORMATS", help="Comma-separated report file formats: md,json,html."),
]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Build a range longer than [run] max_days (366) without asking.")
]
Force = Annotated[bool, typer.Option("--force", help="Build and deliver again what was already delivered.")]
# --audience of `digest` and `weekly`: one option; what each audience gets differs by command (a table).
AUDIENCE_HELP = {
    "digest": "engineer (commits) or stakeholder (counts and highlights, no paths); default: each [[digest]]'s.",
    "weekly": "engineer (commits, paths) or stakeholder (themes, no paths); default: [weekly] audience.",
}
Audience = Annotated[
    str | None, typer.Option("--audience", metavar="AUDIENCE", help="engineer or stakeholder.")
]
# One wording for -q in every command.
QUIET_HELP = "Errors only on stderr: no progress, logs or summary."
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs.")]
LogFormat = Annotated[
    str, typer.Option("--log-format", metavar="FORMAT", help="Logs on stderr as text or json.")
]
SummaryJson = Annotated[
    Path | None, typer.Option("--summary-json", metavar="FILE", help="Write the run summary as JSON to FILE.")
]
Config = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="Settings file [default: ./dailydiff.toml]."),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."),
]
OutputDir = Annotated[Path | None, typer.Option("--output-dir", "-o", metavar="DIR")]


class _NamedArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None if self.metavar else super().display_type_rich(ctx)

    def _usage_display_name(self) -> str:
        """``SOURCE`` for a required value, ``[SOURCE]`` for an optional one (typer writes ``{SOURCE}``)."""
        name = super()._usage_display_name()
        return name.replace("{", "", 1).replace("}", "", 1) if self.required else name


class Command(TyperCommand):
    """A command whose help names each value (SOURCE, DATE, DIR …) instead of a Python type, and shows
    the defaults in effect: ``--tz`` says the settings file's timezone when it sets one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _NamedArgument
        plain_values(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        plain_values([option])
        return option

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["dailydiff.argv"] = list(args)  # --help runs while parsing: it reads -c from here
        return super().parse_args(ctx, args)

    def get_help(self, ctx: Any) -> str:
        report = _effective_report(ctx.meta.get("dailydiff.argv", []))
        for param in self.params:
            if isinstance(param, TyperOption) and param.name == "audience":
                param.help = AUDIENCE_HELP.get(ctx.info_name or "", param.help)
            if isinstance(param, TyperOption) and report is not None:
                if param.name == "tz":
                    param.help = TZ_HELP.format(zone=report.timezone)
                elif param.name == "lang":
                    param.help = LANG_HELP.format(language=report.language)
        return super().get_help(ctx)


def _effective_report(argv: list[str]) -> Any:
    """The report settings (file named by -c/--config or ./dailydiff.toml, and the environment) give,
    for help: their timezone and language; None when they cannot be read (the help then shows the
    built-in defaults)."""
    config = None
    for i, arg in enumerate(argv):
        if arg in ("-c", "--config") and i + 1 < len(argv):
            config = Path(argv[i + 1])
        elif arg.startswith("--config="):
            config = Path(arg.split("=", 1)[1])
    try:
        return build_settings(config, None, {}).report
    except DailyDiffError:  # a broken settings file is reported when the command runs, not in its help
        return None


# The shared flags by parameter name (a test checks that `report` and `run` take exactly these).
SHARED = ("date", "first", "last", "analyzer", "lang", "tz", "formats", "force", "quiet", "verbose",
          "log_format", "summary_json", "config", "data_dir", "yes")  # fmt: skip


def check_language_and_zone(lang: str | None, tz: str | None) -> None:
    """--lang and --tz of the commands that read stored days: checked before any work."""
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)


def check_audience(audience: str | None) -> None:
    """--audience of `weekly` and `digest`: checked before any work."""
    if audience is not None and audience not in ("engineer", "stakeholder"):
        raise UsageError(
            f"unknown audience {audience!r}", "use --audience engineer or --audience stakeholder"
        )


def config_dir(config: Path | None) -> Path:
    """Where relative paths in the settings file start: its directory (the current one without -c)."""
    return (config.parent if config is not None else Path.cwd()).resolve()


@dataclass(frozen=True)
class Shared:
    date: str | None = None
    first: str | None = None
    last: str | None = None
    analyzer: str | None = None
    lang: str | None = None
    tz: str | None = None
    formats: str | None = None
    force: bool = False
    quiet: bool = False
    verbose: bool = False
    log_format: str = "text"
    summary_json: Path | None = None
    config: Path | None = None
    data_dir: Path | None = None
    yes: bool = False

    def check(self) -> DateSpec:
        """Every shared flag checked before any work; returns the days asked for (resolved later, in each
        repository's timezone)."""
        if self.log_format not in LOG_FORMATS:
            raise UsageError(f"unknown --log-format {self.log_format!r}", "use text or json")
        if self.lang is not None and self.lang not in LANGUAGES:
            raise UsageError(f"unknown language {self.lang!r}", "use --lang zh or --lang en")
        if self.tz is not None:
            check_timezone(self.tz)
        if self.quiet and self.verbose:
            raise UsageError("--quiet and --verbose exclude each other", "pick one")
        self.format_list()
        dates = DateSpec(self.date, self.first, self.last)
        dates.check()
        return dates

    def format_list(self) -> list[str] | None:
        if self.formats is None:
            return None
        formats = [part.strip().lower() for part in self.formats.split(",") if part.strip()]
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise UsageError(
                f"unknown format {', '.join(unknown) or self.formats!r}", f"choose from: {', '.join(FORMATS)}"
            )
        return formats

    def settings(self, overrides: dict[str, Any] | None = None) -> Settings:
        merged: dict[str, Any] = {
            "report": {"timezone": self.tz, "language": self.lang, "formats": self.format_list()},
            "analysis": {"analyzer": self.analyzer},
        }
        for section, values in (overrides or {}).items():
            merged[section] = {**merged.get(section, {}), **values}
        return build_settings(self.config, self.data_dir, merged)

    def days(self, dates: DateSpec, settings: Settings, timezones: Sequence[str] = ()) -> dt.datetime:
        """The run's clock, once the days asked for are checked in every timezone the run uses: no day in
        the future, no range over ``[run] max_days`` without --yes (both before any work)."""
        now = clock(settings.run.now)
        for tz in sorted({settings.report.timezone, *timezones}):
            checked_days(dates, tz, now, max_days=settings.run.max_days, yes=self.yes)
        return now

    def flags(self) -> dict[str, Any]:
        """The flags that beat the settings file and a [[repos]] entry's keys (the plan layers them)."""
        return {"tz": self.tz, "lang": self.lang, "formats": self.format_list(), "analyzer": self.analyzer}

    def defaults_note(self, settings: Settings, first_run: Callable[[], bool]) -> str | None:
        """The one line a first run on a terminal prints when the day and language are the defaults, not
        asked for: the reports users know are Chinese days in Shanghai, which a newcomer may not expect.
        FIRST_RUN is asked last: it starts rich's console (~40 ms), which --quiet or --tz never need."""
        if self.quiet or self.tz is not None or self.lang is not None or not first_run():
            return None
        report = settings.report
        if (report.timezone, report.language) != ("Asia/Shanghai", "zh"):
            return None  # chosen in the settings file or the environment
        day = "yesterday in Asia/Shanghai" if self.date is None and self.first is None else "in Asia/Shanghai"
        return (
            f"note: the report covers a day {day} and is written in Chinese (the defaults); "
            "pass --tz ZONE and --lang en (or set [report] timezone and language) to change them"
        )

    def logging(self, default_level: str) -> None:
        """Logs on stderr: debug with --verbose, errors only with --quiet, else the command's default."""
        logger = setup_logging(self.verbose, self.log_format)
        if not self.verbose:
            logger.setLevel("ERROR" if self.quiet else default_level)
