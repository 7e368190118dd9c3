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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dailydiff.models import Commit, PullRequest, Window
from dailydiff.sources.base import DayOf, OnCommit, OnListed, OnUnreadable, Slots, ignore
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.forge_clone import CloneMode
from dailydiff.sources.github import GitHubSource, web_base

if TYPE_CHECKING:
    from dailydiff.forges.github import GitHubHttp

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

    async def stream(self, window: Window, on_listed: OnListed = ignore, on_commit: OnCommit = ignore, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> list[Commit]:  # fmt: skip
        git = await asyncio.to_thread(self._clone)
        # The changes are read (their file versions fetched, `git log -p`) while GitHub is asked for the
        # pull requests of the window's commits, listed first without them: the day's first analysis waits
        # for the longer of the two, not for both.
        reading = asyncio.ensure_future(asyncio.to_thread(git.commits, window))
        http = self._http(slots)
        reserved = 0
        lookup: asyncio.Future[dict[str, PullRequest | None]] | None = None
        try:
            listed = await asyncio.to_thread(git.listed_in, window)
            shown = {c.sha for c in listed}
            admitted: set[dt.date] | None = None  # the days the budget admits (None: no budget, every day)
            judged: set[dt.date] = set()  # the days it was asked about
            if budget is not None and day_of is not None:
                listed, admitted, judged, reserved = await self._admit_listed(budget, http, listed, day_of)
            finder = self._pull_finder()
            if self.settings.pull_requests and listed:
                lookup = asyncio.ensure_future(finder.find(http, _asked(listed)))
            commits = await reading
            for sha, placed_at, reason in git.unreadable:
                on_unreadable(sha, placed_at, reason)
            # What the listing did not show (a commit git dates to 1970, read from its raw object) goes with
            # its day, admitted as the others were; its pull request is asked after theirs.
            unlisted = [c for c in commits if c.sha not in shown]
            commits, unlisted, cost = await self._admit_unlisted(budget, http, commits, unlisted, admitted, judged,
                                                                 day_of)  # fmt: skip
            reserved += cost
            on_listed([(c.sha, c.committed_at) for c in commits])
            pulls: dict[str, PullRequest | None] = await lookup if lookup is not None else {}
            if self.settings.pull_requests and unlisted:
                pulls.update(await finder.find(http, _asked(unlisted)))
        finally:
            await self._ended(reading, lookup, http, budget, reserved)
        done = _with_pulls(commits, pulls, bool(self.settings.pull_requests and commits))
        for commit in done:
            on_commit(commit)
        log.info(
            "github %s (clone): %d commits, %d API requests (%d GraphQL), %d from cache",
            self.repo, len(done), http.counts.sent, http.counts.graphql, http.counts.cache_hits,
        )  # fmt: skip
        return done

    async def _admit_listed(self, budget: RequestBudget, http: GitHubHttp, listed: list[Commit],
                            day_of: DayOf) -> tuple[list[Commit], set[dt.date], set[dt.date], int]:  # fmt: skip
        """The listed commits of the days the budget admits, those days, the days it was asked about, and
        what it reserved."""
        dated = [(c.sha, c.committed_at) for c in listed]
        kept, reserved = await self.admit(budget, http, dated, day_of, {})
        admitted = {day_of(at) for sha, at in dated if sha in kept}
        return [c for c in listed if c.sha in kept], admitted, {day_of(at) for _, at in dated}, reserved

    async def _admit_unlisted(self, budget: RequestBudget | None, http: GitHubHttp, commits: list[Commit],
                              unlisted: list[Commit], admitted: set[dt.date] | None, judged: set[dt.date],
                              day_of: DayOf | None) -> tuple[list[Commit], list[Commit], int]:  # fmt: skip
        """The commits and the unlisted ones (those the listing did not show) of the days the budget admits,
        having asked it about the unlisted ones' days it was not asked about; what it reserved for them."""
        if admitted is None or budget is None or day_of is None:  # no budget: every day
            return commits, unlisted, 0
        unjudged = [(c.sha, c.committed_at) for c in unlisted if day_of(c.committed_at) not in judged]
        cost = 0
        if unjudged:
            more, cost = await self.admit(budget, http, unjudged, day_of, {})
            admitted |= {day_of(at) for sha, at in unjudged if sha in more}
        return ([c for c in commits if day_of(c.committed_at) in admitted],
                [c for c in unlisted if day_of(c.committed_at) in admitted], cost)  # fmt: skip

    @staticmethod
    async def _ended(reading: asyncio.Future[list[Commit]], lookup: asyncio.Future[Any] | None, http: GitHubHttp,
                     budget: RequestBudget | None, reserved: int) -> None:  # fmt: skip
        """Both tasks ended (a failure of the other is what is raised), the client closed, the budget told."""
        if lookup is not None:
            lookup.cancel()
        for pending in (reading, lookup):
            if pending is not None:
                await asyncio.wait([pending])
                if not pending.cancelled():
                    pending.exception()
        await http.aclose()
        if budget is not None:
            budget.release(reserved)
            budget.saw(http.counts.remaining, http.counts.limit)


def _with_pulls(commits: list[Commit], pulls: dict[str, PullRequest | None], looked_up: bool) -> list[Commit]:
    """The commits with their pull requests (``pr_unknown``: looked up, and not answered)."""
    return [c.model_copy(update={"pr": pulls.get(c.sha), "pr_unknown": looked_up and c.sha not in pulls})
            for c in commits]  # fmt: skip


def _asked(commits: list[Commit]) -> list[tuple[str, str, dt.datetime]]:
    """What the pull request finder is asked of each commit."""
    return [(c.sha, c.message, c.committed_at) for c in commits]
