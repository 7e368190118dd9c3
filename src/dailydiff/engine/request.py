"""What a command asks of the engine: its flags, parsed once into typed values.

A command (cli/) builds one ``Request`` — what every command has (the settings, the store, the days, the flags
that beat the settings, where its units go: ``Targets``, the repository given on its command line: ``Given``)
and, in ``of``, what only that command has (``RunRequest``, ``ReportRequest``, ``DigestRequest``,
``WeeklyRequest``, ``NotesRequest``, ``WatchTestRequest``, ``SiteRequest``) — hands it to ``engine.plan`` and
the plan to ``engine.run``, then prints the outcomes with the one printer (engine/printer.py). Nothing else of
the engine is visible to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dailydiff.common.dates import DateSpec
from dailydiff.settings import Settings


@dataclass(frozen=True)
class Flags:
    """The command's flags that beat the settings file and a [[repos]] entry's keys."""

    timezone: str | None = None
    language: str | None = None
    formats: list[str] | None = None
    analyzer: str | None = None


@dataclass(frozen=True)
class Targets:
    """Where a command's units go, chosen in the plan from this one selector: the configured targets
    (``publish``; ``only`` these of them), the command's own outputs (``outputs``: stdout, -o; no ledger),
    `run -o`'s directory as its files target (``output_dir``), or nothing sent (``dry_run``: the previews)."""

    outputs: Sequence[Any] = ()
    output_dir: Path | None = None
    publish: bool = False
    only: Sequence[str] = ()
    dry_run: bool = False


@dataclass(frozen=True)
class Given:
    """A repository given on the command line (`report`, `publish`, `weekly`, `notes`): its SOURCE and name,
    or (`publish --repo`) the stored id as is; the branches to read."""

    source: str | None = None
    name: str | None = None
    repo: str | None = None
    branch: str = ""
    all_branches: bool = False


@dataclass(frozen=True)
class RunRequest:
    shard: str | None = None  # `run --shard I/N`
    plan_name: str | None = None  # `run --plan NAME`: claimed from the shared plan
    catch_up: bool = False  # a plain `run`: the nights missed before are built too


@dataclass(frozen=True)
class ReportRequest:
    explain: str | None = None  # `report --explain SHA` (and `--claims SHA`)
    reanalyze: str | None = None  # `report --reanalyze SHA`


@dataclass(frozen=True)
class DigestRequest:
    name: str | None = None  # `digest --name`
    audience: str | None = None  # `digest --audience`: beats each [[digest]] entry's own


@dataclass(frozen=True)
class WeeklyRequest:
    week: str | None = None  # `weekly --week`


@dataclass(frozen=True)
class NotesRequest:
    span: str | None = None  # `notes SOURCE REF1..REF2`
    since_tag: bool = False
    unreleased: bool = False
    fmt: str = "md"  # `notes --format`
    audience: str | None = None


@dataclass(frozen=True)
class WatchTestRequest:
    topic: str = ""  # `watch test TOPIC`
    shas: Sequence[str] = ()  # `watch test TOPIC SHA…`


@dataclass(frozen=True)
class SiteRequest:
    # `site build --jobs`: processes writing the pages (None: one per core, at most 8)
    jobs: int | None = None
    from_json: Path | None = None  # `site build --from-json DIR`: the reports to build from, not the store


# The commands the engine plans for, each with its own planner (engine/commands.py).
COMMANDS = (
    "run",
    "report",
    "explain",
    "claims",
    "publish",
    "digest",
    "weekly",
    "watch",
    "watch-test",
    "notes",
    "site",
)


@dataclass(frozen=True)
class Request:
    """One command's request. ``settings``: defaults < config (the flags are layered by the plan, over
    each repository's entry); ``store``: the command's open store; ``of``: what only this command has."""

    command: str  # one of COMMANDS
    settings: Settings
    store: Any
    dates: DateSpec = field(default_factory=DateSpec)
    flags: Flags = field(default_factory=Flags)  # --tz, --lang, --format, --analyzer
    targets: Targets = field(default_factory=Targets)
    given: Given = field(default_factory=Given)
    of: Any = None  # the command's own request (RunRequest, ReportRequest, …)
    now: dt.datetime | None = None  # the run's clock (None: [run] now, checked against the days)
    yes: bool = False  # a range over [run] max_days is allowed
    force: bool = False
    config_dir: Path | None = None  # where relative paths of the config start
    tally: Any = None  # the progress the command shows
    say: Callable[[str], None] | None = None  # where the plan's notes go as it plans (None: nowhere)
    open_store: Callable[[], Any] | None = None  # a new connection to the store (worker threads)
