"""A fake GitLab REST API (v4): a real HTTP server on 127.0.0.1 that serves git repositories built with
tests/gitrepo.py, answering in the shapes GitLab documents (docs.gitlab.com/api/commits,
/api/rest/#pagination), which tests/data/gitlab_api/ keeps as examples the fake's answers are checked
against.

Endpoints, under ``/api/v4``: ``/projects/:id`` (``:id`` the URL-encoded path, nested groups included),
``/projects/:id/repository/commits`` (ref_name/since/until/per_page/page; ``Link`` with next and first,
``X-Next-Page``/``X-Page``/``X-Per-Page``/``X-Prev-Page``; no ``X-Total`` for commits, as on GitLab),
``/projects/:id/repository/commits/:sha/diff`` (paginated, 20 a page unless asked) and
``/projects/:id/repository/commits/:sha/merge_requests``, and a project's releases
(docs.gitlab.com/api/releases: ``GET``/``PUT /projects/:id/releases/:tag_name``, ``POST
/projects/:id/releases`` with ``tag_name``, ``name``, ``description``; a write needs the token; a second
``POST`` of a tag is 409, as on GitLab; ``releases`` holds them). Every answer carries ``RateLimit-*`` headers and
a weak ETag; ``If-None-Match`` is answered 304. The token is the ``PRIVATE-TOKEN`` header.

Knobs: ``latency``, ``fail_next(count, status)`` (5xx), ``limit_next(count, retry_after)`` (429 with
``Retry-After``), ``remaining``/``reset_at`` (a spent limit answers 429 until the reset), ``garbled_diffs``,
the transport faults every fake forge has (fake_forge.py: ``drip``, ``hang``, ``die_mid_body``),
``list_page_size``, ``diff_page_size``, a required ``token``. Every request is recorded
(kind, status, headers) for the tests to count.

    with FakeGitLab({"group/sub/project": repo_path}) as fake:
        api_url = fake.url  # http://127.0.0.1:PORT/api/v4
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from fake_forge import Answer, FakeForge
from fake_github_git import FileRow, GitData
from fake_github_graphql import answer_git

PREFIX = "/api/v4"
_PROJECT_RE = re.compile(r"^/projects/([^/]+)(/.*)?$")
_GIT_RE = re.compile(r"^/(.+?)\.git(/.*)$")  # git over smart HTTP on the web host (clone mode)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    kind: str  # project, list, diff, merge_requests, unknown
    status: int
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass
class FakeMergeRequest:
    iid: int
    title: str
    commits: list[str]  # the shas it landed
    description: str = ""
    labels: list[str] = field(default_factory=list)
    state: str = "merged"
    source_branch: str = "feature"
    target_branch: str = "main"


class FakeGitLab(FakeForge):
    name = "fake-gitlab"

    def __init__(self, repos: dict[str, GitData] | None = None, *, token: str | None = None) -> None:
        super().__init__()
        self.repos: dict[str, GitData] = dict(repos or {})
        self.token = token
        self.latency = 0.0
        self.list_page_size: int | None = None
        self.diff_page_size: int | None = None
        self.garbled_diffs: set[str] = set()  # shas whose diff is answered with objects of another shape
        self.merge_requests: dict[str, list[FakeMergeRequest]] = {}
        self.releases: dict[str, dict[str, dict[str, Any]]] = {}  # project → tag → release
        self.rate_limit = 2000
        self.remaining = 2000
        self.reset_at = math.ceil(time.time()) + 60
        self.requests: list[Recorded] = []
        self._failures: list[tuple[int, float | None]] = []  # (status, Retry-After) of the next answers
        self._limits: list[float] = []  # retry-after of the next 429s
        # A GitLab that acts, then answers badly: (method, path ending, status, seconds) — the next such request
        # is handled (what it creates is made), then answered after ``seconds`` with ``status`` (0: its own).
        self.acted: list[tuple[str, str, int, float]] = []

    # lifecycle -------------------------------------------------------------------------------------

    @property
    def web_url(self) -> str:
        return self.origin

    @property
    def url(self) -> str:
        return self.web_url + PREFIX

    # knobs -----------------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 502, retry_after: float | None = None) -> None:
        with self._lock:
            self._failures += [(status, retry_after)] * count

    def limit_next(self, count: int, retry_after: float) -> None:
        with self._lock:
            self._limits += [retry_after] * count

    def add_merge_request(self, project: str, mr: FakeMergeRequest) -> None:
        self.merge_requests.setdefault(project, []).append(mr)

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        return len(
            [
                r
                for r in self.requests
                if (kind is None or r.kind == kind) and (status is None or r.status == status)
            ]
        )

    # answering -------------------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Answer:
        arrived = time.monotonic()
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        path = parts.path[len(PREFIX) :] if parts.path.startswith(PREFIX) else parts.path
        kind = _kind(path)
        if self.latency:
            time.sleep(self.latency)
        git_match = _GIT_RE.match(parts.path)
        if git_match and not parts.path.startswith(PREFIX):
            kind = "git"
            result = self._git(method, git_match.group(1), git_match.group(2), parts.query, headers, body)
        else:
            result = self._answer(method, path, query, headers, body)
        with self._lock:
            self.requests.append(Recorded(method, parts.path, query, headers, kind, result[0], arrived))
            then = next((a for a in self.acted if a[0] == method and parts.path.endswith(a[1])), None)
            if then is not None:
                self.acted.remove(then)
        if then is not None:
            time.sleep(then[3])
            if then[2]:
                return self._json(then[2], {"message": f"{then[2]} after acting"}, count=False)
        return result

    def _git(
        self, method: str, name: str, rest: str, query: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        """A clone or fetch: GitLab takes the token as the password of Basic auth, any user name."""
        repo = self.repos.get(name)
        if repo is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        if self.token is not None:
            given = headers.get("authorization", "")
            try:
                password = (
                    base64.b64decode(given[6:]).decode().partition(":")[2]
                    if given[:6].lower() == "basic "
                    else ""
                )
            except ValueError:
                password = ""
            if password != self.token:
                return 401, {"WWW-Authenticate": 'Basic realm="GitLab"'}, b"HTTP Basic: Access denied"
        return answer_git(self, method, repo.path, rest, query, headers, body)  # type: ignore[arg-type]

    def _answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        with self._lock:
            if self._failures:
                status, retry_after = self._failures.pop(0)
                code, extra, body = self._json(
                    status, {"message": f"{status} Service Unavailable"}, count=False
                )
                return (
                    code,
                    extra | ({"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}),
                    body,
                )
            if self._limits:
                retry_after = self._limits.pop(0)
                status, extra, body = self._json(429, {"message": "429 Too Many Requests"}, count=False)
                return status, {**extra, "Retry-After": f"{retry_after:g}"}, body
        with self._lock:
            if time.time() >= self.reset_at:
                self.remaining, self.reset_at = self.rate_limit, math.ceil(time.time()) + 60
            if self.remaining <= 0:  # spent: 429 until the reset, saying when
                status, extra, body = self._json(429, {"message": "429 Too Many Requests"}, count=False)
                return (
                    status,
                    {**extra, "Retry-After": str(max(1, math.ceil(self.reset_at - time.time())))},
                    body,
                )
        if self.token is not None and headers.get("private-token") != self.token:
            return self._json(401, {"message": "401 Unauthorized"}, count=False)
        match = _PROJECT_RE.match(path)
        if match is not None and re.match(r"^/releases(/|$)", match.group(2) or ""):
            return self._release(
                method, unquote(match.group(1)), match.group(2)[len("/releases") :], headers, body
            )
        if method != "GET" or match is None:
            return self._json(404, {"error": "404 Not Found"})
        name = unquote(match.group(1))
        repo = self.repos.get(name)
        if repo is None:
            return self._json(404, {"message": "404 Project Not Found"})
        rest = match.group(2) or ""
        if rest == "":
            return self._conditional(headers, self._json(200, self._project_json(name, repo)))
        if rest == "/repository/commits":
            return self._list(name, repo, query, headers)
        found = re.match(r"^/repository/commits/([0-9a-f]{40})/(diff|merge_requests)$", rest)
        if found is None or repo.resolve(found.group(1)) is None:
            return self._json(404, {"message": "404 Commit Not Found"})
        sha = found.group(1)
        if found.group(2) == "diff":
            return self._diff(name, repo, sha, query, headers)
        mrs = [self._mr_json(name, mr) for mr in self.merge_requests.get(name, []) if sha in mr.commits]
        return self._conditional(headers, self._json(200, mrs))

    def _release(self, method: str, name: str, rest: str, headers: dict[str, str], body: bytes) -> Answer:
        """A project's releases: GET or PUT one by its tag, POST a new one."""
        if name not in self.repos:
            return self._json(404, {"message": "404 Project Not Found"})
        if method != "GET" and not headers.get("private-token"):
            return self._json(401, {"message": "401 Unauthorized"})
        releases = self.releases.setdefault(name, {})
        tag = unquote(rest.lstrip("/"))
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"message": "400 Bad request - body is not JSON"})
        if method == "POST" and not tag:
            tag = str(sent.get("tag_name") or "")
            if not tag:
                return self._json(400, {"error": "tag_name is missing"})
            if tag in releases:
                return self._json(409, {"message": "Release already exists"})
            link = f"{self.web_url}/{name}/-/releases/{quote(tag)}"
            releases[tag] = {"tag_name": tag, "name": sent.get("name") or tag, "description": sent.get("description", ""),
                             "released_at": sent.get("released_at") or "2026-03-03T00:00:00.000Z",
                             "upcoming_release": False, "_links": {"self": link}}  # fmt: skip
            return self._json(201, releases[tag])
        if not tag or tag not in releases:
            return self._json(404, {"message": "404 Not Found"})
        if method == "PUT":
            releases[tag].update(
                {k: v for k, v in sent.items() if k in ("name", "description", "released_at")}
            )
        elif method != "GET":
            return self._json(405, {"message": "405 Method Not Allowed"})
        return self._json(200, releases[tag])

    def _json(self, status: int, body: Any, *, count: bool = True) -> Answer:
        with self._lock:
            now = time.time()
            if now >= self.reset_at:
                self.remaining, self.reset_at = self.rate_limit, math.ceil(now) + 60
            if count:
                self.remaining = max(0, self.remaining - 1)
            reset = dt.datetime.fromtimestamp(self.reset_at, dt.UTC)
            headers = {
                "Content-Type": "application/json",
                "RateLimit-Limit": str(self.rate_limit),
                "RateLimit-Observed": str(self.rate_limit - self.remaining),
                "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset_at),
                "RateLimit-ResetTime": reset.strftime("%a, %d %b %Y %H:%M:%S GMT"),
                "Cache-Control": "max-age=0, private, must-revalidate",
                "Vary": "Origin",
            }
        return status, headers, json.dumps(body, ensure_ascii=False).encode()

    def _conditional(self, headers: dict[str, str], result: Answer) -> Answer:
        status, extra, body = result
        etag = 'W/"' + hashlib.md5(body + extra.get("Link", "").encode()).hexdigest() + '"'
        if status == 200 and headers.get("if-none-match") == etag:
            return 304, {k: v for k, v in extra.items() if k != "Content-Type"} | {"ETag": etag}, b""
        return status, {**extra, "ETag": etag}, body

    def _paged(
        self, path: str, query: dict[str, str], items: list[Any], default: int, cap: int | None
    ) -> tuple[list[Any], dict[str, str]]:
        """One page of ``items`` and GitLab's offset pagination headers (``Link``: next, prev, first)."""
        per_page = min(int(query.get("per_page", default)), 100, cap or 100)
        page = max(1, int(query.get("page", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(items)
        base = f"{self.url}{path}"

        def at(number: int) -> str:
            return f"{base}?{urlencode({**query, 'page': str(number), 'per_page': str(per_page)})}"

        rels = (
            ([f'<{at(page - 1)}>; rel="prev"'] if page > 1 else [])
            + ([f'<{at(page + 1)}>; rel="next"'] if more else [])
            + [f'<{at(1)}>; rel="first"']
        )
        headers = {
            "Link": ", ".join(rels),
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if more else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        return chunk, headers

    # shapes ----------------------------------------------------------------------------------------

    def _project_json(self, name: str, repo: GitData) -> dict[str, Any]:
        namespace, _, path = name.rpartition("/")
        return {
            "id": _project_id(name), "description": "", "name": path, "path": path,
            "name_with_namespace": " / ".join(name.split("/")), "path_with_namespace": name,
            "default_branch": repo.default_branch() if repo.has_commits() else "main",
            "web_url": f"{self.web_url}/{name}", "http_url_to_repo": f"{self.web_url}/{name}.git",
            "namespace": {"full_path": namespace, "kind": "group"}, "visibility": "public",
        }  # fmt: skip

    def _commit_json(self, name: str, repo: GitData, sha: str) -> dict[str, Any]:
        meta = repo.meta(sha)
        (an, ae, ad), (cn, ce, cd) = meta["author"], meta["committer"]
        message = meta["message"] + "\n"
        return {
            "id": sha, "short_id": sha[:8], "created_at": _gitlab_time(cd), "parent_ids": meta["parents"],
            "title": message.split("\n", 1)[0], "message": message, "author_name": an, "author_email": ae,
            "authored_date": _gitlab_time(ad), "committer_name": cn, "committer_email": ce,
            "committed_date": _gitlab_time(cd), "trailers": {}, "extended_trailers": {},
            "web_url": f"{self.web_url}/{name}/-/commit/{sha}",
        }  # fmt: skip

    def _list(self, name: str, repo: GitData, query: dict[str, str], headers: dict[str, str]) -> Answer:
        rev = query.get("ref_name") or repo.default_branch()
        if repo.resolve(rev) is None:
            return self._json(404, {"message": "404 Reference Not Found"})
        since = _utc(query["since"]) if "since" in query else None
        until = _utc(query["until"]) if "until" in query else None
        shas = []
        for sha in repo.log(rev):
            committed = _utc(repo.meta(sha)["committer"][2])
            if (since is None or committed >= since) and (until is None or committed <= until):
                shas.append(sha)
        path = f"/projects/{_encoded(name)}/repository/commits"
        chunk, paging = self._paged(path, query, shas, 20, self.list_page_size)
        status, extra, body = self._json(200, [self._commit_json(name, repo, s) for s in chunk])
        return self._conditional(headers, (status, {**extra, **paging}, body))

    def _diff(
        self, name: str, repo: GitData, sha: str, query: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        rows = repo.files(sha)
        path = f"/projects/{_encoded(name)}/repository/commits/{sha}/diff"
        chunk, paging = self._paged(path, query, rows, 20, self.diff_page_size)
        items = [{"path": row.path} if sha in self.garbled_diffs else _diff_json(row) for row in chunk]
        status, extra, body = self._json(200, items)
        return self._conditional(headers, (status, {**extra, **paging}, body))

    def _mr_json(self, name: str, mr: FakeMergeRequest) -> dict[str, Any]:
        merged = mr.state == "merged"
        author = {"id": 1, "username": "maintainer", "name": "A Maintainer", "state": "active",
                  "web_url": f"{self.web_url}/maintainer"}  # fmt: skip
        return {
            "id": _project_id(name) * 1000 + mr.iid, "iid": mr.iid, "project_id": _project_id(name),
            "title": mr.title, "description": mr.description, "state": mr.state,
            "created_at": "2026-01-01T08:00:00.000Z", "updated_at": "2026-01-02T08:00:00.000Z",
            "merged_by": author if merged else None, "merge_user": author if merged else None,
            "merged_at": "2026-01-02T08:00:00.000Z" if merged else None, "closed_by": None, "closed_at": None,
            "target_branch": mr.target_branch, "source_branch": mr.source_branch, "user_notes_count": 0,
            "upvotes": 0, "downvotes": 0, "author": author, "assignees": [], "assignee": None, "reviewers": [],
            "source_project_id": _project_id(name), "target_project_id": _project_id(name), "labels": mr.labels,
            "draft": False, "work_in_progress": False, "milestone": None, "merge_when_pipeline_succeeds": False,
            "merge_status": "can_be_merged", "detailed_merge_status": "mergeable", "sha": mr.commits[-1],
            "merge_commit_sha": mr.commits[-1] if merged else None, "squash_commit_sha": None,
            "discussion_locked": None, "should_remove_source_branch": None, "force_remove_source_branch": True,
            "reference": f"!{mr.iid}", "references": {"short": f"!{mr.iid}", "relative": f"!{mr.iid}",
                                                     "full": f"{name}!{mr.iid}"},
            "web_url": f"{self.web_url}/{name}/-/merge_requests/{mr.iid}",
            "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": None,
                           "human_total_time_spent": None},
            "squash": False, "task_completion_status": {"count": 0, "completed_count": 0},
        }  # fmt: skip


def _diff_json(row: FileRow) -> dict[str, Any]:
    """A file of ``/repository/commits/:sha/diff``: hunks without ``---``/``+++`` lines, git's text for a
    binary file, an empty diff for a file without lines (an empty file, a pure rename, a mode change)."""
    if row.binary:
        old = f"a/{row.previous or row.path}"
        text = f"Binary files {'/dev/null' if row.status == 'added' else old} and b/{row.path} differ\n"
    else:
        text = row.hunks + "\n" if row.hunks else ""
    return {
        "diff": text, "new_path": row.path, "old_path": row.previous or row.path,
        "a_mode": "0" if row.status == "added" else "100644", "b_mode": "0" if row.status == "removed" else "100644",
        "new_file": row.status == "added", "renamed_file": row.status == "renamed",
        "deleted_file": row.status == "removed", "generated_file": False,
    }  # fmt: skip


def _kind(path: str) -> str:
    if "/releases" in path:
        return "releases"
    if path.endswith("/repository/commits"):
        return "list"
    if path.endswith("/diff"):
        return "diff"
    if path.endswith("/merge_requests"):
        return "merge_requests"
    if _PROJECT_RE.match(path) and path.count("/") == 2:
        return "project"
    return "unknown"


def _project_id(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)


def _encoded(name: str) -> str:
    return name.replace("/", "%2F")


def _gitlab_time(iso: str) -> str:
    """git's ``%cI`` (2026-01-05T09:00:00+08:00) as GitLab writes it: milliseconds, the committer's offset."""
    moment = dt.datetime.fromisoformat(iso)
    return moment.isoformat(timespec="milliseconds")


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
