"""The words a day's report says beside a commit that a ``[[watch]]`` alert told someone of (render/alert.py
renders the alerts themselves)."""

from __future__ import annotations

import datetime as dt

from dailydiff.common.i18n import words


def alerted_text(alerted_at: dt.datetime | None, language: str, zone: dt.tzinfo) -> str:
    """Says "alerted 2026-03-02 10:42", in the report's timezone ('' when it was not alerted)."""
    if alerted_at is None:
        return ""
    return str(words("alert", language)["alerted"]).format(
        when=alerted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    )
