"""Commits from GitHub over the REST API.

List the branch's commits in the window (``since``/``until``, pages followed by their ``Link`` header),
then, concurrently and bounded by ``[github] concurrency``, each commit's detail (files come 300 per page,
up to 3,000), the commit's diff when a file has no ``patch``, and its pull request. A commit's detail and
diff never change, so they are cached for good; lists are revalidated with ``If-None-Match``.

With ``all_branches``, the branches are listed (``/branches``, paginated), then the window's commits of the
default branch (``default_branch`` of ``/repos/{owner}/{name}``) and of every other branch whose tip is not
already among them (a tip listed on another branch brings nothing new): one commit is reported once, on the
default branch when it holds it, else on the branch whose listing has it nearest its tip.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from dailydiff.common.aio import run_sync
from dailydiff.common.http import CircuitBreaker
from dailydiff.errors import SourceError
from dailydiff.forges.base import token_from
from dailydiff.forges.github import (
    DIFF,
    JSON,
    ApiResponse,
    BadAnswer,
    GitHubHttp,
    RequestCounts,
    ServerError,
)
from dailydiff.models import Commit, FileChange, FileStatus, Person, PullRequest, Stats, Window
from dailydiff.scoring.paths import is_generated
from dailydiff.settings import GITHUB_TOKEN_ENVS, GitHubSettings
from dailydiff.sources.base import (
    MALFORMED,
    ForgeSource,
    IncompleteFetch,
    clip_patch,
    fetched,
    ignore,
    iso_z,
    utc_time,
)
from dailydiff.sources.budget import RequestBudget, day_costs
from dailydiff.sources.github_diff import DiffSection, split_diff
from dailydiff.sources.github_pulls import PullRequestFinder
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.settings import Settings
    from dailydiff.sources.base import DayOf, OnCommit, OnListed, OnUnreadable, Slots, SourceOptions

log = logging.getLogger("dailydiff.github")

MAX_FILE_PAGES = 10  # GitHub serves at most 3,000 files of a commit, 300 per page
MAX_BRANCH_PAGES = 10  # --all-branches reads at most 1,000 branches (100 per page)
_STATUS = {
    "added": FileStatus.ADDED,
    "removed": FileStatus.REMOVED,
    "modified": FileStatus.MODIFIED,
    "renamed": FileStatus.RENAMED,
    "copied": FileStatus.COPIED,
    "changed": FileStatus.CHANGED,
    "unchanged": FileStatus.CHANGED,
}

T = TypeVar("T")


def web_base(api_url: str) -> str:
    """The web host of an API: api.github.com → github.com, https://HOST/api/v3 → https://HOST."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        return "https://github.com"
    if host.startswith("api.") and parts.path in ("", "/"):
        host = host[4:]  # GitHub Enterprise Cloud with data residency: api.HOST → HOST
    return f"{parts.scheme}://{host}"


def find_token(settings: GitHubSettings, environ: Mapping[str, str]) -> str | None:
    return token_from(settings.token_env, GITHUB_TOKEN_ENVS, environ)


@dataclass
class GitHubSource(ForgeSource):
    repo: str  # owner/name
    settings: GitHubSettings
    branch: str = ""
    token: str | None = field(default=None, repr=False)
    store: Store | None = None
    repo_url: str | None = None
    breaker: CircuitBreaker | None = field(default=None, repr=False)
    all_branches: bool = False
    default_branch: str = ""  # the branch the repository is read on ("" when not asked: GitHub's default)
    counts: list[RequestCounts] = field(default_factory=list, repr=False)  # one per fetch

    kind = "github"

    def __post_init__(self) -> None:
        self.default_branch = self.default_branch or self.branch
        if self.repo_url is None:
            self.repo_url = f"{web_base(self.settings.api_url)}/{self.repo}"
        if self.breaker is None:  # one per source: every window of the run shares it
            host = urlsplit(self.settings.api_url).netloc
            self.breaker = self.settings.policy().breaker(f"the GitHub API at {host}")

    def commits(self, window: Window) -> list[Commit]:
        return run_sync(self.stream(window))

    # fetching --------------------------------------------------------------------------------------

    async def stream(self, window: Window, on_listed: OnListed = ignore, on_commit: OnCommit = ignore, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> list[Commit]:  # fmt: skip
        """The window's commits, streamed: ``on_listed`` gets every (sha, committed_at) once the list is
        read, then ``on_commit`` each commit the moment its details are in, while the others are still
        being fetched. ``slots`` bounds the requests in flight (one semaphore shared by a whole run).
        With a ``budget`` (and ``day_of``, a commit's day) only the whole days that fit are fetched.
        (``on_unreadable``: commits the source saw but could not read; the API has none.)"""
        http = self._http(slots)
        reserved = 0
        try:
            items, branch_of = await self._listed(http, window)
            if budget is not None and day_of is not None:
                items, reserved = await self._within(budget, http, items, day_of)
            on_listed([(item["sha"], utc_time(item["commit"]["committer"]["date"])) for item in items])
            results = await self._fetch_all(http, items, branch_of, on_commit)
        finally:
            await http.aclose()
            if budget is not None:
                budget.release(reserved)
                budget.saw(http.counts.remaining, http.counts.limit)
        done = self._fetched(http, items, results)
        log.info(
            "github %s: %d commits, %d requests (%d answered 304, %d GraphQL), %d from cache",
            self.repo, len(done), http.counts.sent, http.counts.not_modified, http.counts.graphql,
            http.counts.cache_hits,
        )  # fmt: skip
        return done

    async def _listed(self, http: GitHubHttp, window: Window) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The window's commits as listed (of every branch, or of the one), and the branch of each."""
        try:
            if self.all_branches:
                return await self._list_all_branches(http, window)
            return await self._list(http, window, self.branch), {}
        except _MALFORMED as exc:
            raise _malformed(http, exc) from None

    async def _within(
        self,
        budget: RequestBudget,
        http: GitHubHttp,
        items: list[dict[str, Any]],
        day_of: Callable[[dt.datetime], dt.date],
    ) -> tuple[list[dict[str, Any]], int]:
        """The listed commits of the whole days the budget admits, and the requests reserved for them."""
        dated = [(i["sha"], utc_time(i["commit"]["committer"]["date"])) for i in items]
        cached = self._details_cached([i["sha"] for i in items])
        details = {i["sha"]: 0 if i["sha"] in cached else 1 for i in items}
        kept, reserved = await self.admit(budget, http, dated, day_of, details)
        return [i for i in items if i["sha"] in kept], reserved

    async def _fetch_all(
        self,
        http: GitHubHttp,
        items: list[dict[str, Any]],
        branch_of: dict[str, str],
        on_commit: Callable[[Commit], None],
    ) -> list[Commit | BaseException]:
        """Every listed commit's details and pull request, each handed to ``on_commit`` as it lands; a
        commit that failed is its exception in the list."""
        # GraphQL: the pull requests of every commit in one request per 100, beside the details (in a slot
        # of its own, not a commit's: [github] concurrency commits' details go out with it). REST lookups
        # (no GraphQL): each commit's own, beside its detail, so each commit lands on its own.
        per_commit = self._pull_finder().rest_only(self.token)
        pulls = asyncio.ensure_future(self._pulls(http, [] if per_commit else items))
        # A commit's requests (its detail, its pull request) go out together and fit the request slots
        # together: the first commits land after one round trip (their analyses start while the rest is
        # fetched), and each commit lands whole even when the limit runs out.
        each = 2 if self.settings.pull_requests else 1  # a detail, and a pull request lookup
        whole = asyncio.Semaphore(max(1, self.settings.concurrency // each))

        async def one(item: dict[str, Any]) -> Commit:
            branch = branch_of.get(item["sha"], self.default_branch or "HEAD")
            if per_commit:
                async with whole:
                    commit, found = await asyncio.gather(
                        self._commit(http, item, branch), self._pulls(http, [item])
                    )
            else:
                commit, found = await self._commit(http, item, branch), await asyncio.shield(pulls)
            unknown = self.settings.pull_requests and item["sha"] not in found
            commit = commit.model_copy(update={"pr": found.get(item["sha"]), "pr_unknown": unknown})
            on_commit(commit)
            return commit

        try:
            # Every commit at once: the client bounds the requests in flight ([github] concurrency).
            return await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
        finally:
            if not pulls.done():
                pulls.cancel()
            await asyncio.gather(pulls, return_exceptions=True)

    def _fetched(
        self, http: GitHubHttp, items: list[dict[str, Any]], results: list[Commit | BaseException]
    ) -> list[Commit]:
        """The commits fetched, or the error that says which failed (what was fetched is stored first)."""
        return fetched(
            self.store, [item["sha"] for item in items], results, lambda e: _malformed(http, e), BadAnswer
        )

    def _http(self, slots: asyncio.Semaphore | None) -> GitHubHttp:
        """A client for one fetch; its counts are kept in ``counts`` (one per fetch) over the source's life."""
        http = GitHubHttp(
            self.settings, self.repo, self.branch, self.token, self.store, slots=slots, breaker=self.breaker
        )
        self.counts.append(http.counts)
        return http

    async def admit(
        self,
        budget: RequestBudget,
        http: GitHubHttp,
        dated: list[tuple[str, dt.datetime]],
        day_of: Callable[[dt.datetime], dt.date],
        requests: dict[str, int],
    ) -> tuple[set[str], int]:
        """The commits of the whole days that fit the budget, and what they are expected to cost."""
        finder = self._pull_finder()
        settled = finder.settled([sha for sha, _ in dated]) if self.settings.pull_requests else set()
        pulls = {sha: self.settings.pull_requests and sha not in settled for sha, _ in dated}
        if finder.rest_only(self.token):  # a request or two per commit instead of one per 100: count two
            requests = {sha: requests.get(sha, 0) + 2 * pulls[sha] for sha, _ in dated}
            pulls = {}
        costs = day_costs(dated, day_of, requests, pulls)
        remaining = budget.remembered(costs)
        if remaining is None and budget.spends(costs):  # days that spend nothing are admitted unasked
            remaining = await http.rate_remaining()
        days = budget.admit(self.repo, costs, remaining)
        return {sha for sha, at in dated if day_of(at) in days}, budget.cost(costs, days)

    def _pull_finder(self) -> PullRequestFinder:
        return PullRequestFinder(self.repo, self.settings, self.repo_url or "", self.store)

    async def _pulls(self, http: GitHubHttp, items: list[dict[str, Any]]) -> dict[str, PullRequest | None]:
        if not self.settings.pull_requests:
            return {}
        wanted = [
            (i["sha"], i["commit"]["message"], utc_time(i["commit"]["committer"]["date"])) for i in items
        ]
        return await self._pull_finder().find(http, wanted)

    def _details_cached(self, shas: list[str]) -> set[str]:
        """Those of ``shas`` whose detail is cached for good: one look at the store, not one a commit."""
        if self.store is None:
            return set()
        keys = {f"GET {JSON} {self._api(f'/commits/{sha}')}": sha for sha in shas}
        return {keys[key] for key in self.store.http_immutable(list(keys))}

    async def list_shas(
        self, windows: list[Window], *, slots: asyncio.Semaphore | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """(sha, committed_at) of each window's commits: one list request per window (a day), revalidated
        with If-None-Match, so a day that did not change costs one request answered 304."""
        http = self._http(slots)
        try:
            listings = [await self._list(http, window, self.branch) for window in windows]
        except _MALFORMED as exc:
            raise _malformed(http, exc) from None
        finally:
            await http.aclose()
        log.info("github %s: late-commit check of %d day(s): %d requests (%d answered 304)",
                 self.repo, len(windows), http.counts.sent, http.counts.not_modified)  # fmt: skip
        return [
            (item["sha"], utc_time(item["commit"]["committer"]["date"]))
            for items in listings
            for item in items
        ]

    def _api(self, path: str, **params: str) -> str:
        url = f"{self.settings.api_url}/repos/{self.repo}{path}"
        return f"{url}?{urlencode(params)}" if params else url

    async def _list_all_branches(
        self, http: GitHubHttp, window: Window
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The window's commits of every branch, each once, and the branch each is attributed to."""
        default = await self._default_branch(http)
        self.default_branch = default
        tips = await self._branches(http)
        first = await self._list(http, window, default)
        branch_of = {item["sha"]: default for item in first}
        items = list(first)
        others: dict[str, str] = {}  # tip -> branch (one listing per tip)
        for name, tip in sorted(tips.items()):
            if name != default and tip not in branch_of and tip not in others:
                others[tip] = name
        names = list(others.values())
        # Every listing ends before the client closes, also when one of them fails.
        results = await asyncio.gather(
            *(self._list(http, window, name, gone_ok=True) for name in names), return_exceptions=True
        )
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        listings = [r for r in results if not isinstance(r, BaseException)]
        items += _nearest_branches(zip(names, listings, strict=True), branch_of)
        log.debug(
            "github %s: %d branches, %d listed (default %s), %d commits in the window",
            self.repo, len(tips), len(names) + 1, default, len(items),
        )  # fmt: skip
        return items, branch_of

    async def _default_branch(self, http: GitHubHttp) -> str:
        page = await http.get(self._api(""), check=_check_repo)
        return str(page.json()["default_branch"])

    async def _branches(self, http: GitHubHttp) -> dict[str, str]:
        """Every branch's name and tip (at most MAX_BRANCH_PAGES pages)."""
        url: str | None = self._api("/branches", per_page="100")
        tips: dict[str, str] = {}
        for _ in range(MAX_BRANCH_PAGES):
            if url is None:
                break
            page = await http.get(url, check=_check_branches)
            tips.update({item["name"]: item["commit"]["sha"] for item in page.json()})
            url = page.link("next")
        if url is not None:
            log.warning(
                "github %s: more than %d branches; --all-branches reads the first %d",
                self.repo, len(tips), len(tips),
            )  # fmt: skip
        return tips

    async def _list(
        self, http: GitHubHttp, window: Window, branch: str, *, gone_ok: bool = False
    ) -> list[dict[str, Any]]:
        """The window's commits of ``branch`` (the default branch when empty), newest first. ``gone_ok``:
        a branch deleted since the branches were listed has none."""
        params = {
            "since": iso_z(window.start),
            "until": iso_z(window.end),
            "per_page": str(self.settings.per_page),
        }
        if branch:
            params["sha"] = branch
        url: str | None = self._api("/commits", **params)
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url:
            page = await http.get(url, check=_check_list, allow=(404, 422) if gone_ok else ())
            if page.status != 200:
                log.debug("github %s: branch %s is gone (%d)", self.repo, branch, page.status)
                return []
            for item in page.json():
                committed = utc_time(item["commit"]["committer"]["date"])
                # until is inclusive on GitHub; the window is [start, end).
                if window.start <= committed < window.end and item["sha"] not in seen:
                    seen.add(item["sha"])
                    items.append(item)
            url = page.link("next")
        return items

    async def _commit(self, http: GitHubHttp, item: dict[str, Any], branch: str) -> Commit:
        sha = item["sha"]

        # A merge brings its parents' changes, which are reported with them (as the git source does):
        # its files are not fetched, only the pull request it merged.
        is_merge = len(item.get("parents") or []) > 1
        detail, changes = (item, []) if is_merge else await self._detail(http, sha)
        data = detail["commit"]
        stats = detail.get("stats") or {}
        return Commit(
            repo=self.repo,
            sha=sha,
            parents=[p["sha"] for p in detail.get("parents", [])],
            author=_person(data["author"], detail.get("author")),
            committer=_person(data["committer"], detail.get("committer")),
            authored_at=utc_time(data["author"]["date"]),
            committed_at=utc_time(data["committer"]["date"]),
            message=data["message"],
            url=detail.get("html_url") or f"{self.repo_url}/commit/{sha}",
            branches=[branch],
            stats=Stats(
                additions=int(stats.get("additions", sum(c.additions for c in changes))),
                deletions=int(stats.get("deletions", sum(c.deletions for c in changes))),
                files=len(changes),
            ),
            files=changes,
        )

    async def _detail(self, http: GitHubHttp, sha: str) -> tuple[dict[str, Any], list[FileChange]]:
        url: str | None = self._api(f"/commits/{sha}")
        detail: dict[str, Any] = {}
        files: list[dict[str, Any]] = []
        for _ in range(MAX_FILE_PAGES):
            if url is None:
                break
            page = await http.get(url, immutable=True, check=_check_detail)
            data = page.json()
            detail = detail or data
            files += data.get("files") or []
            url = page.link("next")
        if url is not None or len(files) >= MAX_FILE_PAGES * 300:
            log.warning(
                "%s %s: GitHub lists at most 3,000 files of a commit; the report has the first %d",
                self.repo, sha[:7], len(files),
            )  # fmt: skip
        return detail, await self._files(http, sha, files)

    async def _files(self, http: GitHubHttp, sha: str, files: list[dict[str, Any]]) -> list[FileChange]:
        # A file without `patch` is binary, empty, a pure rename, or too large for the API: the commit's
        # diff tells which, and holds the hunks of a too-large file.
        needs_diff = any(f.get("patch") is None and not _pure_rename(f) for f in files)
        sections = await self._diff_sections(http, sha) if needs_diff else {}
        return [self._file(f, sections) for f in files]

    async def _diff_sections(self, http: GitHubHttp, sha: str) -> dict[str, DiffSection] | None:
        """The commit's diff by file; None when GitHub gives none."""
        try:
            response = await http.get(
                self._api(f"/commits/{sha}"), accept=DIFF, immutable=True, allow=(406, 422)
            )
            status = response.status
        except (ServerError, BadAnswer):  # a diff too slow to generate, or garbled: its files stay unseen
            status = 0
        sections = split_diff(response.text()) if status == 200 else None
        if sections is None:
            log.warning("%s %s: no diff from GitHub (%d)", self.repo, sha[:7], status)
        return sections

    def _file(self, f: dict[str, Any], sections: dict[str, DiffSection] | None) -> FileChange:
        path = f["filename"]
        patch: str | None = f.get("patch")
        binary = missing = False
        if patch is None and _pure_rename(f):
            patch = ""
        elif patch is None:
            section = sections.get(path) if sections is not None else None
            if section is None:
                # Lines changed that nobody can show us: the analysers list the file as unseen. (With
                # no changed lines there is nothing to review: binary, empty or mode-only.)
                missing = bool(f.get("additions") or f.get("deletions"))
            elif section.binary:
                binary = True
            else:
                patch = section.hunks
        patch, truncated = clip_patch(patch, self.settings.max_patch_bytes)
        return FileChange(
            path=path,
            previous_path=f.get("previous_filename"),
            status=_STATUS.get(str(f.get("status")), FileStatus.MODIFIED),
            additions=int(f.get("additions", 0)),
            deletions=int(f.get("deletions", 0)),
            patch=patch,
            binary=binary,
            generated=is_generated(path),
            patch_truncated=truncated,
            patch_missing=missing,
        )


def _nearest_branches(
    listings: Iterable[tuple[str, list[dict[str, Any]]]], branch_of: dict[str, str]
) -> list[dict[str, Any]]:
    """The commits of other branches' ``listings`` (branch, items) that ``branch_of`` does not hold yet, each
    once; each is added to ``branch_of`` under the branch whose tip it is nearest."""
    items: list[dict[str, Any]] = []
    nearest: dict[str, tuple[int, str]] = {}  # sha -> (steps from the branch's tip, branch)
    for name, listing in listings:
        for index, item in enumerate(listing):
            sha = item["sha"]
            if sha in branch_of:
                continue
            if sha not in nearest:
                items.append(item)
            if sha not in nearest or (index, name) < nearest[sha]:
                nearest[sha] = (index, name)
    branch_of.update({sha: name for sha, (_, name) in nearest.items()})
    return items


_MALFORMED = MALFORMED


def _check_list(response: ApiResponse) -> None:
    """A list page: a JSON array of commits, each with a sha and a committer date."""
    items = response.json()
    if not isinstance(items, list):
        raise TypeError("not a list")
    for item in items:
        utc_time(item["commit"]["committer"]["date"])
        if not isinstance(item["sha"], str):
            raise TypeError("sha")


def _check_repo(response: ApiResponse) -> None:
    """A repository: an object with its default branch."""
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data["default_branch"], str):
        raise TypeError("not a repository")


def _check_branches(response: ApiResponse) -> None:
    """A page of branches: a JSON array of objects with a name and the tip commit's sha."""
    items = response.json()
    if not isinstance(items, list):
        raise TypeError("not a list")
    for item in items:
        if not isinstance(item["name"], str) or not isinstance(item["commit"]["sha"], str):
            raise TypeError("branch")


def _check_detail(response: ApiResponse) -> None:
    """A commit's detail: an object with the commit and a list of files."""
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data["commit"], dict):
        raise TypeError("not a commit")
    utc_time(data["commit"]["committer"]["date"])
    if not isinstance(data.get("files", []), list):
        raise TypeError("files")


def _malformed(http: GitHubHttp, exc: BaseException) -> SourceError:
    return SourceError(
        f"unexpected answer from the GitHub API at {http.host} ({type(exc).__name__}: {str(exc)[:80]})",
        "check that [github] api_url / DAILYDIFF_GITHUB_API_URL points at a GitHub REST API",
    )


def _pure_rename(f: dict[str, Any]) -> bool:
    return f.get("status") in ("renamed", "copied") and not f.get("changes") and not f.get("additions")


def _person(data: dict[str, Any], account: dict[str, Any] | None) -> Person:
    login = account.get("login") if isinstance(account, dict) else None
    return Person(name=data.get("name") or "", email=data.get("email") or "", login=login)


def github_options(spec: str, settings: Settings, options: SourceOptions, store: object) -> dict[str, Any]:
    """What a GitHub source of either mode is made from."""
    repo = spec.removeprefix("github:")
    if options.name and options.name != repo:
        raise SourceError(
            f"--name {options.name} does not apply to GitHub repositories", "they are named owner/name"
        )
    return {
        "repo": repo,
        "settings": settings.github,
        "branch": "" if options.all_branches else options.branch or settings.github.branch,
        "all_branches": options.all_branches,
        "token": find_token(settings.github, os.environ),
        "store": store if isinstance(store, Store) else None,
    }


__all__ = ["GitHubSource", "IncompleteFetch", "find_token", "github_options", "web_base"]
