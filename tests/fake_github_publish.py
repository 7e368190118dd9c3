"""A fake GitHub REST API for publishing: the repository, the Contents API (get/create/update a file),
the Git Data API (refs, commits, trees, blobs: several files in one commit) and issues with comments, on
127.0.0.1. Contents and issues answer in the shapes of the recorded exchanges in shared/github-api/
(Repository.testCreateFile / testUpdateFile / testCreateIssue), the Git Data API in the shapes of
GitHub's REST reference (docs.github.com/rest/git): a ref that is not a fast-forward is refused with 422,
an empty repository answers 409 for its refs. Its state is inspectable by tests: ``files`` is each
branch's tree, ``commits`` one entry per commit that landed on a branch (with the paths it changed)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_github import NO_USER_AGENT
from localserver import LocalServer

BODY_LIMIT = 65536


def blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class FakeGitHubPublish:
    token: str = "ghp-fake-token"
    default_branch: str = "main"
    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)  # (repo, branch, path) -> bytes
    commits: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, branch) -> commit sha
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> blob, tree or commit
    issues: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # repo -> releases, oldest first
    requests: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # ref updates refused (moved meanwhile)
    answers: list[tuple[str, str, int, bytes]] = field(default_factory=list)  # what was sent back, to say so
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers before normal handling
    echo: bool = False  # scripted answers quote the request's URL and headers (the token included) back
    # A receiver that acts, then answers badly: (method, path ending, status, seconds) — the next such request
    # is handled (what it creates is made), then answered after ``seconds`` with ``status`` (0: its own answer).
    acted: list[tuple[str, str, int, float]] = field(default_factory=list)
    latency: float = 0.0  # seconds before each request is handled, as GitHub's own (two writers overlap)
    read_only: bool = False  # the token may read the repositories, not push (GitHub's `permissions.push`)
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeGitHubPublish:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                time.sleep(fake.latency)
                status, headers, body = fake.handle(self.command, self.path, dict(self.headers), raw)
                then = fake.then(self.command, self.path)
                if then is not None:
                    time.sleep(then[1])
                    if then[0]:
                        status, headers, body = then[0], {}, {"message": "failed after acting"}
                data = b"" if body is None else json.dumps(body).encode()
                with fake._lock:
                    fake.answers.append((self.command, self.path, status, data[:200]))
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-ratelimit-limit", "5000")
                self.send_header("x-ratelimit-remaining", "4990")
                for key, value in headers.items():
                    self.send_header(key, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # an answer past the client's timeout
                    self.close_connection = True

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _handle

        self.server = LocalServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # helpers for tests ----------------------------------------------------------------------------

    def file_text(self, repo: str, path: str, branch: str | None = None) -> str | None:
        content = self.files.get((repo, branch or self.default_branch, path))
        return None if content is None else content.decode()

    def add_issue(self, repo: str, title: str, body: str, pull_request: bool = False) -> dict[str, Any]:
        with self._lock:
            return self._new_issue(repo, title, body, [], pull_request)

    def then(self, method: str, target: str) -> tuple[int, float] | None:
        """How a request that was just handled is answered instead (``acted``), once."""
        path = urlsplit(target).path
        with self._lock:
            for index, (m, ending, status, seconds) in enumerate(self.acted):
                if m == method and path.endswith(ending):
                    del self.acted[index]
                    return status, seconds
        return None

    # the API --------------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append((method, target))
            if self.script:
                status, extra = self.script.pop(0)
                if self.echo:
                    return (
                        status,
                        extra,
                        {"message": f"scripted failure for {method} {target} with {headers}"},
                    )
                return status, extra, {"message": "scripted failure"}
            # As GitHub answers a request without one; dailydiff's own name is asked for (an HTTP library's
            # default User-Agent, python-httpx/…, is refused like a missing one).
            if not (headers.get("User-Agent") or headers.get("user-agent") or "").startswith("dailydiff"):
                return 403, {}, {"message": NO_USER_AGENT}
            auth = headers.get("Authorization") or headers.get("authorization") or ""
            if auth not in (f"Bearer {self.token}", f"token {self.token}"):
                return (
                    401,
                    {},
                    {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
                )
            parts = urlsplit(target.removeprefix("/api/v3"))  # GitHub Enterprise serves the API under /api/v3
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = json.loads(raw) if raw else None
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)", parts.path)
            if match and method == "GET":
                repo = match.group(1)
                return 200, {}, {"full_name": repo, "name": repo.split("/")[1], "private": False,
                                 "default_branch": self.default_branch,
                                 "permissions": {"admin": False, "push": not self.read_only, "pull": True},
                                 "url": f"https://api.github.com/repos/{repo}"}  # fmt: skip
            match = re.fullmatch(
                r"/repos/([^/]+/[^/]+)/git/(blobs|trees|commits|refs?)(?:/(.+))?", parts.path
            )
            if match:
                repo, kind, rest = match.group(1), match.group(2), unquote(match.group(3) or "")
                return self._git(method, repo, kind, rest, body)
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)/contents/(.+)", parts.path)
            if match:
                return self._contents(method, match.group(1), unquote(match.group(2)), query, body)
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+))?(/comments)?", parts.path)
            if match:
                number = int(match.group(2)) if match.group(2) else None
                return self._issues(method, match.group(1), number, bool(match.group(3)), query, body)
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", parts.path)
            if match:
                return self._comment(method, match.group(1), int(match.group(2)), body)
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)/releases(?:/(\d+)|/tags/(.+))?", parts.path)
            if match:
                release_id = int(match.group(2)) if match.group(2) else None
                return self._releases(
                    method, match.group(1), release_id, unquote(match.group(3) or ""), query, body
                )
            return 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _contents(
        self, method: str, repo: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if method == "GET":
            branch = query.get("ref") or self.default_branch
            content = self.files.get((repo, branch, path))
            if content is None:
                return (
                    404,
                    {},
                    {
                        "message": "Not Found",
                        "documentation_url": "https://docs.github.com/rest/repos/contents",
                    },
                )
            encoded = base64.b64encode(content).decode()
            wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
            return 200, {}, {"type": "file", "encoding": "base64", "size": len(content), "name": path.rsplit("/", 1)[-1],
                             "path": path, "content": wrapped, "sha": blob_sha(content),
                             "_links": {"self": f"https://api.github.com/repos/{repo}/contents/{path}"}}  # fmt: skip
        if method != "PUT":
            return 405, {}, {"message": "Method Not Allowed"}
        if not isinstance(body, dict) or "message" not in body or "content" not in body:
            return 422, {}, {"message": 'Invalid request.\n\n"content" wasn\'t supplied.'}
        branch = body.get("branch") or self.default_branch
        key = (repo, branch, path)
        current = self.files.get(key)
        if current is not None and body.get("sha") is None:
            return 422, {}, {"message": 'Invalid request.\n\n"sha" wasn\'t supplied.'}
        if current is not None and body["sha"] != blob_sha(current):
            return 409, {}, {"message": f"{path} does not match {body['sha']}"}
        content = base64.b64decode(body["content"])
        head = self._head(repo, branch)
        entries = dict(self.objects[self.objects[head]["tree"]]["entries"]) if head else {}
        self.objects[blob_sha(content)] = {"kind": "blob", "content": content}
        entries[path] = blob_sha(content)
        tree_sha = self._object("tree", {"entries": entries})
        commit_sha = self._object("commit", {"tree": tree_sha, "parents": [head] if head else [],
                                             "message": body["message"], "committer": body.get("committer")})  # fmt: skip
        self._land(repo, branch, commit_sha)
        answer = {
            "content": {"name": path.rsplit("/", 1)[-1], "path": path, "sha": blob_sha(content), "type": "file",
                        "size": len(content), "html_url": f"https://github.com/{repo}/blob/{branch}/{path}"},
            "commit": {"sha": commit_sha, "message": body["message"],
                       "html_url": f"https://github.com/{repo}/git/commit/{commit_sha}"},
        }  # fmt: skip
        return (201 if current is None else 200), {}, answer

    # the Git Data API ----------------------------------------------------------------------------

    def _object(self, kind: str, data: dict[str, Any]) -> str:
        sha = hashlib.sha1(
            f"{kind}{len(self.objects)}{json.dumps(data, sort_keys=True, default=str)}".encode()
        ).hexdigest()
        self.objects[sha] = {"kind": kind, **data}
        return sha

    def _head(self, repo: str, branch: str) -> str | None:
        """The branch's commit; files put there directly by a test become one initial commit."""
        if (repo, branch) not in self.refs:
            tree = {p: blob_sha(c) for (r, b, p), c in self.files.items() if (r, b) == (repo, branch)}
            if not tree:
                return None
            for (r, b, _path), c in self.files.items():
                if (r, b) == (repo, branch):
                    self.objects.setdefault(blob_sha(c), {"kind": "blob", "content": c})
            tree_sha = self._object("tree", {"entries": tree})
            self.refs[(repo, branch)] = self._object(
                "commit", {"tree": tree_sha, "parents": [], "message": "initial"}
            )
        return self.refs[(repo, branch)]

    def _git(
        self, method: str, repo: str, kind: str, rest: str, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/git"}
        api = f"https://api.github.com/repos/{repo}/git"
        if kind == "blobs" and method == "POST":
            content = (
                base64.b64decode(body["content"])
                if body.get("encoding") == "base64"
                else body["content"].encode()
            )
            sha = blob_sha(content)
            self.objects[sha] = {"kind": "blob", "content": content}
            return 201, {}, {"sha": sha, "url": f"{api}/blobs/{sha}"}
        if kind == "trees" and method == "POST":
            entries: dict[str, str] = {}
            if body.get("base_tree"):
                base = self.objects.get(body["base_tree"])
                if base is None or base["kind"] != "tree":
                    return 422, {}, {"message": "Invalid tree info"}
                entries.update(base["entries"])
            for entry in body.get("tree", []):
                if entry.get("type") != "blob" or entry.get("mode") != "100644":
                    return 422, {}, {"message": "Invalid tree info"}
                if "content" in entry:
                    content = entry["content"].encode()
                    self.objects[blob_sha(content)] = {"kind": "blob", "content": content}
                    entries[entry["path"]] = blob_sha(content)
                elif entry.get("sha") in self.objects:
                    entries[entry["path"]] = entry["sha"]
                else:
                    return 422, {}, {"message": "Invalid tree info"}
            sha = self._object("tree", {"entries": entries})
            listing = [
                {"path": p, "mode": "100644", "type": "blob", "sha": b} for p, b in sorted(entries.items())
            ]
            return 201, {}, {"sha": sha, "url": f"{api}/trees/{sha}", "tree": listing, "truncated": False}
        if kind == "commits" and method == "POST":
            tree = self.objects.get(body.get("tree", ""))
            parents = body.get("parents", [])
            if tree is None or any(self.objects.get(p, {}).get("kind") != "commit" for p in parents):
                return 422, {}, {"message": "Tree SHA does not exist"}
            sha = self._object("commit", {"tree": body["tree"], "parents": parents, "message": body["message"],
                                          "committer": body.get("committer")})  # fmt: skip
            return 201, {}, self._commit_json(repo, sha)
        if kind == "commits" and method == "GET":
            if self.objects.get(rest, {}).get("kind") != "commit":
                return 404, {}, not_found
            return 200, {}, self._commit_json(repo, rest)
        if kind in ("ref", "refs") and rest.startswith("heads/"):
            branch = rest.removeprefix("heads/")
            head = self._head(repo, branch)
            if method == "GET":
                if head is None:
                    empty = not any(r == repo for r, _ in self.refs) and not any(
                        r == repo for r, _, _ in self.files
                    )
                    return (
                        (409, {}, {"message": "Git Repository is empty."}) if empty else (404, {}, not_found)
                    )
                return 200, {}, self._ref_json(repo, branch)
            if method == "PATCH" and kind == "refs":
                new = body.get("sha", "")
                if head is None:
                    return 422, {}, {"message": "Reference does not exist"}
                if self.objects.get(new, {}).get("kind") != "commit":
                    return 422, {}, {"message": "Object does not exist"}
                if not body.get("force") and head not in self.objects[new]["parents"]:
                    self.refused.append((method, f"{repo}/heads/{branch}"))
                    return 422, {}, {"message": "Update is not a fast forward"}
                self._land(repo, branch, new)
                return 200, {}, self._ref_json(repo, branch)
        if kind == "refs" and not rest and method == "POST":
            branch = str(body.get("ref", "")).removeprefix("refs/heads/")
            if self._head(repo, branch) is not None:
                self.refused.append((method, f"{repo}/heads/{branch}"))
                return 422, {}, {"message": "Reference already exists"}
            if self.objects.get(body.get("sha", ""), {}).get("kind") != "commit":
                return 422, {}, {"message": "Object does not exist"}
            self._land(repo, branch, body["sha"])
            return 201, {}, self._ref_json(repo, branch)
        return 404, {}, not_found

    def _land(self, repo: str, branch: str, sha: str) -> None:
        """Move the branch to commit ``sha``: its tree becomes the branch's files."""
        commit = self.objects[sha]
        entries = self.objects[commit["tree"]]["entries"]
        before = {p: blob_sha(c) for (r, b, p), c in self.files.items() if (r, b) == (repo, branch)}
        for key in [k for k in self.files if k[:2] == (repo, branch)]:
            del self.files[key]
        for path, blob in entries.items():
            self.files[(repo, branch, path)] = self.objects[blob]["content"]
        self.refs[(repo, branch)] = sha
        changed = sorted(p for p in entries.keys() | before.keys() if entries.get(p) != before.get(p))
        self.commits.append({"repo": repo, "branch": branch, "paths": changed, "message": commit["message"],
                             "sha": sha, "committer": commit.get("committer")})  # fmt: skip

    def _ref_json(self, repo: str, branch: str) -> dict[str, Any]:
        sha = self.refs[(repo, branch)]
        return {"ref": f"refs/heads/{branch}", "node_id": "REF_" + sha[:8],
                "url": f"https://api.github.com/repos/{repo}/git/refs/heads/{branch}",
                "object": {"sha": sha, "type": "commit", "url": f"https://api.github.com/repos/{repo}/git/commits/{sha}"}}  # fmt: skip

    def _commit_json(self, repo: str, sha: str) -> dict[str, Any]:
        commit = self.objects[sha]
        api = f"https://api.github.com/repos/{repo}/git"
        who = commit.get("committer") or {"name": "bot", "email": "bot@example.com"}
        return {"sha": sha, "node_id": "C_" + sha[:8], "url": f"{api}/commits/{sha}",
                "html_url": f"https://github.com/{repo}/commit/{sha}", "message": commit["message"],
                "author": {**who, "date": "2026-01-27T00:00:00Z"}, "committer": {**who, "date": "2026-01-27T00:00:00Z"},
                "tree": {"sha": commit["tree"], "url": f"{api}/trees/{commit['tree']}"},
                "parents": [{"sha": p, "url": f"{api}/commits/{p}"} for p in commit["parents"]],
                "verification": {"verified": False, "reason": "unsigned"}}  # fmt: skip

    def _new_issue(
        self, repo: str, title: str, body: str, labels: list[str], pull_request: bool = False
    ) -> dict[str, Any]:
        issues = self.issues.setdefault(repo, [])
        number = len(issues) + 1
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        issue: dict[str, Any] = {
            "id": self._new_id(), "number": number, "title": title, "body": body, "state": "open",
            "labels": [{"name": n} for n in labels], "comments": 0, "created_at": now, "updated_at": now,
            "url": f"https://api.github.com/repos/{repo}/issues/{number}",
            "html_url": f"https://github.com/{repo}/issues/{number}", "user": {"login": "bot"},
        }  # fmt: skip
        if pull_request:
            issue["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}"}
        issues.append(issue)
        return issue

    def _releases(self, method: str, repo: str, release_id: int | None, tag: str, query: dict[str, str],
                  body: Any) -> tuple[int, dict[str, str], Any]:  # fmt: skip
        """GitHub's releases (docs.github.com/rest/releases/releases): list (newest first, drafts included for
        a token that can push), get by id, get by tag (published releases only: a draft answers 404), create
        (201; 422 ``already_exists`` when the tag has a published release: drafts of one tag may be several, as
        on GitHub) and update (PATCH)."""
        releases = self.releases.setdefault(repo, [])
        not_found = (404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        if tag:
            found = [r for r in releases if r["tag_name"] == tag and not r["draft"]]
            return (200, {}, found[0]) if method == "GET" and found else not_found
        if release_id is None and method == "GET":
            per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            newest = releases[::-1]
            return 200, {}, newest[(page - 1) * per_page : page * per_page]
        if release_id is None and method == "POST":
            if not isinstance(body, dict) or not body.get("tag_name"):
                return 422, {}, {"message": "Validation Failed", "errors": [{"resource": "Release", "code": "missing_field", "field": "tag_name"}]}  # fmt: skip
            if any(r["tag_name"] == body["tag_name"] and not r["draft"] for r in releases):
                return 422, {}, {"message": "Validation Failed", "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}  # fmt: skip
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            number = self._new_id()
            draft = bool(body.get("draft", False))
            release = {
                "url": f"https://api.github.com/repos/{repo}/releases/{number}", "id": number,
                "html_url": f"https://github.com/{repo}/releases/tag/{body['tag_name']}",
                "tag_name": body["tag_name"], "target_commitish": body.get("target_commitish", self.default_branch),
                "name": body.get("name") or body["tag_name"], "body": body.get("body", ""), "draft": draft,
                "prerelease": bool(body.get("prerelease", False)), "created_at": now,
                "published_at": None if draft else now, "author": {"login": "bot"}, "assets": [],
            }  # fmt: skip
            releases.append(release)
            return 201, {}, release
        found = [r for r in releases if r["id"] == release_id]
        if not found:
            return not_found
        if method == "GET":
            return 200, {}, found[0]
        if method == "PATCH" and isinstance(body, dict):
            release = found[0]
            for key in ("tag_name", "name", "body", "draft", "prerelease", "target_commitish"):
                if key in body:
                    release[key] = body[key]
            if not release["draft"] and release["published_at"] is None:
                release["published_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return 200, {}, release
        return 404, {}, {"message": "Not Found"}

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @staticmethod
    def _too_long(text: str) -> bool:
        return len(text.encode("utf-16-le")) // 2 > BODY_LIMIT

    def _issues(self, method: str, repo: str, number: int | None, comments: bool, query: dict[str, str],
                body: Any) -> tuple[int, dict[str, str], Any]:  # fmt: skip
        too_long = {"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "custom", "field": "body",
                    "message": "body is too long (maximum is 65536 characters)"}]}  # fmt: skip
        issues = self.issues.setdefault(repo, [])
        if number is None:
            if method == "GET":
                per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                ordered = sorted(
                    issues, key=lambda i: i["number"], reverse=query.get("direction", "desc") == "desc"
                )
                return 200, {}, ordered[(page - 1) * per_page : page * per_page]
            if method == "POST":
                if self._too_long(body.get("body") or ""):
                    return 422, {}, too_long
                return (
                    201,
                    {},
                    self._new_issue(repo, body["title"], body.get("body") or "", body.get("labels", [])),
                )
            return 405, {}, {"message": "Method Not Allowed"}
        found = next((i for i in issues if i["number"] == number), None)
        if found is None:
            return 404, {}, {"message": "Not Found"}
        if comments:
            stored = self.comments.setdefault((repo, number), [])
            if method == "GET":
                per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                return 200, {}, stored[(page - 1) * per_page : page * per_page]
            if method == "POST":
                if self._too_long(body.get("body") or ""):
                    return 422, {}, too_long
                comment = {"id": self._new_id(), "body": body["body"], "user": {"login": "bot"}}
                stored.append(comment)
                found["comments"] = len(stored)
                return 201, {}, comment
            return 405, {}, {"message": "Method Not Allowed"}
        if method == "GET":
            return 200, {}, found
        if method == "PATCH":
            if "body" in body and self._too_long(body["body"] or ""):
                return 422, {}, too_long
            found.update({k: body[k] for k in ("title", "body", "state") if k in body})
            return 200, {}, found
        return 405, {}, {"message": "Method Not Allowed"}

    def _comment(self, method: str, repo: str, comment_id: int, body: Any) -> tuple[int, dict[str, str], Any]:
        for (owner_repo, _number), stored in self.comments.items():
            if owner_repo != repo:
                continue
            for comment in stored:
                if comment["id"] == comment_id:
                    if method == "PATCH":
                        comment["body"] = body["body"]
                        return 200, {}, comment
                    if method == "DELETE":
                        stored.remove(comment)
                        return 204, {}, None
                    return 200, {}, comment
        return 404, {}, {"message": "Not Found"}
