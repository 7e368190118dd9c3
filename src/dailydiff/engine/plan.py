"""What a run does: which repositories (after sharding), with which effective settings. Pure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dailydiff.common.secrets import scrub
from dailydiff.errors import ConfigError, DailyDiffError, UsageError
from dailydiff.scoring.watch import topics_for
from dailydiff.settings import RepoEntry, Settings, WatchTopic
from dailydiff.settings.publishers import FilesEntry, GitHubContentsEntry
from dailydiff.sources import SourceOptions, forge_name, keeps_its_name

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
    settings: Settings  # the global settings with this entry's overrides applied
    topics: tuple[WatchTopic, ...]
    source: str  # entry.source, with a relative local path resolved against the config file's directory
    source_options: SourceOptions = field(default_factory=SourceOptions)
    # owner_name in paths and messages when another configured repository has the same short name
    qualified_name: str = ""
    # The repository's id, decided once in the plan (``repo_identity``): the store, logs, units, paths and
    # digests name it so. Empty for `report SOURCE` without a name until its source is opened.
    repo_id: str = ""

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def label(self) -> str:
        return redact(self.repo_id or self.entry.key)


def log_extra(job: RepoJob) -> dict[str, str]:
    """What a log record of a repository carries: ``repo``, its id (``repo_identity``: the one its report,
    the store and the summary use; `report SOURCE` corrects it to the opened source's once known), and
    ``source``, where it is read from (redacted)."""
    repo = job.repo_id or job.source_options.name or ""
    if not repo:
        try:
            repo = repo_identity(job.entry)
        except (DailyDiffError, OSError, ValueError):  # opening the source says what is wrong with it
            repo = job.entry.key
    return {"repo": redact(repo), "source": redact(job.entry.source)}


def redact(text: str) -> str:
    """A source for logs and summaries: credentials in a URL (https://user:token@host) are hidden."""
    return scrub(text)


def effective_settings(settings: Settings, entry: RepoEntry) -> Settings:
    report = settings.report.model_copy(
        update={
            k: v for k, v in {"timezone": entry.timezone, "language": entry.language}.items() if v is not None
        }
    )
    git = settings.git.model_copy(
        update={
            k: v
            for k, v in {"branch": entry.branch, "all_branches": entry.all_branches}.items()
            if v is not None
        }
    )
    if entry.branch:
        git = git.model_copy(update={"all_branches": False})
    elif entry.all_branches:
        git = git.model_copy(update={"branch": ""})
    analysis = settings.analysis.model_copy(update={"analyzer": entry.analyzer} if entry.analyzer else {})
    forges = settings.in_forge_mode(entry.mode) if entry.mode else settings
    return forges.model_copy(update={"report": report, "git": git, "analysis": analysis})


def resolve_source(source: str, base_dir: Path | None) -> str:
    """A relative path in the config means relative to the config file, wherever `run` starts from."""
    if base_dir is None or "://" in source or Path(source).expanduser().is_absolute():
        return source
    candidate = base_dir / source
    return str(candidate) if candidate.exists() else source


def plan_jobs(settings: Settings, shard: Shard | None = None, base_dir: Path | None = None) -> list[RepoJob]:
    if not settings.repos:
        raise ConfigError(
            "no repositories configured",
            "add [[repos]] entries to dailydiff.toml (`dailydiff init` writes an example)",
        )
    ids = qualified_ids(settings.repos, base_dir)
    check_paths(settings, ids)
    short = [repo_id.rsplit("/", 1)[-1] for repo_id in ids]
    jobs = []
    for index, entry in enumerate(settings.repos, 1):
        if shard is not None and shard_of(entry.key, shard.count) != shard.index:
            continue
        effective = effective_settings(settings, entry)
        repo_id = ids[index - 1]
        clash = short.count(repo_id.rsplit("/", 1)[-1]) > 1
        jobs.append(
            RepoJob(
                index=index,
                entry=entry,
                settings=effective,
                topics=tuple(topics_for(settings.watch, entry.watch)),
                source=resolve_source(entry.source, base_dir),
                source_options=SourceOptions(
                    # A GitHub repository is named owner/name; `name` renames clones, URLs and renamable forges.
                    name=None if keeps_its_name(entry.source) else repo_id,
                    branch=effective.git.branch,
                    all_branches=effective.git.all_branches,
                ),
                qualified_name=repo_id.replace("/", "_") if clash and "/" in repo_id else "",
                repo_id=repo_id,
            )
        )
    return jobs


def _last_parts(source: str) -> list[str]:
    path = source.split("://", 1)[-1].rsplit(":", 1)[-1] if "://" in source or "@" in source else source
    parts = [
        p for p in path.replace("\\", "/").rstrip("/").removesuffix(".git").split("/") if p not in {"", "."}
    ]
    return parts[-2:] if parts else ["repository"]


def _qualified_clone(entry: RepoEntry, repo_id: str) -> str | None:
    return repo_id if "/" in repo_id and not keeps_its_name(entry.source) else None


def repo_identity(entry: RepoEntry, base_dir: Path | None = None) -> str:
    """The one rule for a configured repository's id: its ``name``; else ``owner/name`` for GitHub, and
    for a clone or URL whatever its remote says (``owner/name`` where the origin is a forge), else the last
    part of its path or URL. Logs, plan units, digests and file paths all use it."""
    if entry.name:
        return entry.name
    named = forge_name(entry.source)
    if named is not None:
        return named
    from dailydiff.sources.git import source_identity

    return source_identity(resolve_source(entry.source, base_dir))


def qualified_ids(entries: Sequence[RepoEntry], base_dir: Path | None = None) -> list[str]:
    """Each configured repository's id (``repo_identity``), owner-qualified where two would be the same:
    two clones (or git URLs) both named ``repo`` become ``<parent>/repo`` each; a forge's ids are qualified
    already."""
    ids = [repo_identity(entry, base_dir) for entry in entries]
    plain = list(ids)
    for index, entry in enumerate(entries):
        if entry.name or forge_name(entry.source) is not None or plain.count(plain[index]) < 2:
            continue
        parts = _last_parts(resolve_source(entry.source, base_dir))
        if len(parts) == 2:
            ids[index] = "/".join(parts)
    return ids


def entry_name(entry: RepoEntry, settings: Settings, base_dir: Path | None = None) -> str | None:
    """The name `run` stores a non-GitHub [[repos]] entry under when it decides it: its ``name``, or the
    owner-qualified id of a clone whose short name another entry shares (None: the source's own name)."""
    if entry.name:
        return entry.name
    index = next(i for i, e in enumerate(settings.repos) if e is entry)
    return _qualified_clone(entry, qualified_ids(settings.repos, base_dir)[index])


def clash_name(repo_id: str, settings: Settings, base_dir: Path | None = None) -> str:
    """``owner_name`` for a configured repository whose short name another configured one shares (its
    name in paths and messages), else ''."""
    ids = qualified_ids(settings.repos, base_dir)
    short = repo_id.rsplit("/", 1)[-1]
    if repo_id not in ids or "/" not in repo_id or [i.rsplit("/", 1)[-1] for i in ids].count(short) < 2:
        return ""
    return repo_id.replace("/", "_")


def check_paths(settings: Settings, ids: Sequence[str]) -> None:
    """Two configured repositories whose reports would land on one path are a configuration error that
    names both (a project and its fork writing one file, each saying "published")."""
    import datetime as dt

    from dailydiff.common import placeholders

    templates = [("[report] path_template", settings.report.path_template)]
    templates += [(f"publish {p.name or p.type} path_template", p.path_template)
                  for p in settings.publish if isinstance(p, FilesEntry | GitHubContentsEntry)]  # fmt: skip
    short = [repo_id.rsplit("/", 1)[-1] for repo_id in ids]
    for where, template in templates:
        owners: dict[str, int] = {}
        for index, repo_id in enumerate(ids):
            qualified = repo_id.replace("/", "_") if short.count(short[index]) > 1 and "/" in repo_id else ""
            values = {**placeholders.repo_values(repo_id), "repo_name": qualified or short[index], "year": "2026",
                      "month": "01", "day": "01", "date": dt.date(2026, 1, 1).isoformat(), "lang": "zh", "ext": "md"}  # fmt: skip
            path = template.format_map(values)
            if path in owners:
                first = settings.repos[owners[path]]
                raise ConfigError(
                    f"repos[{owners[path] + 1}] ({redact(first.source)}) and repos[{index + 1}] "
                    f"({redact(settings.repos[index].source)}) would write the same report file ({where} "
                    f"{template!r} gives {path!r})",
                    "give one of them a distinct `name`, or use {repo_slug} or {owner}/{repo_name} in the template",
                )
            owners[path] = index


def adhoc_job(
    source: str,
    settings: Settings,
    *,
    name: str | None = None,
    branch: str = "",
    all_branches: bool = False,
    watch: Sequence[WatchTopic] | None = None,
) -> RepoJob:
    """`report SOURCE`: a plan of one repository that is not in the config, with the global settings."""
    # Not validated as a [[repos]] entry: SOURCE and --name are checked where they are used (the source
    # opener and check_repo_id), with their own messages.
    entry = RepoEntry.model_construct(source=source)
    return RepoJob(
        index=0,
        entry=entry,
        settings=settings,
        topics=tuple(settings.watch if watch is None else watch),
        source=source,
        source_options=SourceOptions(name=name, branch=branch, all_branches=all_branches),
    )
