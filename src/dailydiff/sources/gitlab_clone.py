"""GitLab in clone mode: commits and patches from a blobless partial clone, merge requests from the API.

The clone of ``https://HOST/group/subgroup/project.git`` lives in the data directory and is fetched at the
start of each fetch, as for GitHub (sources/forge_clone.py); the API is asked only for each commit's merge
requests (kept for good once settled), so a day's cost does not grow with its diffs. The token reaches git
through the environment (``oauth2``:token as Basic, scoped to the instance's origin), never a command line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from dailydiff.models import Commit, Window
from dailydiff.sources.base import DayOf, OnCommit, OnListed, OnUnreadable, Slots, ignore
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.forge_clone import CloneMode
from dailydiff.sources.gitlab import GitLabSource, web_base

log = logging.getLogger("dailydiff.gitlab")


@dataclass
class GitLabCloneSource(CloneMode, GitLabSource):
    def clone_address(self) -> tuple[str, str]:
        return f"{web_base(self.settings.api_url)}/{self.path}.git", "oauth2"

    async def stream(self, window: Window, on_listed: OnListed = ignore, on_commit: OnCommit = ignore, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> list[Commit]:  # fmt: skip
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
