"""Settings for running every day: the ``[run]`` and ``[weekly]`` sections, ``[[repos]]`` entries and
``[[watch]]`` topics. Kept apart from config.py (which imports them) so that file stays small.

Entries are validated with messages that name the key the way a user finds it in the file:
``repos[2].source`` is the ``source`` of the second ``[[repos]]`` entry (counting from 1).
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from dailydiff.common import placeholders
from dailydiff.common.text import is_printable_line
from dailydiff.common.timewindow import TIMEZONE_HINT, is_timezone
from dailydiff.kinds import ChangeType
from dailydiff.settings.sections import _Section


class RunSettings(_Section):
    concurrency: int = Field(ge=0, le=64)  # 0: found (engine/room.py)
    output_dir: str
    summary_json: str
    claim_timeout: float = Field(gt=0)
    settle: float = Field(ge=0)
    lookback_days: int = Field(ge=0, le=31)
    catch_up_days: int = Field(default=7, ge=0, le=366)
    max_days: int = Field(ge=1)
    alert_after: int = Field(ge=0)
    now: str = ""

    @field_validator("now")
    @classmethod
    def _instant(cls, value: str) -> str:
        if value:
            import datetime as dt

            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    "use an ISO 8601 instant with its offset, e.g. 2026-04-23T23:00:00+08:00"
                ) from None
            if moment.tzinfo is None:
                raise ValueError("give the instant's offset, e.g. 2026-04-23T23:00:00+08:00")
        return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WeeklySettings(_Section):
    path_template: str
    top_commits: int = Field(ge=1, le=200)
    formats: list[Literal["md", "json", "html"]]
    publishers: list[str] = Field(default_factory=list)  # names of publishers `run` delivers each week to
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "sunday"
    audience: Literal["engineer", "stakeholder"] = "engineer"

    def delivers_on(self, date: dt.date) -> bool:
        """A run that builds ``date`` delivers the week of ``date`` (``weekday`` = sunday: the whole week)."""
        return bool(self.publishers) and WEEKDAYS[date.weekday()] == self.weekday

    @field_validator("path_template")
    @classmethod
    def _path(cls, value: str) -> str:
        return placeholders.check(value, placeholders.WEEK_PATH_PLACEHOLDERS, path=True)


# What `types` may name: every change type, "breaking", and the short names people write for them.
TYPE_ALIASES = {"perf": "performance", "fix": "bugfix", "feat": "feature", "deps": "dependency",
                "dependencies": "dependency", "ci": "ci_build", "build": "ci_build", "doc": "docs",
                "tests": "test", "sec": "security"}  # fmt: skip
TYPES = frozenset({*(t.value for t in ChangeType), "breaking"})
# A breaking change, as Conventional Commits mark it: "feat!:" / "fix(api)!:", or a BREAKING CHANGE footer.
_QUIET_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def check_types(types: Sequence[str]) -> list[str]:
    """The types as change types (aliases resolved); ValueError naming the valid ones for an unknown name."""
    resolved = [TYPE_ALIASES.get(t.lower(), t.lower()) for t in types]
    unknown = [t for t, r in zip(types, resolved, strict=True) if r not in TYPES]
    if unknown:
        raise ValueError(
            f"unknown type {unknown[0]!r}; use one of {', '.join(sorted({*TYPES, *TYPE_ALIASES}))}"
        )
    return resolved


def quiet_hours(text: str) -> tuple[dt.time, dt.time]:
    """``"22:00-07:00"`` as (start, end); ValueError saying the form otherwise."""
    found = _QUIET_RE.match(text.strip())
    if not found:
        raise ValueError(f"quiet {text!r}: write the hours as HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
        raise ValueError(f"quiet {text!r}: two different times of day, HH:MM-HH:MM, e.g. 22:00-07:00")
    return dt.time(h1, m1), dt.time(h2, m2)


def _timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError(f"unknown timezone; {TIMEZONE_HINT}")
    return value


# An IANA timezone name, refused with the hint when unknown.
Timezone = Annotated[str, AfterValidator(_timezone)]

# What an item of a topic's list is called in its error.
_ITEM = {"keywords": "keyword", "paths": "path glob", "authors": "author"}


def _text_list(values: list[str], what: str) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError(f"empty {what}; remove it or write one")
    if not all(is_printable_line(v) for v in cleaned):
        raise ValueError(f"{what} contains a control or bidi character")
    return cleaned


class WatchTopic(_Section):
    """A topic to watch: a commit matches when any keyword, path glob or author matches."""

    name: str
    keywords: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    # Alerts (scoring/alerting.py, engine/alerts.py): regexes over a commit's added/removed lines; the
    # [[publish]] names told at once; the least level and the change types an alert needs; quiet hours
    # ("22:00-07:00", in the report's timezone) that hold alerts until they end; at most this many single
    # alerts an hour per target (the rest folded into one message).
    diff: list[str] = Field(default_factory=list)
    alert: list[str] = Field(default_factory=list)
    min_level: Literal["high", "medium", "low"] = "low"
    types: list[str] = Field(default_factory=list)
    quiet: str = ""
    max_per_hour: int = Field(default=10, ge=1, le=1000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value or not is_printable_line(value):
            raise ValueError("a watch topic needs a printable, non-empty name")
        return value

    @field_validator("diff")
    @classmethod
    def _diff(cls, value: list[str]) -> list[str]:
        for pattern in _text_list(value, "diff regex"):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"diff regex {pattern!r} is not a regular expression: {exc}") from None
        return value

    @field_validator("types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return check_types(_text_list(value, "type"))

    @field_validator("quiet")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if value.strip():
            quiet_hours(value)  # raises ValueError with what is wrong
        return value.strip()

    @field_validator("keywords", "paths", "authors")
    @classmethod
    def _texts(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _text_list(value, _ITEM[str(info.field_name)])

    @model_validator(mode="after")
    def _something_to_match(self) -> "WatchTopic":
        if not (self.keywords or self.paths or self.authors or self.diff or self.types):
            raise ValueError("a watch topic needs at least one of keywords, paths, authors, diff or types")
        return self


class RepoEntry(_Section):
    """One followed repository. Unset optional keys fall back to the global settings."""

    source: str
    name: str | None = None
    branch: str | None = None
    all_branches: bool | None = None
    timezone: Timezone | None = None
    language: Literal["zh", "en"] | None = None
    analyzer: Literal["heuristic", "llm", "auto"] | None = None
    mode: Literal["api", "clone"] | None = None  # [github] / [gitlab] mode, for this repository's forge
    watch: list[str] | None = None  # names of [[watch]] topics; unset: every topic
    publishers: list[str] | None = None  # names of publishers; unset: every configured publisher

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(
                "empty; use a GitHub owner/name, gitlab:group/project, a local path or a git URL"
            )
        if not is_printable_line(value):
            raise ValueError("contains a control or bidi character")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or not is_printable_line(value) or ".." in value.split("/"):
            raise ValueError("a repository name must be printable, non-empty and without '..'")
        return value

    @property
    def key(self) -> str:
        """The stable name of the entry: what shards are assigned by and what logs call it."""
        return self.name or self.source


class DigestEntry(_Section):
    """One daily digest across repositories: which ones (all, names or globs), delivered by which
    publishers, in which language (default: the report language)."""

    name: str
    repos: list[str] = Field(default_factory=lambda: ["*"])
    publishers: list[str] | None = None  # names of publishers; unset: every configured publisher
    language: Literal["zh", "en"] | None = None
    audience: Literal["engineer", "stakeholder"] = "engineer"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
            raise ValueError(
                f"{value!r} is not a digest name; use letters, digits, '.', '_' or '-' (it names files and URLs)"
            )
        return value

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('empty; use ["*"] for every repository, names, or globs like "sgl-project/*"')
        return _text_list(value, "repository pattern")

    @property
    def ledger_repo(self) -> str:
        """The repository id of this digest in the delivery ledger: never a repository's own id."""
        return f"digest:{self.name}"


def unique_names(names: Iterable[str], section: str, what: str, advice: str = "") -> dict[str, int]:
    """Each name of a list of entries → its place (from 1); a ValueError that starts with the key, for a name
    given twice (two entries of one name could not be told apart)."""
    first: dict[str, int] = {}
    for index, name in enumerate(names, 1):
        if name in first:
            raise ValueError(
                f"{section}[{index}].name: duplicate {what} {name!r} (also {section}[{first[name]}]){advice}"
            )
        first[name] = index
    return first


def check_alert_targets(topics: Sequence[WatchTopic], publishers: Sequence[str]) -> None:
    """Every name a topic's ``alert`` gives is a [[publish]] entry's: an alert to no target is never sent."""
    for index, topic in enumerate(topics, 1):
        for name in topic.alert:
            if name not in publishers:
                known = ", ".join(publishers) or "none yet"
                raise ValueError(f"watch[{index}].alert: {name!r} is no [[publish]] entry's name (publishers: "
                                 f"{known}) — add a [[publish]] entry named {name!r}, or alert one of these")  # fmt: skip


def check_repos_and_topics(repos: Sequence[RepoEntry], topics: Sequence[WatchTopic]) -> None:
    """Checks across entries; raises ValueError with a message that starts with the key."""
    names = unique_names((topic.name for topic in topics), "watch", "topic")
    keys: dict[str, int] = {}
    for index, repo in enumerate(repos, 1):
        if repo.key in keys:
            raise ValueError(
                f"repos[{index}]: {repo.key!r} is listed twice (also repos[{keys[repo.key]}]); "
                "remove one or give each a distinct name"
            )
        keys[repo.key] = index
        if repo.branch and repo.all_branches:
            raise ValueError(f"repos[{index}].branch: cannot be combined with all_branches = true; pick one")
        for wanted in repo.watch or []:
            if wanted not in names:
                known = ", ".join(names) or "none defined"
                raise ValueError(f"repos[{index}].watch: unknown watch topic {wanted!r} (topics: {known})")
