"""GitHub in clone mode: commits and patches from a blobless partial clone, pull requests from GraphQL.

The clone (``git clone --bare --filter=blob:none``, sources/forge_clone.py) lives in the data directory and
is fetched at the start of each fetch; the git source reads the window from it, after fetching the file
versions the window's diffs need in one batch. The API is asked only for the pull requests (a GraphQL
request per 100 commits, cached once settled), so a day costs the same few requests whatever its size.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from dailydiff.models import Commit, Window
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.forge_clone import CloneMode
from dailydiff.sources.github import GitHubSource, web_base

log = logging.getLogger("dailydiff.github")


def clone_url(template: str, api_url: str, repo: str) -> str:
    """The clone URL of ``repo`` (owner/name): ``template`` filled, or the API's web host's."""
    owner, name = repo.split("/", 1)
    return (template or f"{web_base(api_url)}/{{owner}}/{{name}}.git").format(owner=owner, name=name)


@dataclass
class GitHubCloneSource(CloneMode, GitHubSource):
    def clone_address(self) -> tuple[str, str]:
        return clone_url(self.settings.git_url, self.settings.api_url, self.repo), "x-access-token"

    def all_branches_wanted(self) -> bool:
        return self.all_branches

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
        http = self._http(slots)
        reserved = 0
        try:
            if budget is not None and day_of is not None:
                dated = [(c.sha, c.committed_at) for c in commits]
                kept, reserved = await self.admit(budget, http, dated, day_of, {})
                commits = [c for c in commits if c.sha in kept]
            on_listed([(c.sha, c.committed_at) for c in commits])
            pulls = {}
            if self.settings.pull_requests and commits:
                asked = [(c.sha, c.message, c.committed_at) for c in commits]
                pulls = await self._pull_finder().find(http, asked)
        finally:
            await http.aclose()
            if budget is not None:
                budget.release(reserved)
                budget.saw(http.counts.remaining, http.counts.limit)
        looked_up = self.settings.pull_requests and commits
        done = [c.model_copy(update={"pr": pulls.get(c.sha), "pr_unknown": bool(looked_up) and c.sha not in pulls})
                for c in commits]  # fmt: skip
        for commit in done:
            on_commit(commit)
        log.info(
            "github %s (clone): %d commits, %d API requests (%d GraphQL), %d from cache",
            self.repo, len(done), http.counts.sent, http.counts.graphql, http.counts.cache_hits,
        )  # fmt: skip
        return done
