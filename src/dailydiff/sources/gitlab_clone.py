"""GitLab in clone mode: commits and patches from a blobless partial clone, merge requests from the API.

The clone of ``https://HOST/group/subgroup/project.git`` lives in the data directory and is fetched at the
start of each fetch, as for GitHub (sources/github_clone.py); the API is asked only for each commit's merge
requests (kept for good once settled), so a day's cost does not grow with its diffs. The token reaches git
through the environment (``oauth2``:token as Basic, scoped to the instance's origin), never a command line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dailydiff.models import Commit, Window
from dailydiff.settings import GitSettings
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.git import GitSource, git_auth_env, partial_clone
from dailydiff.sources.gitlab import GitLabSource, web_base

log = logging.getLogger("dailydiff.gitlab")


@dataclass
class GitLabCloneSource(GitLabSource):
    data_dir: Path = field(default_factory=Path)
    git: GitSettings | None = None
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def _clone(self) -> GitSource:
        """The partial clone, cloned or fetched now, as a git source."""
        url = f"{web_base(self.settings.api_url)}/{self.path}.git"
        env = git_auth_env(url, self.token, self.environ, user="oauth2")
        return partial_clone(
            url,
            self.data_dir,
            env,
            repo=self.repo,
            repo_url=self.repo_url,
            branch=self.branch,
            include_merges=self.git.include_merges if self.git is not None else True,
            max_patch_bytes=self.settings.max_patch_bytes,
            forge="gitlab",
        )

    async def list_shas(
        self, windows: list[Window], *, slots: asyncio.Semaphore | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """(sha, committed_at) of each window's commits, from the fetched clone: no API request."""
        git = await asyncio.to_thread(self._clone)
        return [pair for window in windows for pair in await asyncio.to_thread(git.shas_in, window)]

    async def stream(
        self,
        window: Window,
        on_listed: Callable[[list[tuple[str, dt.datetime]]], None] = lambda listed: None,
        on_commit: Callable[[Commit], None] = lambda commit: None,
        *,
        slots: asyncio.Semaphore | None = None,
        budget: RequestBudget | None = None,
        day_of: Callable[[dt.datetime], dt.date] | None = None,
        on_unreadable: Callable[[str, dt.datetime, str], None] = lambda sha, placed_at, reason: None,
    ) -> list[Commit]:
        git = await asyncio.to_thread(self._clone)
        commits = await asyncio.to_thread(git.commits, window)
        for sha, placed_at, reason in git.unreadable:
            on_unreadable(sha, placed_at, reason)
        on_listed([(c.sha, c.committed_at) for c in commits])
        http = self._http(slots)
        try:

            async def one(commit: Commit) -> Commit:
                found = await self._merge_request(http, commit.sha, commit.committed_at)
                done = commit.model_copy(update={"pr": found})
                on_commit(done)
                return done

            landed = list(await asyncio.gather(*(one(c) for c in commits)))
        finally:
            await http.aclose()
        log.info(
            "gitlab %s (clone): %d commits, %d API requests, %d from cache",
            self.repo, len(landed), http.counts.sent, http.counts.cache_hits,
        )  # fmt: skip
        return landed


__all__ = ["GitLabCloneSource"]
