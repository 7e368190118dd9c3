"""Days as half-open UTC windows. A day is [00:00, 24:00) of a calendar date in an IANA timezone;
consecutive days share their boundary instant, so nothing is lost or counted twice, DST included."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dailydiff.errors import ConfigError, UsageError
from dailydiff.models import Window

if TYPE_CHECKING:  # the data model (pydantic) is imported by the windows, not by the date helpers
    from dailydiff.models import Window

_UTC = dt.UTC


TIMEZONE_HINT = "use an IANA name such as Asia/Shanghai, UTC or Europe/Berlin"


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_timezone(name: str) -> ZoneInfo:
    """The one place a timezone name is checked: config validators, flags and windows all come here."""
    if not is_timezone(name):
        raise ConfigError(f"unknown timezone {name!r}", TIMEZONE_HINT)
    return ZoneInfo(name)


def day_window(date: dt.date, tz: str | ZoneInfo) -> Window:
    zone = check_timezone(tz) if isinstance(tz, str) else tz
    return Window(start=_local_midnight(date, zone), end=_local_midnight(date + dt.timedelta(days=1), zone))


def _local_midnight(date: dt.date, zone: ZoneInfo) -> dt.datetime:
    # fold=0 maps a skipped midnight to the instant just after the gap and is used for both the end of
    # one day and the start of the next, which is all that matters for exactness.
    return dt.datetime.combine(date, dt.time(0), tzinfo=zone).astimezone(_UTC)


def range_window(first: dt.date, last: dt.date, tz: str | ZoneInfo) -> Window:
    return Window(start=day_window(first, tz).start, end=day_window(last, tz).end)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise UsageError(f"--from {first} is after --to {last}", "swap the two dates")
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Days whose windows exist in every timezone (datetime stops at years 1 and 9999).
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def parse_date(text: str, tz: str | ZoneInfo, *, now: dt.datetime | None = None) -> dt.date:
    """A calendar date: YYYY-MM-DD, ``today`` or ``yesterday`` (in the report's timezone)."""
    zone = check_timezone(tz) if isinstance(tz, str) else tz
    today = (now or dt.datetime.now(_UTC)).astimezone(zone).date()
    lowered = text.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - dt.timedelta(days=1)
    if not _DATE_RE.match(lowered):
        raise UsageError(f"bad date {text!r}", "use YYYY-MM-DD, 'today' or 'yesterday'")
    try:
        date = dt.date.fromisoformat(lowered)
    except ValueError:
        raise UsageError(f"bad date {text!r}: no such day", "use a real calendar date, YYYY-MM-DD") from None
    if not _FIRST_DAY <= date <= _LAST_DAY:
        raise UsageError(f"bad date {text!r}: out of range", f"use a day from {_FIRST_DAY} to {_LAST_DAY}")
    return date


def local_date_of(moment: dt.datetime, tz: str | ZoneInfo) -> dt.date:
    zone = check_timezone(tz) if isinstance(tz, str) else tz
    return moment.astimezone(zone).date()


def local_moment(moment: dt.datetime | None, tz: str | ZoneInfo) -> str:
    """A moment as readers of a report in ``tz`` read it: ``2026-01-20 09:00:00 (UTC+08:00)``; "—"
    for None."""
    if moment is None:
        return "—"
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"
