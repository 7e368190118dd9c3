"""Alert rules: whether a ``[[watch]]`` topic fires for a commit, and why (pure; no I/O).

A topic fires when the commit matches it (scoring/watch.py: a keyword, path glob, author or ``diff``
regex; a topic with none of them matches every commit) **and** passes its filters: the commit's level is
at least ``min_level`` and, when ``types`` is set, the commit has one of them. Every reason is one short
line, in the order the topic lists its criteria; `dailydiff watch test` prints them, alerts quote them.

Quiet hours (``quiet = "22:00-07:00"``) are a window of the day in a timezone; a window whose end is before
its start runs past midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dailydiff.models import Commit, Level
from dailydiff.scoring.watch import (
    author_pattern,
    glob_pattern,
    keyword_pattern,
    numbered_diff_lines,
    text_fields,
)
from dailydiff.settings.ops import WatchTopic, quiet_hours

_BREAKING_RE = re.compile(r"^\w+(?:\([^)]*\))?!:|^BREAKING[ -]CHANGE:", re.M)
_LEVEL_RANK = {"low": 1, "medium": 2, "high": 3}
DIFF_LINE_CHARS = 80  # the text before a match quoted in a reason is cut to its last characters
_SIGNS = {"+": "added", "-": "removed"}


def masked(line: str, match: re.Match[str]) -> str:
    """A matched diff line as a reason quotes it: the text before the match (its last characters), and what
    the rule matched and the rest of the line masked (a ``password =`` rule's match is followed by the
    password, a key's pattern matches the key)."""
    before = line[1 : match.start()].strip()[-DIFF_LINE_CHARS:]
    return f"{before} ••• (masked)" if before else "••• (masked)"


def quiet_window(text: str, now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The quiet window (start, end) that holds ``now``, in ``timezone``; None when ``now`` is not quiet."""
    if not text:
        return None
    start_time, end_time = quiet_hours(text)
    local = now.astimezone(ZoneInfo(timezone))
    for days_back in (0, 1):
        day = local.date() - dt.timedelta(days=days_back)
        start = dt.datetime.combine(day, start_time, local.tzinfo)
        end = dt.datetime.combine(day + dt.timedelta(days=end_time <= start_time), end_time, local.tzinfo)
        if start <= local < end:
            return start, end
    return None


def last_quiet_window(text: str, now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The latest quiet window that has ended by ``now`` (None when the topic has no quiet hours)."""
    if not text:
        return None
    start_time, end_time = quiet_hours(text)
    local = now.astimezone(ZoneInfo(timezone))
    for days_back in (0, 1, 2):
        day = local.date() - dt.timedelta(days=days_back)
        start = dt.datetime.combine(day, start_time, local.tzinfo)
        end = dt.datetime.combine(day + dt.timedelta(days=end_time <= start_time), end_time, local.tzinfo)
        if end <= local:
            return start, end
    return None


@dataclass(frozen=True)
class Verdict:
    topic: str
    fires: bool
    reasons: list[str] = field(default_factory=list)  # why it fires, or why not

    def line(self) -> str:
        return "; ".join(self.reasons)


def commit_types(commit: Commit, change_types: Sequence[str]) -> list[str]:
    """The commit's change types (its analysis's), with "breaking" when its message marks it so."""
    found = list(change_types)
    if _BREAKING_RE.search(commit.message) and "breaking" not in found:
        found.append("breaking")
    return found


def _criteria(commit: Commit, topic: WatchTopic) -> tuple[bool, list[str]]:
    """Whether the topic's criteria match (True when it has none), with the first reason of each kind."""
    reasons = _named_reasons(commit, topic)[:3]
    reasons += [r for pattern in topic.diff if (r := _diff_reason(commit, pattern))]
    has_criteria = bool(topic.keywords or topic.paths or topic.authors or topic.diff)
    return (bool(reasons) or not has_criteria), reasons


def _named_reasons(commit: Commit, topic: WatchTopic) -> list[str]:
    """The topic's keywords, paths and authors the commit matches, as reasons, in that order."""
    texts = text_fields(commit)
    people = [v for v in (commit.author.name, commit.author.email, commit.author.login or "") if v]
    return (
        [f"keyword {k!r}" for k in topic.keywords if any(keyword_pattern(k).search(text) for text in texts)]
        + [f"path {c.path} matches {g!r}" for g in topic.paths for c in commit.files
           if glob_pattern(g).match(c.path) or (c.previous_path and glob_pattern(g).match(c.previous_path))]
        + [f"author matches {a!r}" for a in topic.authors if any(author_pattern(a).match(v) for v in people)]
    )  # fmt: skip


def _diff_reason(commit: Commit, pattern: str) -> str:
    """The first changed line ``pattern`` matches, as a reason ("" when none does)."""
    regex = re.compile(pattern)
    hit = next(
        ((p, n, m, line) for p, n, line in numbered_diff_lines(commit) if (m := regex.search(line))), None
    )
    if hit is None:
        return ""
    path, number, match, line = hit
    where = f"{path}:{number}" if number else path
    return f"{_SIGNS[line[0]]} line {where} matches '{pattern}': {masked(line, match)}"


def verdict(commit: Commit, topic: WatchTopic, level: Level | str, change_types: Sequence[str]) -> Verdict:
    """Whether ``topic`` fires for ``commit`` (rated ``level``, of ``change_types``), and why (not)."""
    matched, reasons = _criteria(commit, topic)
    if not matched:
        return Verdict(topic.name, False, ["no keyword, path, author or diff line matches"])
    level = Level(level)
    if _LEVEL_RANK[level.value] < _LEVEL_RANK[topic.min_level]:
        return Verdict(
            topic.name, False, [*reasons, f"level {level.value} is below min_level {topic.min_level}"]
        )
    if topic.types:
        types = commit_types(commit, change_types)
        shared = [t for t in topic.types if t in types]
        if not shared:
            return Verdict(topic.name, False, [*reasons, f"type {', '.join(types) or 'none'} is not one of "
                                                         f"{', '.join(topic.types)}"])  # fmt: skip
        reasons.append(f"type {', '.join(shared)}")
    if topic.min_level != "low":
        reasons.append(f"level {level.value}")
    return Verdict(topic.name, True, reasons)
