"""Commit sources. A source has a ``repo`` id, an optional ``repo_url`` and one method,
``commits(window) -> list[Commit]`` returning the commits whose committer date is in ``[start, end)``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dailydiff.errors import SourceError
from dailydiff.settings import Settings
from dailydiff.sources.base import CommitSource, SourceOptions, check_repo_id
from dailydiff.sources.git import GitSource, is_git_url
from dailydiff.sources.github import GitHubSource, open_github

OpenSource = Callable[[str, Settings, SourceOptions, object], CommitSource]

_GITHUB_RE = re.compile(r"^(?:github:)?[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def _open_git(spec: str, settings: Settings, options: SourceOptions, store: object) -> CommitSource:
    return GitSource.open(
        spec,
        settings.data_path,
        name=options.name,
        branch=options.branch or settings.git.branch,
        all_branches=options.all_branches or settings.git.all_branches,
        include_merges=settings.git.include_merges,
        max_patch_bytes=settings.git.max_patch_bytes,
        forge=settings.git.forge,
    )


# name -> opener
SOURCES: dict[str, OpenSource] = {"git": _open_git, "github": open_github}


def source_kind(spec: str) -> str:
    """Which source a SOURCE argument names: an existing path or a git URL is git; owner/name is GitHub."""
    if is_git_url(spec) or Path(spec).expanduser().exists():
        return "git"
    if _GITHUB_RE.match(spec):
        return "github"
    raise SourceError(
        f"{spec} is neither an existing path, a git URL nor a GitHub owner/name",
        "check the spelling, or pass the path to a git clone",
    )


def open_source(
    spec: str, settings: Settings, options: SourceOptions | None = None, store: object = None
) -> CommitSource:
    kind = source_kind(spec)
    opener = SOURCES.get(kind)
    if opener is None:
        raise SourceError(
            f"the {kind} source is not available in this build", f"choose one of: {', '.join(SOURCES)}"
        )
    source = opener(spec, settings, options or SourceOptions(), store)
    check_repo_id(source.repo)
    return source


__all__ = [
    "SOURCES",
    "CommitSource",
    "GitHubSource",
    "GitSource",
    "SourceOptions",
    "check_repo_id",
    "open_source",
    "source_kind",
]
