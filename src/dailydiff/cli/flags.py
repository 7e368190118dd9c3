"""What the flags `report` and `run` share mean, with no parser: ``Shared`` checks them and turns them into
settings overrides, the dates to build, and the logging set-up. cli/options.py declares them to typer; a
command read without typer (cli/direct.py) hands them here as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailydiff.cli.base import build_settings
from dailydiff.common.dates import DateSpec, checked_days, clock
from dailydiff.common.logs import setup_logging
from dailydiff.common.timewindow import check_timezone
from dailydiff.errors import UsageError

if TYPE_CHECKING:
    from dailydiff.settings import Settings  # the commands that build it import it (settings/whole.py)

FORMATS = ("md", "json", "html")
LANGUAGES = ("zh", "en")
LOG_FORMATS = ("text", "json")


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

    def flags(self) -> Any:
        """The flags that beat the settings file and a [[repos]] entry's keys (the plan layers them)."""
        from dailydiff.engine import Flags

        return Flags(self.tz, self.lang, self.format_list(), self.analyzer)

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
