"""The time-window module (common/timewindow.py) as pure functions, with expected instants written out
by hand from the zones' published rules: the fast unit tests `make mutation` runs against it (the
end-to-end exactness over git histories is tests/test_windows.py)."""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pytest

from dailydiff.common.timewindow import (
    TIMEZONE_HINT,
    check_timezone,
    day_window,
    days,
    is_timezone,
    local_date_of,
    parse_date,
    range_window,
)
from dailydiff.errors import ConfigError, UsageError


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("date", "zone", "start", "end"),
    [
        (dt.date(2026, 1, 19), "Asia/Shanghai", utc(2026, 1, 18, 16), utc(2026, 1, 19, 16)),
        (dt.date(2026, 1, 19), "UTC", utc(2026, 1, 19), utc(2026, 1, 20)),
        # Berlin springs forward at 02:00 on 29 March (a 23-hour day) and falls back on 25 October (25).
        (dt.date(2026, 3, 29), "Europe/Berlin", utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
        (dt.date(2026, 10, 25), "Europe/Berlin", utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),
        # Havana skips its midnight on 8 March (00:00 → 01:00): the day starts at 01:00 CDT, 05:00 UTC.
        (dt.date(2026, 3, 8), "America/Havana", utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
        (dt.date(2026, 3, 7), "America/Havana", utc(2026, 3, 7, 5), utc(2026, 3, 8, 5)),
    ],
)
def test_a_day_is_local_midnight_to_midnight_in_utc(date: dt.date, zone: str, start: dt.datetime,
                                                    end: dt.datetime) -> None:  # fmt: skip
    for tz in (zone, ZoneInfo(zone)):
        window = day_window(date, tz)
        assert (window.start, window.end) == (start, end)
        assert window.start.utcoffset() == dt.timedelta(0)


def test_consecutive_days_share_their_boundary_and_a_range_spans_them() -> None:
    for zone in ("Europe/Berlin", "America/Havana", "Australia/Lord_Howe"):
        first, last = dt.date(2026, 3, 1), dt.date(2026, 11, 30)
        dates = days(first, last)
        assert [day_window(a, zone).end for a in dates[:-1]] == [day_window(b, zone).start for b in dates[1:]]
        both = range_window(first, last, zone)
        assert (both.start, both.end) == (day_window(first, zone).start, day_window(last, zone).end)
    shanghai = range_window(dt.date(2026, 1, 18), dt.date(2026, 1, 19), ZoneInfo("Asia/Shanghai"))
    assert (shanghai.start, shanghai.end) == (utc(2026, 1, 17, 16), utc(2026, 1, 19, 16))


def test_days_are_every_date_from_first_to_last_and_refuse_a_reversed_range() -> None:
    assert days(dt.date(2026, 2, 27), dt.date(2026, 3, 2)) == [
        dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 3, 2)]  # fmt: skip
    assert days(dt.date(2026, 1, 5), dt.date(2026, 1, 5)) == [dt.date(2026, 1, 5)]
    with pytest.raises(UsageError) as reversed_range:
        days(dt.date(2026, 1, 6), dt.date(2026, 1, 5))
    assert reversed_range.value.message == "--from 2026-01-06 is after --to 2026-01-05"
    assert reversed_range.value.hint == "swap the two dates"


@pytest.mark.parametrize("name", ["Asia/Shanghai", "UTC", "America/Argentina/Buenos_Aires"])
def test_an_iana_name_is_a_timezone(name: str) -> None:
    assert is_timezone(name) and check_timezone(name) == ZoneInfo(name)


@pytest.mark.parametrize("name", ["Mars/Olympus", "+08:00", "../etc/passwd", "", "Asia/"])
def test_anything_else_is_refused_with_the_hint(name: str) -> None:
    assert not is_timezone(name)
    with pytest.raises(ConfigError) as refused:
        check_timezone(name)
    assert refused.value.message == f"unknown timezone {name!r}" and refused.value.hint == TIMEZONE_HINT
    with pytest.raises(ConfigError):
        day_window(dt.date(2026, 1, 1), name)


NOW = utc(2026, 1, 19, 17, 30)  # already 20 January in Shanghai, still the 19th in New York


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("today", "Asia/Shanghai", dt.date(2026, 1, 20)),
        (" Yesterday ", "Asia/Shanghai", dt.date(2026, 1, 19)),
        ("TODAY", "America/New_York", dt.date(2026, 1, 19)),
        ("yesterday", "America/New_York", dt.date(2026, 1, 18)),
        ("2026-02-28", "UTC", dt.date(2026, 2, 28)),
        ("1900-01-01", "UTC", dt.date(1900, 1, 1)),
        ("9998-12-31", "Pacific/Kiritimati", dt.date(9998, 12, 31)),
    ],
)
def test_a_date_is_iso_today_or_yesterday_in_the_reports_timezone(text: str, zone: str,
                                                                   expected: dt.date) -> None:  # fmt: skip
    assert parse_date(text, zone, now=NOW) == expected
    assert parse_date(text, ZoneInfo(zone), now=NOW) == expected


def test_without_a_clock_today_is_now() -> None:
    before = dt.datetime.now(dt.UTC).date()
    assert parse_date("today", "UTC") in (before, dt.date.today(), before + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("2026-1-5", "bad date '2026-1-5'", "use YYYY-MM-DD, 'today' or 'yesterday'"),
        ("x2026-01-05", "bad date 'x2026-01-05'", "use YYYY-MM-DD, 'today' or 'yesterday'"),
        ("2026-01-05x", "bad date '2026-01-05x'", "use YYYY-MM-DD, 'today' or 'yesterday'"),
        ("tomorrow", "bad date 'tomorrow'", "use YYYY-MM-DD, 'today' or 'yesterday'"),
        ("2026-02-30", "bad date '2026-02-30': no such day", "use a real calendar date, YYYY-MM-DD"),
        ("1899-12-31", "bad date '1899-12-31': out of range", "use a day from 1900-01-01 to 9998-12-31"),
        ("9999-01-01", "bad date '9999-01-01': out of range", "use a day from 1900-01-01 to 9998-12-31"),
    ],
)
def test_a_bad_date_says_what_to_type(text: str, message: str, hint: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_date(text, "UTC", now=NOW)
    assert (refused.value.message, refused.value.hint) == (message, hint)
    assert refused.value.__cause__ is None


def test_an_unknown_timezone_is_refused_before_a_date_is_read() -> None:
    with pytest.raises(ConfigError):
        parse_date("2026-01-05", "Nowhere/City", now=NOW)
    with pytest.raises(ConfigError):
        local_date_of(NOW, "Nowhere/City")


def test_the_local_date_of_an_instant() -> None:
    assert local_date_of(NOW, "Asia/Shanghai") == dt.date(2026, 1, 20)
    assert local_date_of(NOW, ZoneInfo("America/New_York")) == dt.date(2026, 1, 19)
    assert local_date_of(utc(2026, 1, 18, 16), "Asia/Shanghai") == dt.date(2026, 1, 19)  # its first instant
    assert local_date_of(utc(2026, 1, 18, 15, 59, 59), "Asia/Shanghai") == dt.date(2026, 1, 18)


def test_windows_are_in_utc_whatever_the_machines_timezone() -> None:
    # A machine set to another zone must not change the windows' offsets (they are stored and compared).
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        window = day_window(dt.date(2026, 1, 19), "Asia/Shanghai")
        assert window.start.tzinfo is dt.UTC and window.end.tzinfo is dt.UTC
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_a_moment_reads_in_the_reports_zone_with_its_offset() -> None:
    from zoneinfo import ZoneInfo

    from dailydiff.common.timewindow import local_moment

    moment = dt.datetime(2026, 1, 20, 1, 0, 5, tzinfo=dt.UTC)
    assert local_moment(moment, "Asia/Shanghai") == "2026-01-20 09:00:05 (UTC+08:00)"
    assert local_moment(moment, ZoneInfo("America/St_Johns")) == "2026-01-19 21:30:05 (UTC-03:30)"
    assert local_moment(None, "Asia/Shanghai") == "—"
