"""Commits and merge requests from GitLab over the REST API (v4), for ``gitlab:group/subgroup/project``.

List the branch's commits in the window (``/projects/:id/repository/commits`` with ``since``/``until`` by
committer date, pages followed by ``Link`` or ``X-Next-Page``), then, concurrently and bounded by
``[gitlab] concurrency``, each commit's diff (``…/commits/:sha/diff``, paginated) and the merge requests
that landed it (``…/commits/:sha/merge_requests``). A commit's diff never changes, so it is cached for
good; a merge request lookup once it is settled; list pages are revalidated with ``If-None-Match``.

A project is named by its full path (``group/subgroup/project``), nested groups included, which is also
its id in the API (URL-encoded) and its place on the instance's web pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from dailydiff.common.aio import run_sync
from dailydiff.common.http import CircuitBreaker
from dailydiff.errors import SourceError
from dailydiff.forges.base import ApiResponse, BadAnswer, RequestCounts
from dailydiff.forges.gitlab import GitLabHttp, find_gitlab_token
from dailydiff.models import Commit, FileChange, FileStatus, Person, PullRequest, Stats, Window
from dailydiff.scoring.paths import is_generated
from dailydiff.settings import GitLabSettings
from dailydiff.sources.base import (
    MALFORMED,
    ForgeSource,
    clip_patch,
    fetched,
    ignore,
    iso_z,
    request_body,
    utc_time,
)
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.settings import Settings
    from dailydiff.sources.base import DayOf, OnCommit, OnListed, OnUnreadable, Slots, SourceOptions
    from dailydiff.sources.budget import RequestBudget

log = logging.getLogger("dailydiff.gitlab")

MAX_DIFF_PAGES = 30  # 100 files a page: a commit's first 3,000 files, as on GitHub
_MALFORMED = MALFORMED


def web_base(api_url: str) -> str:
    """The instance's web address: https://HOST/api/v4 → https://HOST (also under a path prefix)."""
    parts = urlsplit(api_url.rstrip("/"))
    path = parts.path.removesuffix("/v4").removesuffix("/api")
    return f"{parts.scheme}://{parts.netloc}{path}"


@dataclass
class GitLabSource(ForgeSource):
    repo: str  # group/subgroup/project
    settings: GitLabSettings
    branch: str = ""
    token: str | None = field(default=None, repr=False)
    store: Store | None = None
    repo_url: str | None = None
    default_branch: str = ""
    counts: list[RequestCounts] = field(default_factory=list, repr=False)  # one per fetch
    breaker: CircuitBreaker | None = field(default=None, repr=False)
    path: str = ""  # the project's path on the instance ("" : the repo id)

    kind = "gitlab"

    def __post_init__(self) -> None:
        self.path = self.path or self.repo
        self.default_branch = self.default_branch or self.branch
        if self.repo_url is None:
            self.repo_url = f"{web_base(self.settings.api_url)}/{self.path}"
        if self.breaker is None:
            host = urlsplit(self.settings.api_url).netloc
            self.breaker = self.settings.policy().breaker(f"the GitLab API at {host}")

    def commits(self, window: Window) -> list[Commit]:
        return run_sync(self.stream(window))

    # fetching --------------------------------------------------------------------------------------

    async def stream(self, window: Window, on_listed: OnListed = ignore, on_commit: OnCommit = ignore, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> list[Commit]:  # fmt: skip
        """The window's commits: ``on_listed`` once the list is read, then ``on_commit`` per commit as its
        diff and merge requests come in. (No request budget: GitLab says what is left as it answers.)"""
        http = self._http(slots)
        try:
            try:
                items = await self._list(http, window)
            except _MALFORMED as exc:
                raise self._malformed(http, exc) from None
            on_listed([(item["id"], utc_time(item["committed_date"])) for item in items])

            async def one(item: dict[str, Any]) -> Commit:
                commit = await self._commit(http, item)
                on_commit(commit)
                return commit

            results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
        finally:
            await http.aclose()
        done = fetched(self.store, [item["id"] for item in items], results, lambda e: self._malformed(http, e),
                       BadAnswer, name_malformed=False)  # fmt: skip
        log.info(
            "gitlab %s: %d commits, %d requests (%d answered 304), %d from cache",
            self.repo, len(done), http.counts.sent, http.counts.not_modified, http.counts.cache_hits,
        )  # fmt: skip
        return done

    async def list_shas(
        self, windows: list[Window], *, slots: asyncio.Semaphore | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """(sha, committed_at) of each window's commits: the day's own list request(s), revalidated, so a
        day that did not change costs one request per page answered 304."""
        http = self._http(slots)
        try:
            listings = [await self._list(http, window) for window in windows]
        except _MALFORMED as exc:
            raise self._malformed(http, exc) from None
        finally:
            await http.aclose()
        return [(i["id"], utc_time(i["committed_date"])) for items in listings for i in items]

    def _http(self, slots: asyncio.Semaphore | None) -> GitLabHttp:
        http = GitLabHttp(
            self.settings, self.repo, self.branch, self.token, self.store, slots=slots, breaker=self.breaker
        )
        self.counts.append(http.counts)
        return http

    def _api(self, path: str, **params: str) -> str:
        url = f"{self.settings.api_url}/projects/{quote(self.path, safe='')}{path}"
        return f"{url}?{urlencode(params)}" if params else url

    async def _pages(self, http: GitLabHttp, url: str, **get: Any) -> list[Any]:
        """Every item of a paginated list: ``Link: rel="next"``, else ``X-Next-Page``."""
        items: list[Any] = []
        next_url: str | None = url
        for _ in range(MAX_DIFF_PAGES * 10):
            if next_url is None:
                break
            page = await http.get(next_url, **get)
            items += page.json()
            next_url = _next_page(page, next_url)
        return items

    async def _list(self, http: GitLabHttp, window: Window) -> list[dict[str, Any]]:
        """The window's commits of the branch (the default branch when empty), newest first."""
        params = {
            "since": iso_z(window.start),
            "until": iso_z(window.end),
            "per_page": str(self.settings.per_page),
        }
        if self.branch:
            params["ref_name"] = self.branch
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in await self._pages(http, self._api("/repository/commits", **params), check=_check_list):
            committed = utc_time(item["committed_date"])
            # since/until are inclusive; the window is [start, end).
            if window.start <= committed < window.end and item["id"] not in seen:
                seen.add(item["id"])
                items.append(item)
        return items

    async def _commit(self, http: GitLabHttp, item: dict[str, Any]) -> Commit:
        sha = item["id"]
        parents = [str(p) for p in item.get("parent_ids") or []]
        committed_at = utc_time(item["committed_date"])
        # A merge brings its parents' changes, reported with them (as the git source does).
        diffs, found = await asyncio.gather(
            self._diff(http, sha) if len(parents) <= 1 else _nothing(),
            self._merge_request(http, sha, committed_at),
        )
        changes = [self._change(d) for d in diffs]
        return Commit(
            repo=self.repo,
            sha=sha,
            parents=parents,
            author=Person(name=item.get("author_name") or "", email=item.get("author_email") or ""),
            committer=Person(name=item.get("committer_name") or "", email=item.get("committer_email") or ""),
            authored_at=utc_time(item["authored_date"]),
            committed_at=committed_at,
            message=_message(item),
            url=item.get("web_url") or f"{self.repo_url}/-/commit/{sha}",
            branches=[self.default_branch or "HEAD"],
            stats=Stats(
                additions=sum(c.additions for c in changes),
                deletions=sum(c.deletions for c in changes),
                files=len(changes),
            ),
            files=changes,
            pr=found,
        )

    async def _diff(self, http: GitLabHttp, sha: str) -> list[dict[str, Any]]:
        url = self._api(f"/repository/commits/{sha}/diff", per_page="100")
        return await self._pages(http, url, immutable=True, check=_check_diff)

    def _change(self, d: dict[str, Any]) -> FileChange:
        path = str(d["new_path"])
        text = d.get("diff")
        binary = missing = False
        patch: str | None
        if d.get("too_large") or (d.get("collapsed") and not text):
            patch, missing = None, True  # lines changed that the API does not show
        elif isinstance(text, str) and text.startswith("Binary files "):
            patch, binary = None, True
        else:
            patch = (text or "").rstrip("\n")
        additions = deletions = 0
        for line in (patch or "").split("\n"):
            if line.startswith("+"):
                additions += 1
            elif line.startswith("-"):
                deletions += 1
        patch, truncated = clip_patch(patch, self.settings.max_patch_bytes)
        if d.get("new_file"):
            status = FileStatus.ADDED
        elif d.get("deleted_file"):
            status = FileStatus.REMOVED
        elif d.get("renamed_file"):
            status = FileStatus.RENAMED
        else:
            status = FileStatus.MODIFIED
        return FileChange(
            path=path,
            previous_path=str(d["old_path"]) if d.get("renamed_file") else None,
            status=status,
            additions=additions,
            deletions=deletions,
            patch=patch,
            binary=binary,
            generated=is_generated(path),
            patch_truncated=truncated,
            patch_missing=missing,
        )

    async def _merge_request(
        self, http: GitLabHttp, sha: str, committed_at: dt.datetime
    ) -> PullRequest | None:
        """The merge request that landed ``sha`` (a merged one first), or None. GitLab links a pushed
        commit to its merge requests as they are opened: an answer is kept for good once the commit is a
        day old and every merge request in it is merged or closed."""
        if not self.settings.merge_requests:
            return None
        old = dt.datetime.now(dt.UTC) - committed_at > dt.timedelta(days=1)

        def settled(response: ApiResponse) -> bool:
            return old and all(mr.get("state") in ("merged", "closed") for mr in response.json())

        url = self._api(f"/repository/commits/{sha}/merge_requests")
        response = await http.get(url, immutable=settled, check=_check_merge_requests, allow=(404,))
        if response.status != 200:
            return None
        requests = response.json()
        if not requests:
            return None
        chosen = next((mr for mr in requests if mr.get("state") == "merged"), requests[0])
        iid = int(chosen["iid"])
        labels = [
            str(label.get("name", "")) if isinstance(label, dict) else str(label)
            for label in chosen.get("labels") or []
        ]
        return PullRequest(
            number=iid,
            title=str(chosen.get("title") or ""),
            body=request_body(str(chosen.get("description") or ""), self.settings.mr_body_chars),
            labels=labels,
            url=str(chosen.get("web_url") or f"{self.repo_url}/-/merge_requests/{iid}"),
        )

    def _malformed(self, http: GitLabHttp, exc: BaseException) -> SourceError:
        return SourceError(
            f"unexpected answer from the GitLab API at {http.host} ({type(exc).__name__}: {str(exc)[:80]})",
            "check that [gitlab] api_url / DAILYDIFF_GITLAB_API_URL points at a GitLab REST API (…/api/v4)",
        )


async def _nothing() -> list[dict[str, Any]]:
    return []


def _message(item: dict[str, Any]) -> str:
    """The full message (``message``; a list may carry only ``title``), without git's final newline."""
    return str(item.get("message") or item.get("title") or "").rstrip("\n")


def _next_page(page: ApiResponse, url: str) -> str | None:
    link = page.link("next")
    if link:
        return link
    number = page.headers.get("x-next-page", "").strip()
    if not number.isdigit():
        return None
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    query["page"] = number
    return parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()


def _list_of(response: ApiResponse) -> list[Any]:
    """The answer's JSON list (TypeError: it is not one)."""
    items = response.json()
    if not isinstance(items, list):
        raise TypeError("not a list")
    return items


def _check_list(response: ApiResponse) -> None:
    for item in _list_of(response):
        utc_time(item["committed_date"])
        if not isinstance(item["id"], str):
            raise TypeError("id")


def _check_diff(response: ApiResponse) -> None:
    for item in _list_of(response):
        if not isinstance(item["new_path"], str) or not isinstance(item["old_path"], str):
            raise TypeError("path")


def _check_merge_requests(response: ApiResponse) -> None:
    for item in _list_of(response):
        int(item["iid"])


def gitlab_options(path: str, settings: Settings, options: SourceOptions, store: object) -> dict[str, Any]:
    """What the GitLab source of the project at ``path`` (group/subgroup/project) is made from."""
    if options.all_branches:
        raise SourceError(
            "--all-branches is not available for GitLab projects yet", "read one branch (--branch NAME)"
        )
    return {
        "repo": options.name or path,
        "path": path,
        "settings": settings.gitlab,
        "branch": options.branch or settings.gitlab.branch,
        "token": find_gitlab_token(settings.gitlab, os.environ),
        "store": store if isinstance(store, Store) else None,
    }


__all__ = ["GitLabSource", "gitlab_options", "web_base"]
