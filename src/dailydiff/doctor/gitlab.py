"""`dailydiff doctor` for GitLab projects: each project's reachability with the token (sent in its one
header, never shown)."""

from __future__ import annotations

import os
from urllib.parse import quote

from dailydiff.doctor.base import CHECK_DEADLINE, CheckResult, quick_get
from dailydiff.errors import SourceError
from dailydiff.forges.base import api_message
from dailydiff.forges.gitlab import GitLabHttp, find_gitlab_token
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import gitlab_path


def probe_gitlab(
    spec: str, entry: RepoEntry, settings: Settings, deadline: float = CHECK_DEADLINE
) -> CheckResult:
    path = gitlab_path(spec)
    label = f"repository {entry.key}"
    token = find_gitlab_token(settings.gitlab, os.environ)
    try:
        response = quick_get(
            GitLabHttp, settings.gitlab, f"/projects/{quote(path, safe='')}", token, deadline
        )
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
