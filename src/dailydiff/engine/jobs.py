"""What a run does: which repositories (after sharding), with which effective settings. Pure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dailydiff.common import placeholders
from dailydiff.common.secrets import scrub
from dailydiff.engine.identity import RepoRef, configured_refs
from dailydiff.engine.request import Flags
from dailydiff.errors import ConfigError, UsageError
from dailydiff.scoring.watch import topics_for
from dailydiff.settings import RepoEntry, Settings, WatchTopic
from dailydiff.settings.publishers import FilesEntry, GitHubContentsEntry
from dailydiff.sources import SourceOptions

_SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str | None) -> Shard | None:
    if text is None:
        return None
    match = _SHARD_RE.match(text)
    if not match:
        raise UsageError(f"bad --shard {text!r}", "use I/N, e.g. --shard 1/3 for the first of three shards")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"bad --shard {text!r}: I must be between 1 and N", "e.g. --shard 2/3")
    return Shard(index, count)


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of a repository: stable across runs, machines and Python versions."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class RepoJob:
    index: int  # position in [[repos]], 1-based (for messages naming the key)
    entry: RepoEntry
    settings: Settings  # defaults < config < this entry's keys < the command's flags, layered once
    topics: tuple[WatchTopic, ...]
    ref: RepoRef  # its identity (engine/identity.py): every key, path, log record and row derives from it
    source_options: SourceOptions = field(default_factory=SourceOptions)

    @property
    def source(self) -> str:
        return self.ref.source

    @property
    def repo_id(self) -> str:
        return self.ref.id

    @property
    def qualified_name(self) -> str:
        return self.ref.path_name

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def label(self) -> str:
        return self.ref.label


def log_extra(job: RepoJob) -> dict[str, str]:
    """What a log record of a repository carries: ``repo``, its id (the one its report, the store and the
    summary use), and ``source``, where it is read from (redacted)."""
    return {"repo": scrub(job.repo_id), "source": scrub(job.entry.source)}


def effective_settings(settings: Settings, entry: RepoEntry, flags: Flags | None = None) -> Settings:
    """defaults < config < this ``[[repos]]`` entry < the command's flags: layered here, once."""
    return with_flags(_entry_over(settings, entry), flags)


def with_flags(settings: Settings, flags: Flags | None) -> Settings:
    """``settings`` with the command's flags on top: a flag beats a [[repos]] key too."""
    if flags is None:
        return settings
    report = _given(settings.report, timezone=flags.timezone, language=flags.language, formats=flags.formats)
    analysis = _given(settings.analysis, analyzer=flags.analyzer or None)
    return settings.model_copy(update={"report": report, "analysis": analysis})


def _entry_over(settings: Settings, entry: RepoEntry) -> Settings:
    report = _given(settings.report, timezone=entry.timezone, language=entry.language)
    git = _given(settings.git, branch=entry.branch, all_branches=entry.all_branches)
    if entry.branch:
        git = git.model_copy(update={"all_branches": False})
    elif entry.all_branches:
        git = git.model_copy(update={"branch": ""})
    analysis = _given(settings.analysis, analyzer=entry.analyzer or None)
    forges = settings.in_forge_mode(entry.mode) if entry.mode else settings
    return forges.model_copy(update={"report": report, "git": git, "analysis": analysis})


def _given(section: Any, **values: Any) -> Any:
    """A settings section with the values that are given (not None) put over its own."""
    return section.model_copy(update={key: value for key, value in values.items() if value is not None})


def plan_jobs(settings: Settings, shard: Shard | None = None, base_dir: Path | None = None,
              flags: Flags | None = None) -> list[RepoJob]:  # fmt: skip
    if not settings.repos:
        raise ConfigError(
            "no repositories configured",
            "add [[repos]] entries to dailydiff.toml (`dailydiff init` writes an example)",
        )
    refs = configured_refs(settings, base_dir)
    check_paths(settings, refs)
    jobs = []
    for index, (entry, ref) in enumerate(zip(settings.repos, refs, strict=True), 1):
        if shard is not None and shard_of(entry.key, shard.count) != shard.index:
            continue
        effective = effective_settings(settings, entry, flags)
        jobs.append(
            RepoJob(
                index=index,
                entry=entry,
                settings=effective,
                topics=tuple(topics_for(settings.watch, entry.watch)),
                ref=ref,
                source_options=SourceOptions(
                    name=ref.source_name, branch=effective.git.branch, all_branches=effective.git.all_branches
                ),
            )
        )
    return jobs


def check_paths(settings: Settings, refs: Sequence[RepoRef]) -> None:
    """Two configured repositories whose reports would land on one path are a configuration error that
    names both (a project and its fork writing one file, each saying "published")."""
    import datetime as dt

    templates = [("[report] path_template", settings.report.path_template)]
    templates += [(f"publish {p.name or p.type} path_template", p.path_template)
                  for p in settings.publish if isinstance(p, FilesEntry | GitHubContentsEntry)]  # fmt: skip
    for where, template in templates:
        owners: dict[str, int] = {}
        for index, ref in enumerate(refs):
            values = {**placeholders.repo_values(ref.id), "repo_name": ref.short, "year": "2026",
                      "month": "01", "day": "01", "date": dt.date(2026, 1, 1).isoformat(), "lang": "zh", "ext": "md"}  # fmt: skip
            path = template.format_map(values)
            if path in owners:
                first = settings.repos[owners[path]]
                raise ConfigError(
                    f"repos[{owners[path] + 1}] ({scrub(first.source)}) and repos[{index + 1}] "
                    f"({scrub(settings.repos[index].source)}) would write the same report file ({where} "
                    f"{template!r} gives {path!r})",
                    "give one of them a distinct `name`, or use {repo_slug} or {owner}/{repo_name} in the template",
                )
            owners[path] = index


def adhoc_job(
    ref: RepoRef,
    settings: Settings,
    *,
    branch: str = "",
    all_branches: bool = False,
    watch: Sequence[WatchTopic] | None = None,
) -> RepoJob:
    """`report SOURCE`: a plan of one repository that is not in the config, with the global settings."""
    # Not validated as a [[repos]] entry: SOURCE and --name are checked where they are used (the source
    # opener and check_repo_id), with their own messages.
    entry = RepoEntry.model_construct(source=ref.source)
    return RepoJob(
        index=0,
        entry=entry,
        settings=settings,
        topics=tuple(settings.watch if watch is None else watch),
        ref=ref,
        source_options=SourceOptions(name=ref.source_name, branch=branch, all_branches=all_branches),
    )
