"""GitHub publishers: report files committed through the Git Data API, and the day's issue.

Both are idempotent. A day's formats go in one commit, and none is made when every file equals the
repository's (same git blob sha, or the same apart from the generation line); the day's issue is found
again by a hidden marker in its body and updated, never duplicated.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from dailydiff.common import placeholders
from dailydiff.common.http import HttpPolicy
from dailydiff.common.secrets import scrub
from dailydiff.errors import PublishError
from dailydiff.forges.github import api_headers, rate_limited
from dailydiff.publish.base import PublishResult, Secrets, Status, fill, link
from dailydiff.publish.http import Http, Look, cut_off, no_rate_limit
from dailydiff.publish.mdsplit import split_markdown, utf16_len
from dailydiff.render.edition import Edition, Part, comparable
from dailydiff.settings.publishers import GitHubContentsEntry, GitHubEntry, GitHubIssueEntry

ISSUE_BODY_LIMIT = 65536
_API_VERSION = "2022-11-28"


def blob_sha(content: bytes) -> str:
    """The git blob id of ``content`` — what the Contents API reports as a file's ``sha``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def listed(data: Any, what: str) -> list[dict[str, Any]]:
    """A page of one of GitHub's lists (``what``: "issues", "releases"), or a PublishError when the answer is
    something else (a proxy's page, another server at api_url): said, not an internal error."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PublishError(f"GitHub answered the list of {what} with {_came(data)}", "check api_url")
    return data


def _came(data: Any) -> str:
    """What an answer that should have been a list was, in a few words (its message quoted, scrubbed)."""
    if data is None:
        return "an empty body"
    if isinstance(data, dict):
        message = scrub(" ".join(str(data.get("message") or "").split()))[:120]
        return f"an object ({message})" if message else f"an object with {len(data)} key(s)"
    if isinstance(data, list):
        return "a list of something else"
    return f"a JSON {type(data).__name__}"


class GitHubApi:
    """The publishers' (and doctor's probe's) client of one repository's API: GitHub's headers (``api_headers``),
    the publishers' HTTP policy with GitHub's rate-limit rule, each answer checked, lists read page by page."""

    def __init__(self, entry: GitHubEntry, token: str, http: Http) -> None:
        self.base = entry.api_url.rstrip("/")
        self.repository = entry.repository
        self.token_env = entry.token_env
        self.http = http
        self.headers = api_headers(token, _API_VERSION)

    @classmethod
    @contextlib.contextmanager
    def opened(cls, entry: GitHubEntry, token: str, *, sleep: Callable[[float], None] = time.sleep,
               policy: HttpPolicy | None = None, limited: bool = True) -> Iterator[GitHubApi]:  # fmt: skip
        """A client for one delivery (``limited``: GitHub's spent rate limit waited for and tried again)."""
        with Http(
            entry, sleep=sleep, policy=policy, rate_limited=rate_limited if limited else no_rate_limit
        ) as http:
            yield cls(entry, token, http)

    def items(self, path: str, what: str, params: dict[str, Any] | None = None,
              pages: int | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Each item of one of GitHub's lists, 100 a page, up to ``pages`` pages: a page is asked for only when
        the one before was full and its items were all taken."""
        page = 1
        while pages is None or page <= pages:
            _, answer = self.call("GET", path, params={**(params or {}), "per_page": 100, "page": page})
            found = listed(answer, what)
            yield from found
            if len(found) < 100:
                return
            page += 1

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
             allow: tuple[int, ...] = (), look: Look | None = None) -> tuple[int, Any]:  # fmt: skip
        """One call; ``look`` (a create): what an earlier attempt made, asked before trying again (publish/http.py)."""
        url = f"{self.base}/repos/{self.repository}{path}"
        response = self.http.request(method, url, headers=self.headers, json=body, params=params, look=look)
        status = response.status_code
        if cut_off(response):  # accepted, but what GitHub answered (the thing it made) never came
            raise PublishError(f"{cut_off(response)}, but GitHub's answer to {method} {path} is needed to go on",
                               "run the same command again later")  # fmt: skip
        if status in allow or 200 <= status < 300:
            try:
                return status, response.json() if response.content else None
            except ValueError:
                raise PublishError(f"GitHub answered {method} {path} with something that is not JSON",
                                   "check api_url") from None  # fmt: skip
        try:
            message = scrub(str(response.json().get("message", "")))[:200]
        except (ValueError, AttributeError):
            message = scrub(response.text)[:200]
        if status == 401:
            raise PublishError(f"GitHub rejected the token in ${self.token_env} (HTTP 401: {message})",
                               "create a new token and export it")  # fmt: skip
        if status in (403, 404):
            raise PublishError(
                f"GitHub refused {method} on {self.repository}{path.split('?')[0]} (HTTP {status}: {message})",
                f"check that {self.repository} exists and the token in ${self.token_env} may write to it",
            )
        where = f"{method} on {self.repository}{path.split('?')[0]}"
        if 400 <= status < 500:  # refused as asked: retrying or waiting would not help
            raise PublishError(
                f"GitHub refused {where} (HTTP {status}: {message})",
                "check the entry's branch and paths; if they are right, report it with this line",
            )
        raise PublishError(
            f"GitHub answered {where} with HTTP {status}: {message}", "see GitHub's status page"
        )


def _relative(path: str) -> str:
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts or not parts:
        raise PublishError(f"report path {path!r} is not a relative path inside the repository",
                           "fix path_template")  # fmt: skip
    return "/".join(parts)


MOVING_TRIES = 8  # reads of a branch another writer keeps moving, before the send is said to have failed
_BRANCH_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _branch_lock(key: str) -> threading.Lock:
    with _LOCKS_LOCK:
        return _BRANCH_LOCKS.setdefault(key, threading.Lock())


class GitHubContentsPublisher:
    """Every format of a day in one commit through the Git Data API: the files are compared with the
    branch's (by blob sha, then without the generation line), and only when one differs is a tree made
    on the branch head's, committed, and the branch moved to it (a fast-forward: a branch that moved
    meanwhile is read again). The sends of one process to one branch take turns."""

    type = "github-contents"
    parts: tuple[Part, ...] = ("files",)
    updates_in_place = True

    def __init__(self, entry: GitHubContentsEntry, name: str, secrets: Secrets,
                 *, sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.entry, self.name, self.secrets, self.sleep = entry, name, secrets, sleep
        self.formats = tuple(entry.formats)
        where = f"{entry.api_url.rstrip('/')}/{entry.repository}@{entry.branch or '(default branch)'}"
        self.target = f"github-contents:{where}/{entry.path_template}"
        self.one_writer = f"github-branch:{where}"  # every commit moves the branch: one writer at a time

    @property
    def skip_empty(self) -> bool:
        return self.entry.skip_empty

    def _files(self, edition: Edition) -> list[tuple[str, str, bytes]]:
        """(format, path in the repository, content) of each format."""
        files = []
        for fmt in (f for f in self.formats if f in edition.files):
            try:
                path = edition.path(fmt, self.entry.path_template)
            except placeholders.TemplateError as exc:
                raise PublishError(f"bad path template: {exc}", "fix path_template") from None
            files.append((fmt, _relative(path.as_posix()), edition.files[fmt].encode("utf-8")))
        if len({path for _, path, _ in files}) < len(files):
            raise PublishError(f"path template {self.entry.path_template!r} gives two formats the same file",
                               "put {ext} in it")  # fmt: skip
        return files

    def _message(self, edition: Edition) -> str:
        return (
            fill(self.entry.message_template, edition, "message") if edition.kind == "day" else edition.title
        )

    def preview(self, edition: Edition) -> str:
        message = self._message(edition)
        branch = self.entry.branch or "the default branch"
        lines = [
            f"commit to {self.entry.repository} ({branch}) via {self.entry.api_url}, message {message!r}:"
        ]
        lines += [f"  {path} ({len(content)} bytes, blob {blob_sha(content)[:12]})"
                  for _, path, content in self._files(edition)]  # fmt: skip
        return "\n".join(lines)

    def send(self, edition: Edition) -> PublishResult:
        token = self.secrets.get(self.entry.token_env, "GitHub token")
        message = self._message(edition)
        files = self._files(edition)
        with GitHubApi.opened(self.entry, token, sleep=self.sleep) as api:
            branch = self.entry.branch or self._default_branch(api)
            # One commit at a time to a branch from this process (a run's days are sent side by side: they
            # would race each other); other dailydiff processes on the store take turns with it too (deliver
            # holds ``one_writer``); another writer's commit is met by reading the branch again.
            with _branch_lock(f"{self.entry.api_url}|{self.entry.repository}|{branch}"):
                for attempt in range(MOVING_TRIES):
                    changed, unchanged = self._changed(api, branch, files)
                    if not changed:
                        return PublishResult(self.name, self.type, Status.SKIPPED,
                                             "unchanged: " + ", ".join(unchanged))  # fmt: skip
                    commit = self._commit(api, branch, changed, message)
                    if commit is not None:
                        done = [f"{'created' if new else 'updated'} {path}" for path, _, new in changed]
                        return PublishResult(self.name, self.type, Status.OK,
                                             f"commit {commit[:7]} on {branch}: " + ", ".join(done + [
                                                 f"unchanged {path}" for path in unchanged]))  # fmt: skip
                    # The branch moved between our read and our write: read it again.
                    self.sleep(random.uniform(0, max(self.entry.backoff, 0.05) * 2 ** min(attempt, 4)))
        raise PublishError(f"{branch} of {self.entry.repository} keeps moving (not a fast-forward)",
                           "run publish again")  # fmt: skip

    def _default_branch(self, api: GitHubApi) -> str:
        _, repository = api.call("GET", "")
        branch = (repository or {}).get("default_branch") if isinstance(repository, dict) else None
        if not branch:
            raise PublishError(f"GitHub did not name the default branch of {self.entry.repository}",
                               "set branch in the [[publish]] entry")  # fmt: skip
        return str(branch)

    def _changed(self, api: GitHubApi, branch: str, files: list[tuple[str, str, bytes]]
                 ) -> tuple[list[tuple[str, bytes, bool]], list[str]]:  # fmt: skip
        """(path, content, is new) of the files that differ from the branch's, and the unchanged paths.
        A file that differs only in its generation line is unchanged: no commit for a rebuild."""
        changed: list[tuple[str, bytes, bool]] = []
        unchanged: list[str] = []
        for fmt, path, content in files:
            status, current = api.call("GET", f"/contents/{quote(path)}", params={"ref": branch},
                                       allow=(404,))  # fmt: skip
            if status == 404:
                changed.append((path, content, True))
                continue
            if not isinstance(current, dict) or current.get("type", "file") != "file":
                raise PublishError(f"{path} in {self.entry.repository} is not a file", "change path_template")
            if current.get("sha") == blob_sha(content):
                unchanged.append(path)
                continue
            existing = _decoded(current)
            if existing is not None and comparable(fmt, existing) == comparable(fmt, content.decode()):
                unchanged.append(path)
                continue
            changed.append((path, content, False))
        return changed, unchanged

    def _commit(self, api: GitHubApi, branch: str, changed: list[tuple[str, bytes, bool]],
                message: str) -> str | None:  # fmt: skip
        """The new commit's sha, or None when the branch moved meanwhile."""
        ref = f"/git/refs/heads/{quote(branch)}"
        status, head = api.call("GET", f"/git/ref/heads/{quote(branch)}", allow=(404, 409))
        if status == 404:
            raise PublishError(f"{self.entry.repository} has no branch {branch!r}",
                               "create it, or set branch to an existing one")  # fmt: skip
        parent = None if status == 409 else str(head["object"]["sha"])  # 409: an empty repository
        tree: dict[str, Any] = {
            "tree": [{"path": path, "mode": "100644", "type": "blob",
                      "sha": self._blob(api, content)} for path, content, _ in changed]
        }  # fmt: skip
        if parent is not None:
            _, parent_commit = api.call("GET", f"/git/commits/{parent}")
            tree["base_tree"] = parent_commit["tree"]["sha"]
        _, new_tree = api.call("POST", "/git/trees", body=tree)
        body: dict[str, Any] = {"message": message, "tree": new_tree["sha"],
                                "parents": [parent] if parent else []}  # fmt: skip
        if self.entry.committer_name and self.entry.committer_email:
            body["committer"] = {"name": self.entry.committer_name, "email": self.entry.committer_email}
        _, commit = api.call("POST", "/git/commits", body=body)
        sha = str(commit["sha"])
        if parent is None:
            status, _ = api.call("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": sha},
                                 allow=(422,))  # fmt: skip
        else:
            status, _ = api.call("PATCH", ref, body={"sha": sha, "force": False}, allow=(409, 422))
        return None if status in (409, 422) else sha

    @staticmethod
    def _blob(api: GitHubApi, content: bytes) -> str:
        _, blob = api.call("POST", "/git/blobs",
                           body={"content": base64.b64encode(content).decode(), "encoding": "base64"})  # fmt: skip
        return str(blob["sha"])


def _decoded(current: dict[str, Any]) -> str | None:
    """The text of a file the Contents API returned (None when it left the content out: over 1 MB)."""
    if current.get("encoding") != "base64" or not current.get("content"):
        return None
    try:
        return base64.b64decode(str(current["content"])).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


# Outside code spans, link targets and comments: "@name" would notify that user and "#123" or
# "owner/repo#123" would link (and add a cross-reference to) an unrelated issue, every day the issue is
# updated. A zero-width space after the sign keeps the text readable and inert.
_PROTECTED_RE = re.compile(r"\]\([^)\s]*\)|<!--[\s\S]*?-->")
_PING_RE = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])|(?<![&\w/])#(?=\d)|(?<=\\)#(?=\d)")
_TICKS_RE = re.compile(r"\\`|`+")


def _quiet_text(text: str) -> str:
    out, last = [], 0
    for match in _PROTECTED_RE.finditer(text):
        out.append(_PING_RE.sub(lambda m: m.group(0) + "\u200b", text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_PING_RE.sub(lambda m: m.group(0) + "\u200b", text[last:]))
    return "".join(out)


def quiet_references(markdown: str) -> str:
    """Markdown for an issue body: no @-mention or #-reference in untrusted text can ping anyone.
    Code spans and fences (a backtick run closed by a run of the same length) are left as they are."""
    out, last, pos = [], 0, 0
    runs = list(_TICKS_RE.finditer(markdown))
    i = 0
    while i < len(runs):
        opening = runs[i]
        i += 1
        if opening.group(0) == "\\`" or opening.start() < pos:
            continue
        closing = next((j for j in range(i, len(runs)) if runs[j].group(0) == opening.group(0)), None)
        if closing is None:
            continue
        out.append(_quiet_text(markdown[last : opening.start()]))
        out.append(markdown[opening.start() : runs[closing].end()])
        last = pos = runs[closing].end()
        i = closing + 1
    out.append(_quiet_text(markdown[last:]))
    return "".join(out)


def issue_marker(edition: Edition) -> str:
    """Finds an edition's issue again: its unit (a day's repository, ``digest:<name>``, ``week:<repo>``)."""
    return f"<!-- dailydiff:report repo={edition.key.repo} date={edition.key.date.isoformat()} -->"


def _part_marker(index: int) -> str:
    return f"<!-- dailydiff:part {index} -->"


class GitHubIssuePublisher:
    type = "github-issue"
    parts: tuple[Part, ...] = ("files",)
    updates_in_place = True  # the day's issue is edited, not opened again
    one_writer = ""
    formats: tuple[str, ...] = ("md",)

    def __init__(self, entry: GitHubIssueEntry, name: str, secrets: Secrets,
                 *, sleep: Callable[[float], None] = time.sleep, limit: int = ISSUE_BODY_LIMIT) -> None:  # fmt: skip
        self.entry, self.name, self.secrets, self.sleep, self.limit = entry, name, secrets, sleep, limit
        self.target = f"github-issue:{entry.api_url.rstrip('/')}/{entry.repository}"

    @property
    def skip_empty(self) -> bool:
        return self.entry.skip_empty

    def _title(self, edition: Edition) -> str:
        return fill(self.entry.title_template, edition, "title") if edition.kind == "day" else edition.title

    def bodies(self, edition: Edition) -> list[str]:
        """The issue body and, when it is over the limit, the comments that continue it."""
        marker = issue_marker(edition)
        text = quiet_references(edition.markdown_now())
        reserve = 200
        if utf16_len(marker) + 1 + utf16_len(text) <= self.limit:
            return [f"{marker}\n{text}"]
        pieces = split_markdown(text, self.limit - reserve)
        if self.entry.overflow == "trim":
            url = link(self.entry.report_url, edition)
            note = (f"\n\n---\n\n*Trimmed to GitHub's size limit — [full report]({url})*" if url else
                    f"\n\n---\n\n*Trimmed to GitHub's size limit: {len(pieces) - 1} more part(s) not shown.*")  # fmt: skip
            first = split_markdown(text, self.limit - reserve - utf16_len(note))[0]
            return [f"{marker}\n{first}{note}"]
        total = len(pieces)
        out = [f"{marker}\n{pieces[0]}\n\n*(1/{total} — continued in the comments)*\n"]
        out += [f"{_part_marker(i)}\n*({i}/{total})*\n\n{piece}" for i, piece in enumerate(pieces[1:], 2)]
        return out

    def preview(self, edition: Edition) -> str:
        title = self._title(edition)
        bodies = self.bodies(edition)
        sizes = ", ".join(str(utf16_len(b)) for b in bodies)
        return (f"create or update the issue {title!r} in {self.entry.repository} (labels {self.entry.labels}): "
                f"body + {len(bodies) - 1} comment(s), sizes {sizes} characters")  # fmt: skip

    def send(self, edition: Edition) -> PublishResult:
        token = self.secrets.get(self.entry.token_env, "GitHub token")
        title = self._title(edition)
        bodies = self.bodies(edition)
        with GitHubApi.opened(self.entry, token, sleep=self.sleep) as api:
            marker = issue_marker(edition)
            issue = self._find(api, marker)
            if issue is None:
                _, created = api.call("POST", "/issues", body={"title": title, "body": bodies[0],
                                                                "labels": self.entry.labels},
                                      look=lambda: self._find(api, marker))  # fmt: skip
                number = created["number"]
                for body in bodies[1:]:
                    _comment(api, number, body)
                return PublishResult(self.name, self.type, Status.OK,
                                     f"created issue #{number}" + self._comments_note(bodies))  # fmt: skip
            number = issue["number"]
            changed = 0
            if issue.get("title") != title or (issue.get("body") or "") != bodies[0]:
                api.call("PATCH", f"/issues/{number}", body={"title": title, "body": bodies[0]})
                changed += 1
            changed += self._sync_comments(api, number, bodies[1:])
        if not changed:
            return PublishResult(self.name, self.type, Status.SKIPPED, f"issue #{number} unchanged")
        return PublishResult(
            self.name, self.type, Status.OK, f"updated issue #{number}" + self._comments_note(bodies)
        )

    @staticmethod
    def _comments_note(bodies: list[str]) -> str:
        return (
            f" (+{len(bodies) - 1} comment(s): the report is over GitHub's size limit)"
            if len(bodies) > 1
            else ""
        )

    def _find(self, api: GitHubApi, marker: str) -> dict[str, Any] | None:
        issues = api.items("/issues", "issues", {"state": "all", "sort": "created", "direction": "desc"},
                           self.entry.search_pages)  # fmt: skip
        return next((dict(issue) for issue in issues if not (issue.get("pull_request") or {}).get("url")
                     and marker in (issue.get("body") or "")), None)  # fmt: skip

    def _sync_comments(self, api: GitHubApi, number: int, bodies: list[str]) -> int:
        ours: dict[int, dict[str, Any]] = {}
        for comment in api.items(f"/issues/{number}/comments", "comments"):
            text = comment.get("body") or ""
            if text.startswith("<!-- dailydiff:part "):
                index = text[len("<!-- dailydiff:part ") :].split(" ", 1)[0]
                if index.isdigit():
                    ours[int(index)] = comment
        changed = 0
        for index, body in enumerate(bodies, 2):
            existing = ours.pop(index, None)
            if existing is None:
                _comment(api, number, body)
                changed += 1
            elif existing.get("body") != body:
                api.call("PATCH", f"/issues/comments/{existing['id']}", body={"body": body})
                changed += 1
        for stale in ours.values():
            api.call("DELETE", f"/issues/comments/{stale['id']}")
            changed += 1
        return changed


def _comment(api: GitHubApi, number: int, body: str) -> None:
    """A comment on issue ``number``; tried again only once the comments show it was not made."""

    def made() -> dict[str, Any] | None:
        return next(
            (c for c in api.items(f"/issues/{number}/comments", "comments") if c.get("body") == body), None
        )

    api.call("POST", f"/issues/{number}/comments", body={"body": body}, look=made)
