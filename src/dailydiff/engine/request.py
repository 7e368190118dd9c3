"""What a command asks of the engine: its flags, parsed once into one typed value.

A command (cli/) builds one ``Request``, hands it to ``engine.plan`` and the plan to ``engine.run``, then
prints the outcomes with the one printer (engine/printer.py). Nothing else of the engine is visible to it.
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
    each repository's entry); ``store``: the command's open store."""

    command: str  # one of COMMANDS
    settings: Settings
    store: Any
    dates: DateSpec = field(default_factory=DateSpec)
    # --tz, --lang, --format, --analyzer: layered by the plan over the config and each [[repos]] entry
    tz: str | None = None
    lang: str | None = None
    formats: list[str] | None = None
    analyzer: str | None = None
    now: dt.datetime | None = None  # the run's clock (None: [run] now, checked against the days)
    yes: bool = False  # a range over [run] max_days is allowed
    config_dir: Path | None = None  # where relative paths of the config start
    # a repository given on the command line (`report`, `publish`, `weekly`), and its name
    source: str | None = None
    name: str | None = None
    repo: str | None = None  # `publish --repo`: the stored id as is
    branch: str = ""
    all_branches: bool = False
    outputs: Sequence[Any] = ()  # the command's own targets (stdout, -o): no ledger
    output_dir: Path | None = None  # `run -o`: the files target among the configured ones
    publish: bool = False  # deliver to the configured targets
    only: Sequence[str] = ()  # `publish --only`: these targets
    dry_run: bool = False  # `publish --dry-run`: the previews, nothing sent
    force: bool = False
    shard: str | None = None  # `run --shard I/N`
    plan_name: str | None = None  # `run --plan NAME`: claimed from the shared plan
    catch_up: bool = False  # a plain `run`: the nights missed before are built too
    week: str | None = None  # `weekly --week`
    digest: str | None = None  # `digest --name`
    audience: str | None = None  # `digest --audience`: beats each [[digest]] entry's own; `notes --audience`
    topic: str | None = None  # `watch test TOPIC`
    shas: Sequence[str] = ()  # `watch test TOPIC SHA…`
    span: str | None = None  # `notes SOURCE REF1..REF2`
    since_tag: bool = False  # `notes --since-tag`
    unreleased: bool = False  # `notes --unreleased`
    notes_format: str = "md"  # `notes --format`
    explain: str | None = None  # `report --explain SHA`
    reanalyze: str | None = None  # `report --reanalyze SHA`
    keep_commits: bool = False
    jobs: int | None = (
        None  # `site build --jobs`: processes writing the pages (None: one per core, at most 8)
    )
    from_json: Path | None = None  # `site build --from-json DIR`: the reports to build from, not the store
    tally: Any = None  # the progress the command shows
    say: Callable[[str], None] | None = None  # where the plan's notes go as it plans (None: nowhere)
    open_store: Callable[[], Any] | None = None  # a new connection to the store (worker threads)

    @property
    def flags(self) -> Flags:
        return Flags(self.tz, self.lang, self.formats, self.analyzer)
