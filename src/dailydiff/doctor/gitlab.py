"""`dailydiff doctor` for GitLab projects: each project's reachability with the token (sent in its one
header, never shown)."""

from __future__ import annotations

import os
from urllib.parse import quote

from dailydiff.doctor.base import CHECK_DEADLINE, CheckResult
from dailydiff.errors import SourceError
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import gitlab_path
from dailydiff.sources.forge_http import ApiResponse, api_message
from dailydiff.sources.gitlab_http import GitLabHttp, find_gitlab_token


def _get(settings: Settings, path: str, token: str | None, deadline: float) -> ApiResponse:
    """One GET through the GitLab client within doctor's deadline, any status returned as it came."""
    from dailydiff.common.aio import run_sync

    bounded = {key: min(getattr(settings.gitlab, key), deadline)
               for key in ("read_timeout", "connect_timeout", "request_deadline")}  # fmt: skip
    quick = settings.gitlab.model_copy(update={"max_rate_limit_wait": 0.0, "max_retries": 1, **bounded})

    async def get() -> ApiResponse:
        http = GitLabHttp(quick, repo="", token=token)
        try:
            return await http.get(
                f"{settings.gitlab.api_url}{path}", allow=(401, 403, 404, 429, 500, 502, 503)
            )
        finally:
            await http.aclose()

    return run_sync(get())


def probe_gitlab(
    spec: str, entry: RepoEntry, settings: Settings, deadline: float = CHECK_DEADLINE
) -> CheckResult:
    path = gitlab_path(spec)
    label = f"repository {entry.key}"
    token = find_gitlab_token(settings.gitlab, os.environ)
    try:
        response = _get(settings, f"/projects/{quote(path, safe='')}", token, deadline)
    except SourceError as exc:
        return CheckResult(False, label, exc.message, "check [gitlab] api_url and the network")
    if response.status == 200:
        branch = entry.branch or settings.gitlab.branch or response.json().get("default_branch", "")
        return CheckResult(True, label, f"{path} is reachable on GitLab (branch {branch or '?'})")
    text = api_message(response)
    fixes = {
        401: "the token was rejected: create a new one (scope read_api) in GITLAB_TOKEN",
        403: "the token cannot read it: give it read_api on this project",
        404: "check the group/subgroup/project spelling; a private project needs a token that can read it",
        429: "GitLab's rate limit: wait a minute and run doctor again",
    }
    return CheckResult(False, label, f"{path}: HTTP {response.status} {text[:120]}".rstrip(),
                       fixes.get(response.status, "try again later"))  # fmt: skip
