"""Commit sources. A source has a ``repo`` id, an optional ``repo_url`` and one method,
``commits(window) -> list[Commit]`` returning the commits whose committer date is in ``[start, end)``.

The GitHub source (an HTTP client and asyncio) is imported when a GitHub repository is opened, so a
report of a local repository does not pay for it."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailydiff.errors import SourceError
from dailydiff.models import Commit, Window
from dailydiff.settings import Settings
from dailydiff.sources.base import CommitSource, SourceOptions, check_repo_id
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.git import GitSource, is_git_url

if TYPE_CHECKING:
    from dailydiff.sources.github import GitHubSource

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


def _open_github(spec: str, settings: Settings, options: SourceOptions, store: object) -> CommitSource:
    from dailydiff.sources.github import GitHubSource, github_options

    made = github_options(spec, settings, options, store)
    if settings.github.mode == "clone":
        import os

        from dailydiff.sources.github_clone import GitHubCloneSource

        return GitHubCloneSource(**made, data_dir=settings.data_path, git=settings.git, environ=os.environ)
    return GitHubSource(**made)


# name -> opener
SOURCES: dict[str, OpenSource] = {"git": _open_git, "github": _open_github}


def is_github_spec(spec: str) -> bool:
    """``owner/name`` as GitHub spells it (a path of that shape that exists locally is still a path)."""
    return bool(_GITHUB_RE.match(spec))


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


def __getattr__(name: str) -> Any:
    if name == "GitHubSource":
        from dailydiff.sources.github import GitHubSource

        return GitHubSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def stream_commits(
    source: CommitSource,
    window: Window,
    on_listed: Callable[[list[tuple[str, dt.datetime]]], None],
    on_commit: Callable[[Commit], None],
    *,
    github_slots: asyncio.Semaphore | None = None,
    on_unreadable: Callable[[str, dt.datetime, str], None] = lambda sha, placed_at, reason: None,
    budget: RequestBudget | None = None,
    day_of: Callable[[dt.datetime], dt.date] | None = None,
) -> None:
    """Feed a window's commits to the caller as they arrive, in the caller's event loop: GitHub's are
    streamed as each commit's details come in; git's come from one ``git log`` run on a worker thread.
    ``on_unreadable`` gets each commit the source saw but could not read (sha, where it sits, why)."""
    stream = getattr(source, "stream", None)  # GitHub's (imported only when a GitHub source is open)
    if stream is not None:
        await stream(
            window, on_listed, on_commit, slots=github_slots, budget=budget, day_of=day_of,
            on_unreadable=on_unreadable,
        )  # fmt: skip
        return
    commits = await asyncio.to_thread(source.commits, window)
    if isinstance(source, GitSource):
        for sha, placed_at, reason in source.unreadable:
            on_unreadable(sha, placed_at, reason)
    on_listed([(c.sha, c.committed_at) for c in commits])
    for commit in commits:
        on_commit(commit)


async def list_commits(
    source: CommitSource, windows: list[Window], *, github_slots: asyncio.Semaphore | None = None
) -> list[tuple[str, dt.datetime]]:
    """(sha, committed_at) of every commit in ``windows`` (days), without details: the cheap check for
    late commits. git: one `git log` over the span; GitHub: one conditional list request per day (the
    same URL as the day's own listing, so an unchanged day is answered 304 from the store's cache)."""
    if not windows:
        return []
    if isinstance(source, GitSource):
        span = Window(start=min(w.start for w in windows), end=max(w.end for w in windows))
        return await asyncio.to_thread(source.list_shas, span)
    list_shas = getattr(source, "list_shas", None)  # GitHub's
    if list_shas is not None:
        return list(await list_shas(windows, slots=github_slots))
    return [(c.sha, c.committed_at) for w in windows for c in await asyncio.to_thread(source.commits, w)]


__all__ = [
    "SOURCES",
    "CommitSource",
    "GitHubSource",
    "GitSource",
    "SourceOptions",
    "check_repo_id",
    "list_commits",
    "open_source",
    "source_kind",
    "stream_commits",
]
