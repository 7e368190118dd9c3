"""Which days a run covers. Resolved per repository, because "yesterday" depends on its timezone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dailydiff.common.timewindow import days, local_date_of, parse_date
from dailydiff.errors import UsageError


@dataclass(frozen=True)
class DateSpec:
    date: str | None = None  # YYYY-MM-DD, "today" or "yesterday" (the default)
    first: str | None = None
    last: str | None = None

    def check(self) -> None:
        if self.date and (self.first or self.last):
            raise UsageError("--date cannot be combined with --from/--to", "give either one day or a range")
        if (self.first or self.last) and not (self.first and self.last):
            raise UsageError(
                "--from and --to go together",
                "give both ends of the range, e.g. --from 2026-01-01 --to 2026-01-07",
            )
        self.resolve("UTC")  # bad dates fail before any work starts

    def resolve(self, tz: str, now: dt.datetime | None = None) -> list[dt.date]:
        if self.first and self.last:
            return days(parse_date(self.first, tz, now=now), parse_date(self.last, tz, now=now))
        return [parse_date(self.date or "yesterday", tz, now=now)]


def clock(now_setting: str) -> dt.datetime:
    """The current time: the system clock, or ``[run] now`` (DAILYDIFF_RUN_NOW) when a test sets it."""
    return dt.datetime.fromisoformat(now_setting) if now_setting else dt.datetime.now(dt.UTC)


def checked_days(
    spec: DateSpec, tz: str, now: dt.datetime, *, max_days: int, yes: bool = False
) -> list[dt.date]:
    """The days of ``spec`` in ``tz``, refused before any work when one is in the future (nothing has
    landed there yet, and an empty report would claim it) or when a range is longer than ``max_days``
    without ``--yes``."""
    dates = spec.resolve(tz, now)
    today = local_date_of(now, tz)
    if dates[-1] > today:
        raise UsageError(
            f"{dates[-1]} is in the future (today is {today} in {tz})", "ask for a day up to today"
        )
    if len(dates) > max_days and not yes:
        raise UsageError(
            f"--from {dates[0]} --to {dates[-1]} is {len(dates):,} days, more than [run] max_days ({max_days})",
            "add --yes to build every one of them, or narrow the range",
        )
    return dates


def resolve_dates(date: str | None, first: str | None, last: str | None, tz: str) -> list[dt.date]:
    """The days of --date or --from/--to in one timezone (checked first: bad input fails before any work)."""
    spec = DateSpec(date, first, last)
    spec.check()
    return spec.resolve(tz)
