"""GitHub publishers: report files committed through the Contents API, and the day's issue.

Both are idempotent. A file whose content equals the repository's (same git blob sha) is not committed
again; the day's issue is found again by a hidden marker in its body and updated, never duplicated.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from dailydiff.common.secrets import scrub
from dailydiff.errors import PublishError
from dailydiff.models import DayReport
from dailydiff.publish.base import PublishResult, Secrets, Status, fill, report_link
from dailydiff.publish.files import report_path
from dailydiff.publish.http import Http
from dailydiff.publish.mdsplit import split_markdown, utf16_len
from dailydiff.settings.publishers import GitHubContentsEntry, GitHubIssueEntry, _GitHubEntry

ISSUE_BODY_LIMIT = 65536
_API_VERSION = "2022-11-28"


def blob_sha(content: bytes) -> str:
    """The git blob id of ``content`` — what the Contents API reports as a file's ``sha``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class GitHubApi:
    def __init__(self, entry: _GitHubEntry, token: str, http: Http) -> None:
        self.base = entry.api_url.rstrip("/")
        self.repository = entry.repository
        self.token_env = entry.token_env
        self.http = http
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": _API_VERSION,
        }

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
             allow: tuple[int, ...] = ()) -> tuple[int, Any]:  # fmt: skip
        url = f"{self.base}/repos/{self.repository}{path}"
        response = self.http.request(method, url, headers=self.headers, json=body, params=params)
        status = response.status_code
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
        raise PublishError(
            f"GitHub answered {method} {path} with HTTP {status}: {message}", "see GitHub's status page"
        )


def _relative(path: str) -> str:
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts or not parts:
        raise PublishError(f"report path {path!r} is not a relative path inside the repository",
                           "fix path_template")  # fmt: skip
    return "/".join(parts)


class GitHubContentsPublisher:
    type = "github-contents"

    def __init__(self, entry: GitHubContentsEntry, name: str, secrets: Secrets,
                 *, sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.entry, self.name, self.secrets, self.sleep = entry, name, secrets, sleep

    def _files(self, report: DayReport, rendered: Mapping[str, str]) -> list[tuple[str, bytes]]:
        return [
            (
                _relative(report_path(report, self.entry.path_template, fmt).as_posix()),
                rendered[fmt].encode("utf-8"),
            )
            for fmt in self.entry.formats
        ]

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str:
        message = fill(self.entry.message_template, report, "message")
        branch = self.entry.branch or "the default branch"
        lines = [
            f"commit to {self.entry.repository} ({branch}) via {self.entry.api_url}, message {message!r}:"
        ]
        lines += [f"  {path} ({len(content)} bytes, blob {blob_sha(content)[:12]})"
                  for path, content in self._files(report, rendered)]  # fmt: skip
        return "\n".join(lines)

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult:
        token = self.secrets.get(self.entry.token_env, "GitHub token")
        message = fill(self.entry.message_template, report, "message")
        done: list[str] = []
        unchanged: list[str] = []
        with Http(self.entry, sleep=self.sleep) as http:
            api = GitHubApi(self.entry, token, http)
            for path, content in self._files(report, rendered):
                outcome = self._put(api, path, content, message)
                (unchanged if outcome == "unchanged" else done).append(f"{outcome} {path}")
        if not done:
            return PublishResult(self.name, self.type, Status.SKIPPED, "unchanged: " + ", ".join(unchanged))
        return PublishResult(self.name, self.type, Status.OK, "; ".join(done + unchanged))

    def _put(self, api: GitHubApi, path: str, content: bytes, message: str) -> str:
        quoted = quote(path)
        params = {"ref": self.entry.branch} if self.entry.branch else None
        for _attempt in range(2):
            status, current = api.call("GET", f"/contents/{quoted}", params=params, allow=(404,))
            sha = None
            if status == 200:
                if not isinstance(current, dict) or current.get("type", "file") != "file":
                    raise PublishError(
                        f"{path} in {self.entry.repository} is not a file", "change path_template"
                    )
                sha = current.get("sha")
                if sha == blob_sha(content):
                    return "unchanged"
            body: dict[str, Any] = {"message": message, "content": base64.b64encode(content).decode()}
            if self.entry.branch:
                body["branch"] = self.entry.branch
            if sha:
                body["sha"] = sha
            if self.entry.committer_name and self.entry.committer_email:
                body["committer"] = {"name": self.entry.committer_name, "email": self.entry.committer_email}
            status, answer = api.call("PUT", f"/contents/{quoted}", body=body, allow=(409, 422))
            if status in (200, 201):
                commit = (answer or {}).get("commit", {}).get("sha", "")[:7]
                return f"{'created' if status == 201 else 'updated'} ({commit})"
            # 409/422: the file changed between our read and our write; read it again once.
        raise PublishError(
            f"{path} keeps changing in {self.entry.repository} (sha conflict)", "run publish again"
        )


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


def issue_marker(report: DayReport) -> str:
    return f"<!-- dailydiff:report repo={report.repo} date={report.date.isoformat()} -->"


def _part_marker(index: int) -> str:
    return f"<!-- dailydiff:part {index} -->"


class GitHubIssuePublisher:
    type = "github-issue"

    def __init__(self, entry: GitHubIssueEntry, name: str, secrets: Secrets,
                 *, sleep: Callable[[float], None] = time.sleep, limit: int = ISSUE_BODY_LIMIT) -> None:  # fmt: skip
        self.entry, self.name, self.secrets, self.sleep, self.limit = entry, name, secrets, sleep, limit

    def bodies(self, report: DayReport, rendered: Mapping[str, str]) -> list[str]:
        """The issue body and, when it is over the limit, the comments that continue it."""
        marker = issue_marker(report)
        text = quiet_references(rendered["md"])
        reserve = 200
        if utf16_len(marker) + 1 + utf16_len(text) <= self.limit:
            return [f"{marker}\n{text}"]
        pieces = split_markdown(text, self.limit - reserve)
        if self.entry.overflow == "trim":
            url = report_link(self.entry.report_url, report)
            note = (f"\n\n---\n\n*Trimmed to GitHub's size limit — [full report]({url})*" if url else
                    f"\n\n---\n\n*Trimmed to GitHub's size limit: {len(pieces) - 1} more part(s) not shown.*")  # fmt: skip
            first = split_markdown(text, self.limit - reserve - utf16_len(note))[0]
            return [f"{marker}\n{first}{note}"]
        total = len(pieces)
        out = [f"{marker}\n{pieces[0]}\n\n*(1/{total} — continued in the comments)*\n"]
        out += [f"{_part_marker(i)}\n*({i}/{total})*\n\n{piece}" for i, piece in enumerate(pieces[1:], 2)]
        return out

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str:
        title = fill(self.entry.title_template, report, "title")
        bodies = self.bodies(report, rendered)
        sizes = ", ".join(str(utf16_len(b)) for b in bodies)
        return (f"create or update the issue {title!r} in {self.entry.repository} (labels {self.entry.labels}): "
                f"body + {len(bodies) - 1} comment(s), sizes {sizes} characters")  # fmt: skip

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult:
        token = self.secrets.get(self.entry.token_env, "GitHub token")
        title = fill(self.entry.title_template, report, "title")
        bodies = self.bodies(report, rendered)
        with Http(self.entry, sleep=self.sleep) as http:
            api = GitHubApi(self.entry, token, http)
            issue = self._find(api, issue_marker(report))
            if issue is None:
                _, created = api.call("POST", "/issues", body={"title": title, "body": bodies[0],
                                                                "labels": self.entry.labels})  # fmt: skip
                number = created["number"]
                for body in bodies[1:]:
                    api.call("POST", f"/issues/{number}/comments", body={"body": body})
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
        for page in range(1, self.entry.search_pages + 1):
            _, issues = api.call("GET", "/issues", params={"state": "all", "sort": "created", "direction": "desc",
                                                           "per_page": 100, "page": page})  # fmt: skip
            for issue in issues or []:
                if (issue.get("pull_request") or {}).get("url"):
                    continue
                if marker in (issue.get("body") or ""):
                    return dict(issue)
            if not issues or len(issues) < 100:
                return None
        return None

    def _sync_comments(self, api: GitHubApi, number: int, bodies: list[str]) -> int:
        ours: dict[int, dict[str, Any]] = {}
        page = 1
        while True:
            _, comments = api.call(
                "GET", f"/issues/{number}/comments", params={"per_page": 100, "page": page}
            )
            for comment in comments or []:
                text = comment.get("body") or ""
                if text.startswith("<!-- dailydiff:part "):
                    index = text[len("<!-- dailydiff:part ") :].split(" ", 1)[0]
                    if index.isdigit():
                        ours[int(index)] = comment
            if not comments or len(comments) < 100:
                break
            page += 1
        changed = 0
        for index, body in enumerate(bodies, 2):
            existing = ours.pop(index, None)
            if existing is None:
                api.call("POST", f"/issues/{number}/comments", body={"body": body})
                changed += 1
            elif existing.get("body") != body:
                api.call("PATCH", f"/issues/comments/{existing['id']}", body={"body": body})
                changed += 1
        for stale in ours.values():
            api.call("DELETE", f"/issues/comments/{stale['id']}")
            changed += 1
        return changed
