"""A forge in clone mode, whichever forge: commits and patches from a blobless partial clone of the repository in
the data directory (cloned the first time, fetched at the start of each fetch), the look-back's shas from it
without an API request. A forge's clone source (sources/github_clone.py, sources/gitlab_clone.py) says only
its clone URL and how git sends its token (``clone_address``), and what it still asks the API (pull or merge
requests) in its ``stream``.

The token reaches git through the environment (``git_auth_env``: a header scoped to the clone URL's origin),
never a command line (``ps`` shows those), the clone's config or a message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dailydiff.models import Window
from dailydiff.settings import ForgeSettings, GitSettings
from dailydiff.sources.git import GitSource, git_auth_env, partial_clone


class _Cloned(Protocol):
    """What clone mode reads of the forge source it is mixed into."""

    data_dir: Path
    git: GitSettings | None
    environ: Mapping[str, str]
    repo: str
    repo_url: str | None
    branch: str
    token: str | None
    kind: str

    @property
    def settings(self) -> ForgeSettings: ...

    def clone_address(self) -> tuple[str, str]: ...

    def all_branches_wanted(self) -> bool: ...

    def _clone(self) -> GitSource: ...


@dataclass
class CloneMode:
    """Mixed into a forge's source (before it): the clone's fields, the clone, and ``list_shas`` from it."""

    data_dir: Path = field(default_factory=Path)
    git: GitSettings | None = None
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def clone_address(self) -> tuple[str, str]:
        """The clone URL and the user git sends the token as (Basic ``user``:token)."""
        raise NotImplementedError

    def all_branches_wanted(self) -> bool:
        return False

    def _clone(self: _Cloned) -> GitSource:
        """The partial clone, cloned or fetched now, as a git source."""
        url, user = self.clone_address()
        return partial_clone(
            url,
            self.data_dir,
            git_auth_env(url, self.token, self.environ, user=user),
            repo=self.repo,
            repo_url=self.repo_url,
            branch=self.branch,
            all_branches=self.all_branches_wanted(),
            include_merges=self.git.include_merges if self.git is not None else True,
            max_patch_bytes=self.settings.max_patch_bytes,
            forge=self.kind,
        )

    async def list_shas(
        self: _Cloned, windows: list[Window], *, slots: asyncio.Semaphore | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """(sha, committed_at) of each window's commits, from the fetched clone: no API request."""
        git = await asyncio.to_thread(self._clone)
        return [pair for window in windows for pair in await asyncio.to_thread(git.shas_in, window)]
