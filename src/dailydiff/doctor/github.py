"""`dailydiff doctor` for GitHub sources: the token (accepted or not) with the remaining rate limit, and
each repository's reachability. The token is sent, never shown: lines name the variable it came from."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from typing import Any

from dailydiff.common.http import rate_limit_reset_seconds, retry_after_seconds
from dailydiff.doctor.base import CHECK_DEADLINE, CheckResult, DoctorContext, quick_get
from dailydiff.engine.identity import resolve_source
from dailydiff.errors import DailyDiffError, SourceError
from dailydiff.forges.github import ApiResponse, GitHubHttp, api_message
from dailydiff.settings import GITHUB_TOKEN_ENVS, RepoEntry, Settings
from dailydiff.sources import source_kind
from dailydiff.store import open_store

LOW_RATE_LIMIT = 100  # fewer requests left than this is not enough for a day of a busy repository


def _token(settings: Settings, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    names = (settings.github.token_env,) if settings.github.token_env else GITHUB_TOKEN_ENVS
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None, None


def _get(settings: Settings, path: str, token: str | None, deadline: float) -> ApiResponse:
    """One GET through the GitHub client within doctor's deadline, any status returned as it came."""
    return quick_get(GitHubHttp, settings.github, path, token, deadline)


def _message(response: ApiResponse) -> str:
    text = api_message(response)
    return f"HTTP {response.status} {text[:120]}" if text else f"HTTP {response.status}"


def rate_limit_fix(response: ApiResponse, token: str | None) -> str | None:
    """The advice for a 403/429 that is a rate limit (GitHub's secondary limit answers with retry-after
    or says "secondary rate limit"; a spent primary limit has x-ratelimit-remaining 0), else None: those
    are not a token's fault, and a new token would not help."""
    if response.status not in (403, 429):
        return None
    headers = response.headers
    wait = retry_after_seconds(headers)
    text = _message(response).lower()
    if wait is not None or "secondary rate limit" in text or "abuse" in text:
        when = f"wait {wait:.0f} s" if wait is not None else "wait a few minutes"
        return (f"GitHub's secondary rate limit (too many requests at once, not a token problem): {when} and run "
                "doctor again; run fewer jobs at once on one token")  # fmt: skip
    if headers.get("x-ratelimit-remaining") == "0" or "rate limit" in text:
        reset = rate_limit_reset_seconds(headers)
        when = (
            f"wait {reset / 60:.0f} min for the reset" if reset is not None else "wait for the hourly reset"
        )
        return when + ("" if token else ", or export a token as GITHUB_TOKEN (5,000 requests/hour)")
    return None


def check_github(ctx: DoctorContext) -> list[CheckResult]:
    settings = ctx.settings
    if settings is None or not any(_is_github(r.source, ctx) for r in settings.repos):
        return []
    variable, token = _token(settings, os.environ)
    api = settings.github.api_url
    try:
        response = _get(settings, "/rate_limit", token, ctx.deadline)
    except SourceError as exc:
        return [CheckResult(False, "github", exc.message, "check [github] api_url and the network")]
    limited = rate_limit_fix(response, token)
    if limited is not None:
        return [CheckResult(False, "github", f"{api}/rate_limit answered {_message(response)}", limited)]
    if response.status == 401:
        return [CheckResult(False, "github token", f"{variable} was rejected by {api} ({_message(response)})",
                            f"create a new token and export it as {variable}")]  # fmt: skip
    if response.status != 200:
        return [CheckResult(False, "github", f"{api}/rate_limit answered {_message(response)}",
                            "check [github] api_url (GitHub Enterprise: https://HOST/api/v3)")]  # fmt: skip
    core = response.json().get("resources", {}).get("core", {})
    remaining, limit = int(core.get("remaining", 0)), int(core.get("limit", 0))
    reset = dt.datetime.fromtimestamp(int(core.get("reset", 0)), dt.UTC).strftime("%H:%M UTC")
    who = f"token from {variable} accepted" if token else "no token (public repositories only)"
    detail = f"{who}; rate limit {remaining}/{limit} left, resets {reset}"
    spend = last_spend(settings)
    if remaining < LOW_RATE_LIMIT:
        fix = f"wait until {reset}" + (
            "" if token else ", or export a token as GITHUB_TOKEN (5,000 requests/hour)"
        )
        return [CheckResult(False, "github", detail, fix), *spend]
    return [CheckResult(True, "github", detail), *spend]


def last_spend(settings: Settings) -> list[CheckResult]:
    """What the last run that fetched from GitHub asked of it, per repository (from the store's runs)."""
    if not settings.store.url and not any(settings.data_path.glob("*.sqlite3")):
        return []  # no store yet: nothing ran
    try:
        with open_store(settings) as store:
            runs = store.runs()
    except DailyDiffError:
        return []  # the data directory check says why
    for run in reversed(runs):
        repos = _spent_by_repo(run)
        if repos:
            parts = [f"{name} {spent['spent']} ({spent['graphql']} GraphQL, {spent['not_modified']} answered 304)"
                     for name, spent in repos]  # fmt: skip
            when = run.get("started_at") or "?"
            total = sum(spent["spent"] for _, spent in repos)
            detail = f"the last run ({when}) spent {total} request(s): " + "; ".join(parts[:20])
            more = f"; and {len(parts) - 20} more repositories" if len(parts) > 20 else ""
            return [CheckResult(True, "github requests", detail + more)]
    return []


def _spent_by_repo(run: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """What a run's summary says it asked of GitHub, per repository."""
    summary = run.get("summary")
    data = json.loads(summary) if isinstance(summary, str) and summary else {}
    if data.get("github"):  # `report SOURCE`: one repository, named in the command
        words = str(run.get("command") or "report").split()
        return [(words[1] if len(words) > 1 else "report", data["github"])]
    return [
        (str(r.get("repo") or r.get("name")), r["github"]) for r in data.get("repos", []) if r.get("github")
    ]


def probe_github(
    spec: str, entry: RepoEntry, settings: Settings, deadline: float = CHECK_DEADLINE
) -> CheckResult:
    repo = spec.removeprefix("github:")
    label = f"repository {entry.key}"
    _, token = _token(settings, os.environ)
    try:
        response = _get(settings, f"/repos/{repo}", token, deadline)
    except SourceError as exc:
        return CheckResult(False, label, exc.message, "check [github] api_url and the network")
    if response.status == 200:
        branch = entry.branch or settings.github.branch or response.json().get("default_branch", "")
        return CheckResult(True, label, f"{repo} is reachable on GitHub (branch {branch or '?'})")
    limited = rate_limit_fix(response, token)
    if limited is not None:
        return CheckResult(False, label, f"{repo}: {_message(response)}", limited)
    fixes = {
        401: "the token was rejected: create a new one",
        403: "the token cannot read it: grant it access (contents: read)",
        404: "check the owner/name spelling; a private repository needs a token that can read it",
    }
    return CheckResult(False, label, f"{repo}: {_message(response)}",
                       fixes.get(response.status, "try again later"))  # fmt: skip


def _is_github(source: str, ctx: DoctorContext) -> bool:
    try:
        return source_kind(resolve_source(source, ctx.base_dir)) == "github"
    except Exception:
        return False
