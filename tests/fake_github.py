"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that serves git repositories built with
tests/gitrepo.py, answering in the shapes of the recorded exchanges in ../shared/github-api/.

Endpoints: ``/repos/{o}/{n}``, ``/repos/{o}/{n}/commits`` (since/until/sha/per_page/page, ``Link``),
``/repos/{o}/{n}/commits/{sha}`` (JSON with files paginated, or the diff with
``Accept: application/vnd.github.diff``), ``/repos/{o}/{n}/commits/{sha}/pulls``, ``/repos/{o}/{n}/pulls/{n}``
and ``/rate_limit``. ETags answer ``If-None-Match`` with 304. Knobs (plain attributes and methods, safe to
change between runs): page sizes, file limits, dropped patches, rate-limit exhaustion, secondary limits,
5xx bursts, dropped connections, per-repository error statuses, latency, a required token. Every request
is recorded (kind, status, time) for the tests and benchmarks to count.

    with FakeGitHub({"octo/demo": repo_path}) as fake:
        api_url = fake.url
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fake_forge import Answer, FakeForge
from fake_github_git import FileRow, GitData
from fake_github_graphql import answer_git, answer_graphql, git_token_ok

DIFF_MEDIA = "application/vnd.github.diff"
DOCS = "https://docs.github.com/rest"


# A route handler gets the fake, the path's match (prefix removed), the query, the lower-case headers and
# the request body, and returns (status, JSON-able body) or (status, JSON-able body, extra headers).
RouteHandler = Callable[["FakeGitHub", re.Match[str], dict[str, str], dict[str, str], bytes], tuple[Any, ...]]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    kind: str  # repo, list, detail, diff, commit_pulls, pull, rate_limit, unknown
    status: int
    at: float  # time.monotonic() when the request arrived
    wall: float  # time.time() when the request arrived
    done: float = 0.0  # time.monotonic() when its answer was ready


@dataclass
class FakePull:
    number: int
    title: str
    merge_commit_sha: str
    body: str = ""
    labels: list[str] = field(default_factory=list)
    state: str = "closed"
    merged: bool = True
    commits: list[str] = field(default_factory=list)
    base: str = "main"


NO_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
    "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). "
    "Check https://developer.github.com for other possible causes."
)


class FakeGitHub(FakeForge):
    name = "fake-github"

    def __init__(
        self,
        repos: dict[str, Path] | None = None,
        *,
        token: str | None = None,
        latency: float = 0.0,
        prefix: str = "",
        web_url: str | None = None,
    ) -> None:
        super().__init__()
        self.repos = {name: GitData(path) for name, path in (repos or {}).items()}
        self.token = token
        self.latency = latency
        # True: ``latency`` is the time to an answer, the fake's own work included, as an API's latency is
        # (the fake walks a history and runs git and a GraphQL executor in Python, on the client's cores:
        # a list takes it ~85 ms and a GraphQL batch of 18 commits ~110 ms that GitHub does not add).
        self.latency_covers_work = False
        self.prefix = prefix.rstrip("/")  # e.g. "/api/v3" to look like GitHub Enterprise
        # The User-Agent prefixes served (GitHub serves any named application; the tests ask for dailydiff's).
        self.user_agents: tuple[str, ...] = ("dailydiff/",)
        self._web_url = web_url
        self.list_page_size: int | None = None  # caps per_page of commit lists
        self.files_page_size = 300
        self.max_files = 3000
        self.drop_patch: set[str] = set()  # filenames served without `patch`
        self.patch_limit_bytes: int | None = None  # patches larger than this are left out
        self.diff_status: int | None = None  # e.g. 406: the commit diff is "too large"
        self.repo_status: dict[str, int] = {}  # force 401/403/404/409/422 for a repository
        self.routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []
        self.limit_status = 403  # what a spent primary limit answers (GitHub uses 403 or 429)
        self.link_base: str | None = None  # another origin for `Link` URLs (a client must not follow it)
        self.pulls: dict[str, list[FakePull]] = {}
        self.graphql = True  # False: /graphql answers 404, as on a GitHub Enterprise Server without it
        # Commits whose alias in a GraphQL batch GitHub fails to resolve: null, with an error naming its path
        # (as GitHub answers a batch it could resolve only in part: a timeout, a commit not linked yet).
        self.graphql_fail: set[str] = set()
        # The REST pull request lookups (/commits/{sha}/pulls, /pulls/{n}) answer this status (e.g. 502).
        self.pulls_status: int | None = None
        self.rate_limit = 5000
        self.remaining = 5000
        self.reset_at = math.ceil(time.time()) + 3600
        self.requests: list[Recorded] = []
        self._secondary: list[tuple[int, float]] = []  # (requests to let through first, retry-after)
        self._failures: list[tuple[int, float | None]] = []  # (status, Retry-After) of the next answers
        self._drops = 0
        self._spoils: list[tuple[str, str, str]] = []  # (kind, how, path part) of the next answers to spoil
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being answered at the same time
        # Hold the first requests of a kind until this many are in flight together (a barrier): a test
        # shows concurrency by the overlap itself, not by timing. A client that never gets there leaves
        # the barrier broken after 10 s, and the overlap it did reach is in max_in_flight.
        self.hold: tuple[str, threading.Barrier] | None = None
        self._held = 0

    # lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.origin}{self.prefix}"

    @property
    def graphql_path(self) -> str:
        """/graphql on github.com's API host; /api/graphql on GitHub Enterprise (API under /api/v3)."""
        return self.prefix.removesuffix("/v3") + "/graphql" if self.prefix.endswith("/api/v3") else "/graphql"

    def git_url(self, name: str) -> str:
        """The repository's clone URL over HTTP (git's smart protocol)."""
        return f"{self.origin}/{name}.git"

    @property
    def web_url(self) -> str:
        return self._web_url or self.origin

    # knobs -----------------------------------------------------------------------------------------

    def exhaust(self, remaining: int, reset_in: float) -> None:
        """Leave ``remaining`` requests in the primary limit, which resets ``reset_in`` seconds from now."""
        with self._lock:
            self.remaining = remaining
            self.reset_at = math.ceil(time.time() + reset_in)

    def secondary_limit(self, retry_after: float, *, after: int = 0, count: int = 1) -> None:
        """After ``after`` more requests, answer ``count`` requests 403 with ``retry-after``."""
        with self._lock:
            self._secondary += [(after, retry_after)] + [(0, retry_after)] * (count - 1)

    def fail_next(self, count: int, status: int = 502, retry_after: float | None = None) -> None:
        with self._lock:
            self._failures += [(status, retry_after)] * count

    def drop_next(self, count: int) -> None:
        """Close the next ``count`` connections without an answer (a connection error for the client)."""
        with self._lock:
            self._drops += count

    def spoil_next(self, kind: str, how: str, count: int = 1, *, path_part: str = "") -> None:
        """Spoil the next ``count`` 200 answers of ``kind`` (list, detail, diff…) whose path contains
        ``path_part``: ``how`` is "html" (a proxy's HTML page), "truncated" (half the JSON, with a matching
        Content-Length) or "foreign_link" (a ``Link: rel="next"`` to another host)."""
        with self._lock:
            self._spoils += [(kind, how, path_part)] * count

    def route(self, method: str, pattern: str, handler: RouteHandler) -> None:
        """Serve more of the API (e.g. the Contents or Issues API for a publisher's tests). Routes are
        tried before the built-in ones, after the token, rate-limit and failure knobs."""
        self.routes.append((method.upper(), re.compile(pattern), handler))

    def add_pull(self, repo: str, pull: FakePull) -> None:
        self.pulls.setdefault(repo, []).append(pull)

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        return len(self.of(kind, status))

    def of(self, kind: str | None = None, status: int | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (kind is None or r.kind == kind) and (status is None or r.status == status)
            ]

    # answering -------------------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Answer | None:
        arrived, wall = time.monotonic(), time.time()
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query))
        kind = _kind(path[len(self.prefix) :] if path.startswith(self.prefix) else path)
        if _GIT_RE.match(path):
            kind = "git"
        if kind == "detail" and DIFF_MEDIA in headers.get("accept", ""):
            kind = "diff"
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold is not None and self.hold[0] == kind:
                with self._lock:
                    self._held += 1
                    held = self._held <= self.hold[1].parties  # only the first ones wait
                if held:
                    with contextlib.suppress(threading.BrokenBarrierError):
                        self.hold[1].wait(timeout=10)
            if self.latency and self.latency_covers_work:
                began = time.monotonic()
                result = self._answer(method, path, query, headers, body)
                time.sleep(max(0.0, self.latency - (time.monotonic() - began)))
            else:
                if self.latency:
                    time.sleep(self.latency)
                result = self._answer(method, path, query, headers, body)
        finally:
            with self._lock:
                self.in_flight -= 1
        with self._lock:
            spoil = next((i for i, (k, _, p) in enumerate(self._spoils) if k == kind and p in path), None)
            if spoil is not None and result is not None and result[0] == 200:
                result = _spoiled(result, self._spoils.pop(spoil)[1])
            status = result[0] if result else 0
            done = time.monotonic()
            self.requests.append(
                Recorded(method, path, query, headers, body, kind, status, arrived, wall, done)
            )
        return result

    def _answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer | None:
        with self._lock:
            if self._drops:
                self._drops -= 1
                return None
            if self._failures:
                status, retry_after = self._failures.pop(0)
                asked = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                return status, asked, json.dumps({"message": "Server Error"}).encode()
        git_match = _GIT_RE.match(path)
        if git_match:  # git over smart HTTP, on the web host: not the API, not its rate limit
            name = git_match.group(1)
            if name not in self.repos:
                return 404, {"Content-Type": "text/plain"}, b"Repository not found."
            if not git_token_ok(self, headers):
                return 401, {"WWW-Authenticate": 'Basic realm="GitHub"'}, b"Invalid username or token."
            query_string = urlencode(query)
            return answer_git(
                self, method, self.repos[name].path, git_match.group(2), query_string, headers, body
            )
        # GitHub refuses a request without one and asks for the application's name: this fake asks for
        # dailydiff's own (an HTTP library's default, python-httpx/…, is refused like a missing one).
        if not headers.get("user-agent", "").startswith(self.user_agents):
            return self._json(403, {"message": NO_USER_AGENT}, count=False)
        # With a token set, any other token (or none) is refused: GitHub answers 401 to a wrong token even
        # for a public repository. Without one the fake cannot tell a valid token, and serves every request.
        auth = headers.get("authorization")
        if self.token is not None and auth not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return self._json(401, {"message": "Bad credentials", "documentation_url": DOCS}, count=False)
        with self._lock:
            now = time.time()
            if now >= self.reset_at:
                self.remaining, self.reset_at = self.rate_limit, math.ceil(now) + 3600
            if self._secondary:
                after, retry_after = self._secondary[0]
                if after > 0:
                    self._secondary[0] = (after - 1, retry_after)
                else:
                    self._secondary.pop(0)
                    body = {
                        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                        "you try again.",
                        "documentation_url": DOCS,
                    }
                    status, extra, data = self._json(403, body, count=False)
                    return status, {**extra, "Retry-After": str(int(retry_after))}, data
            if self.remaining <= 0:
                body = {"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": DOCS}
                return self._json(self.limit_status, body, count=False)
        if method == "POST" and path == self.graphql_path:
            if not self.graphql:
                return self._json(404, {"message": "Not Found", "documentation_url": DOCS})
            if not headers.get("authorization"):  # GitHub's GraphQL API has no anonymous access
                body = {
                    "message": "This endpoint requires you to be authenticated.",
                    "documentation_url": DOCS,
                }
                return self._json(401, body, count=False)
            status, data = answer_graphql(self, body)
            code, extra, payload = self._json(status, data)
            return code, {**extra, "X-RateLimit-Resource": "graphql"}, payload
        if path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        if self.pulls_status is not None and _kind(path) in ("commit_pulls", "pull"):
            return self._json(self.pulls_status, {"message": "Server Error"})
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                status, data, *extra = handler(self, match, query, headers, body)
                code, base, payload = self._json(status, data)
                return code, {**base, **(extra[0] if extra else {})}, payload
        if method != "GET":
            return self._json(404, {"message": "Not Found", "documentation_url": DOCS})
        if path == "/rate_limit":
            core = {"limit": self.rate_limit, "used": self.rate_limit - self.remaining,
                    "remaining": self.remaining, "reset": self.reset_at}  # fmt: skip
            return self._json(200, {"resources": {"core": core}, "rate": core}, count=False)
        match = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", path)
        if not match or match.group(1) not in self.repos:
            return self._json(404, {"message": "Not Found", "documentation_url": DOCS})
        name, rest = match.group(1), match.group(2) or ""
        forced = self.repo_status.get(name)
        if forced:
            return self._json(forced, {"message": _FORCED.get(forced, "Error"), "documentation_url": DOCS})
        repo = self.repos[name]
        if rest == "":
            return self._conditional(headers, self._json(200, self._repo_json(name, repo)))
        if not repo.has_commits() and rest.startswith("/commits"):
            return self._json(409, {"message": "Git Repository is empty.", "documentation_url": DOCS})
        if rest == "/commits":
            return self._list(name, repo, path, query, headers)
        if rest == "/branches":
            return self._branches(name, repo, path, query, headers)
        m = re.match(r"^/commits/([0-9a-f]{7,40}|[^/]+)(/pulls)?$", rest)
        if m:
            sha = repo.resolve(m.group(1))
            if sha is None:
                return self._json(
                    422, {"message": f"No commit found for SHA: {m.group(1)}", "documentation_url": DOCS}
                )
            if m.group(2):
                pulls = [
                    self._pull_json(name, p)
                    for p in self.pulls.get(name, [])
                    if sha in (p.merge_commit_sha, *p.commits)
                ]
                return self._conditional(headers, self._json(200, pulls))
            if DIFF_MEDIA in headers.get("accept", ""):
                if self.diff_status:
                    body = {"message": "Sorry, this diff is unavailable.", "errors": [{"resource": "Commit",
                            "field": "diff", "code": "not_available"}], "documentation_url": DOCS}  # fmt: skip
                    return self._json(self.diff_status, body)
                status, extra, _ = self._json(200, {})
                data = repo.diff(sha).encode()
                return self._conditional(
                    headers, (200, {**extra, "Content-Type": "text/plain; charset=utf-8"}, data)
                )
            return self._detail(name, repo, sha, path, query, headers)
        m = re.match(r"^/pulls/(\d+)$", rest)
        if m:
            for pull in self.pulls.get(name, []):
                if pull.number == int(m.group(1)):
                    return self._conditional(headers, self._json(200, self._pull_json(name, pull, full=True)))
            return self._json(404, {"message": "Not Found", "documentation_url": DOCS})
        return self._json(404, {"message": "Not Found", "documentation_url": DOCS})

    def _json(self, status: int, body: Any, *, count: bool = True) -> Answer:
        with self._lock:
            if count and status < 500:
                self.remaining = max(0, self.remaining - 1)
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset_at),
                "X-RateLimit-Used": str(self.rate_limit - self.remaining),
                "X-RateLimit-Resource": "core",
                "x-github-api-version-selected": "2022-11-28",
            }
        return status, headers, json.dumps(body, ensure_ascii=False).encode()

    def _conditional(self, headers: dict[str, str], result: Answer) -> Answer:
        status, extra, body = result
        etag = 'W/"' + hashlib.sha256(body + extra.get("Link", "").encode()).hexdigest() + '"'
        if status == 200 and headers.get("if-none-match") == etag:
            with self._lock:
                self.remaining += 1  # a 304 does not count against the limit
                extra = {**extra, "X-RateLimit-Remaining": str(self.remaining)}
            return 304, {**extra, "ETag": etag}, b""
        return status, {**extra, "ETag": etag}, body

    # shapes ----------------------------------------------------------------------------------------

    def _user(self, name: str, email: str) -> dict[str, Any] | None:
        if not email or email.endswith("@unknown.invalid"):
            return None
        login = re.sub(r"[^A-Za-z0-9-]", "-", email.split("@")[0]) or "ghost"
        return {"login": login, "id": int(hashlib.sha1(login.encode()).hexdigest()[:6], 16), "type": "User",
                "url": f"{self.url}/users/{login}", "html_url": f"{self.web_url}/{login}", "site_admin": False}  # fmt: skip

    def _repo_json(self, name: str, repo: GitData) -> dict[str, Any]:
        owner = name.split("/")[0]
        return {
            "id": int(hashlib.sha1(name.encode()).hexdigest()[:7], 16), "name": name.split("/")[1],
            "full_name": name, "private": False, "owner": self._user(owner, f"{owner}@users.noreply"),
            "html_url": f"{self.web_url}/{name}", "url": f"{self.url}/repos/{name}",
            "default_branch": repo.default_branch() if repo.has_commits() else "main",
        }  # fmt: skip

    def _commit_json(self, name: str, repo: GitData, sha: str) -> dict[str, Any]:
        meta = repo.meta(sha)
        (an, ae, ad), (cn, ce, cd) = meta["author"], meta["committer"]
        api = f"{self.url}/repos/{name}"
        return {
            "sha": sha,
            "node_id": "C_" + sha[:20],
            "commit": {
                "author": {"name": an, "email": ae, "date": _utc(ad)},
                "committer": {"name": cn, "email": ce, "date": _utc(cd)},
                "message": meta["message"],
                "tree": {"sha": meta["tree"], "url": f"{api}/git/trees/{meta['tree']}"},
                "url": f"{api}/git/commits/{sha}",
                "comment_count": 0,
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
            },
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.web_url}/{name}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "author": self._user(an, ae),
            "committer": self._user(cn, ce),
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{self.web_url}/{name}/commit/{p}"}
                for p in meta["parents"]
            ],
        }

    def _list(
        self, name: str, repo: GitData, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        rev = query.get("sha") or repo.default_branch()
        if repo.resolve(rev) is None:
            return self._json(422, {"message": f"No commit found for SHA: {rev}", "documentation_url": DOCS})
        since, until = query.get("since"), query.get("until")
        shas = []
        for sha in repo.log(rev):
            committed = _utc(repo.meta(sha)["committer"][2])
            if (since is None or committed >= since) and (until is None or committed <= until):
                shas.append(sha)
        per_page = min(int(query.get("per_page", 30)), 100, self.list_page_size or 100)
        page = int(query.get("page", 1))
        chunk = shas[(page - 1) * per_page : page * per_page]
        status, extra, body = self._json(200, [self._commit_json(name, repo, s) for s in chunk])
        links = _links(
            f"{self.link_base or f'http://127.0.0.1:{self.port}'}{path}",
            query,
            page,
            math.ceil(len(shas) / per_page),
        )
        return self._conditional(headers, (status, {**extra, **links}, body))

    def _branches(
        self, name: str, repo: GitData, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        """GET /repos/{owner}/{name}/branches: the repository's refs/heads, by name, paginated."""
        branches = repo.branches() if repo.has_commits() else []
        per_page = min(int(query.get("per_page", 30)), 100, self.list_page_size or 100)
        page = int(query.get("page", 1))
        api = f"{self.url}/repos/{name}"
        chunk = [
            {"name": branch, "commit": {"sha": sha, "url": f"{api}/commits/{sha}"}, "protected": False}
            for branch, sha in branches[(page - 1) * per_page : page * per_page]
        ]
        status, extra, body = self._json(200, chunk)
        base = f"{self.link_base or f'http://127.0.0.1:{self.port}'}{path}"
        links = _links(base, query, page, max(1, math.ceil(len(branches) / per_page)))
        return self._conditional(headers, (status, {**extra, **links}, body))

    def _detail(
        self, name: str, repo: GitData, sha: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        rows = repo.files(sha)[: self.max_files]
        per_page = min(int(query.get("per_page", self.files_page_size)), self.files_page_size)
        page = int(query.get("page", 1))
        data = self._commit_json(name, repo, sha)
        data["stats"] = {
            "total": sum(r.additions + r.deletions for r in repo.files(sha)),
            "additions": sum(r.additions for r in repo.files(sha)),
            "deletions": sum(r.deletions for r in repo.files(sha)),
        }
        data["files"] = [
            self._file_json(name, sha, row) for row in rows[(page - 1) * per_page : page * per_page]
        ]
        status, extra, body = self._json(200, data)
        links = _links(
            f"{self.link_base or f'http://127.0.0.1:{self.port}'}{path}",
            query,
            page,
            math.ceil(len(rows) / per_page),
        )
        return self._conditional(headers, (status, {**extra, **links}, body))

    def _file_json(self, name: str, sha: str, row: FileRow) -> dict[str, Any]:
        web = f"{self.web_url}/{name}"
        data: dict[str, Any] = {
            "sha": row.blob, "filename": row.path, "status": row.status, "additions": row.additions,
            "deletions": row.deletions, "changes": row.additions + row.deletions,
            "blob_url": f"{web}/blob/{sha}/{row.path}", "raw_url": f"{web}/raw/{sha}/{row.path}",
            "contents_url": f"{self.url}/repos/{name}/contents/{row.path}?ref={sha}",
        }  # fmt: skip
        too_large = self.patch_limit_bytes is not None and len(row.hunks.encode()) > self.patch_limit_bytes
        if row.hunks and row.path not in self.drop_patch and not too_large:
            data["patch"] = row.hunks
        if row.previous is not None:
            data["previous_filename"] = row.previous
        return data

    def _pull_json(self, name: str, pull: FakePull, *, full: bool = False) -> dict[str, Any]:
        api, web = f"{self.url}/repos/{name}", f"{self.web_url}/{name}"
        data: dict[str, Any] = {
            "url": f"{api}/pulls/{pull.number}", "id": 1000 + pull.number, "html_url": f"{web}/pull/{pull.number}",
            "diff_url": f"{web}/pull/{pull.number}.diff", "issue_url": f"{api}/issues/{pull.number}",
            "number": pull.number, "state": pull.state, "locked": False, "title": pull.title,
            "user": self._user("author", "author@example.com"), "body": pull.body,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "closed_at": "2026-01-02T00:00:00Z" if pull.state == "closed" else None,
            "merged_at": "2026-01-02T00:00:00Z" if pull.merged else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "labels": [{"id": i, "name": label, "color": "ededed", "default": False, "description": None}
                       for i, label in enumerate(pull.labels)],
            "draft": False, "author_association": "CONTRIBUTOR",
        }  # fmt: skip
        if full:
            data.update({"merged": pull.merged, "comments": 0, "commits": max(1, len(pull.commits))})
        return data


_FORCED = {
    401: "Bad credentials",
    403: "Resource not accessible by personal access token",
    404: "Not Found",
    409: "Git Repository is empty.",
    422: "No commit found for SHA: nope",
}


_GIT_RE = re.compile(r"^/([^/]+/[^/]+?)\.git(/.*)$")


def _kind(path: str) -> str:
    if path.endswith("/graphql"):
        return "graphql"
    if path == "/rate_limit":
        return "rate_limit"
    if re.match(r"^/repos/[^/]+/[^/]+/commits$", path):
        return "list"
    if re.match(r"^/repos/[^/]+/[^/]+/branches$", path):
        return "branches"
    if re.match(r"^/repos/[^/]+/[^/]+/commits/[^/]+/pulls$", path):
        return "commit_pulls"
    if re.match(r"^/repos/[^/]+/[^/]+/commits/[^/]+$", path):
        return "detail"  # the diff is told apart by its Accept header in _handler
    if re.match(r"^/repos/[^/]+/[^/]+/pulls/\d+$", path):
        return "pull"
    if re.match(r"^/repos/[^/]+/[^/]+$", path):
        return "repo"
    return "unknown"


def _links(base: str, query: dict[str, str], page: int, last: int) -> dict[str, str]:
    def at(number: int) -> str:
        return f"{base}?{urlencode({**query, 'page': str(number)})}"

    rels = []
    if page < last:
        rels += [f'<{at(page + 1)}>; rel="next"', f'<{at(last)}>; rel="last"']
    if page > 1:
        rels += [f'<{at(page - 1)}>; rel="prev"', f'<{at(1)}>; rel="first"']
    return {"Link": ", ".join(rels)} if rels else {}


def _spoiled(answer: Answer, how: str) -> Answer:
    status, headers, body = answer
    if how == "html":
        page = b"<!DOCTYPE html><html><body><h1>Proxy error</h1><p>Try again later.</p></body></html>"
        return status, {**headers, "Content-Type": "text/html; charset=utf-8"}, page
    if how == "truncated":
        return status, headers, body[: len(body) // 2]
    if how == "foreign_link":
        return (
            status,
            {**headers, "Link": '<https://evil.example/repos/x/y/commits?page=2>; rel="next"'},
            body,
        )
    raise ValueError(how)


def _utc(iso: str) -> str:
    import datetime as dt

    return dt.datetime.fromisoformat(iso).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
