"""Commit sources: a registry from a kind to its opener, and what a SOURCE argument names.

Every source speaks the ``CommitSource`` protocol (sources/base.py). A forge (GitHub, GitLab) also says,
from the spec alone, the repository id it names (``owner/name``, ``group/sub/project``) and whether a
config ``name`` may change it; the engine asks these two functions and never a forge's name.

A forge's source (an HTTP client and asyncio) is imported when one of its repositories is opened, so a
report of a local repository does not pay for it. The package itself loads neither the settings nor the data
model (its sources' modules are imported at their first use)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dailydiff.common.lazynames import lazy_names
from dailydiff.errors import SourceError
from dailydiff.sources.gitremote import is_git_url

if TYPE_CHECKING:
    from dailydiff.settings import Settings
    from dailydiff.sources.base import CommitSource, SourceOptions, check_repo_id
    from dailydiff.sources.git import GitSource
    from dailydiff.sources.github import GitHubSource

OpenSource = Callable[[str, "Settings", "SourceOptions", object], "CommitSource"]

_GITHUB_RE = re.compile(r"^(?:github:)?[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
# gitlab:group/subgroup/…/project: GitLab's path characters, two parts or more, none empty, "." or "..".
_GITLAB_RE = re.compile(r"^gitlab:(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)+[A-Za-z0-9_][A-Za-z0-9_.-]*/?$")


def _open_git(spec: str, settings: Settings, options: SourceOptions, store: object) -> CommitSource:
    from dailydiff.sources.git import GitSource

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


def _open_gitlab(spec: str, settings: Settings, options: SourceOptions, store: object) -> CommitSource:
    from dailydiff.sources.gitlab import GitLabSource, gitlab_options

    made = gitlab_options(gitlab_path(spec), settings, options, store)
    if settings.gitlab.mode == "clone":
        import os

        from dailydiff.sources.gitlab_clone import GitLabCloneSource

        return GitLabCloneSource(**made, data_dir=settings.data_path, git=settings.git, environ=os.environ)
    return GitLabSource(**made)


def gitlab_path(spec: str) -> str:
    """``gitlab:group/sub/project`` → ``group/sub/project``: its id, and its path on the instance."""
    return spec.removeprefix("gitlab:").strip("/").removesuffix(".git")


# name -> opener
SOURCES: dict[str, OpenSource] = {"git": _open_git, "github": _open_github, "gitlab": _open_gitlab}


@dataclass(frozen=True)
class Forge:
    """How a forge's SOURCE spells a repository: ``matches`` the spec, the id it ``names``, and whether a
    config ``name`` (or --name) may rename it."""

    matches: Callable[[str], bool]
    names: Callable[[str], str]
    renamable: bool = False


FORGES: dict[str, Forge] = {
    "github": Forge(lambda spec: bool(_GITHUB_RE.match(spec)), lambda spec: spec.removeprefix("github:")),
    # A GitLab project may be renamed (`name`): a two-part path may be a followed GitHub owner/name too.
    "gitlab": Forge(lambda spec: bool(_GITLAB_RE.match(spec)), gitlab_path, renamable=True),
}


def source_kind(spec: str) -> str:
    """Which source a SOURCE argument names: an existing path or a git URL is git; else the forge whose
    spelling it has (owner/name is GitHub, gitlab:group/sub/project GitLab)."""
    if is_git_url(spec) or Path(spec).expanduser().exists():
        return "git"
    for kind, forge in FORGES.items():
        if forge.matches(spec):
            return kind
    raise SourceError(
        f"{spec} is neither an existing path, a git URL, a GitHub owner/name nor gitlab:group/project",
        "check the spelling, or pass the path to a git clone",
    )


def _forge(spec: str) -> Forge | None:
    try:
        return FORGES.get(source_kind(spec))
    except SourceError:
        return None


def forge_name(spec: str) -> str | None:
    """The repository id a forge's SOURCE names (None for a path or a git URL, named by the config or its
    directory)."""
    forge = _forge(spec)
    return forge.names(spec) if forge is not None else None


def keeps_its_name(spec: str) -> bool:
    """Whether ``spec`` is a forge repository whose id no ``name`` changes (GitHub's owner/name)."""
    forge = _forge(spec)
    return forge is not None and not forge.renamable


def open_source(
    spec: str, settings: Settings, options: SourceOptions | None = None, store: object = None
) -> CommitSource:
    kind = source_kind(spec)
    opener = SOURCES.get(kind)
    if opener is None:
        raise SourceError(
            f"the {kind} source is not available in this build", f"choose one of: {', '.join(SOURCES)}"
        )
    from dailydiff.sources.base import SourceOptions, check_repo_id

    source = opener(spec, settings, options or SourceOptions(), store)
    check_repo_id(source.repo)
    return source


# The names imported at their first use, by the module that holds each.
_LAZY = {
    "dailydiff.sources.base": ("CommitSource", "SourceOptions", "check_repo_id"),
    "dailydiff.sources.git": ("GitSource",),
    "dailydiff.sources.github": ("GitHubSource",),
}
__getattr__ = lazy_names(__name__, _LAZY, globals())

__all__ = [
    "SOURCES",
    "CommitSource",
    "GitHubSource",
    "GitSource",
    "SourceOptions",
    "check_repo_id",
    "forge_name",
    "gitlab_path",
    "keeps_its_name",
    "open_source",
    "source_kind",
]
