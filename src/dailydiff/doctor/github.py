"""`dailydiff doctor` for GitHub sources: the token (accepted or not) with the remaining rate limit, and
each repository's reachability. The token is sent, never shown: lines name the variable it came from."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import httpx2

from dailydiff import __version__
from dailydiff.common.http import rate_limit_reset_seconds, retry_after_seconds
from dailydiff.common.secrets import scrub
from dailydiff.doctor.base import CHECK_DEADLINE, CheckResult, DoctorContext
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import source_kind
from dailydiff.sources.github import TOKEN_ENV_DEFAULTS

LOW_RATE_LIMIT = 100  # fewer requests left than this is not enough for a day of a busy repository


def _token(settings: Settings, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    names = (settings.github.token_env,) if settings.github.token_env else TOKEN_ENV_DEFAULTS
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None, None


def _get(settings: Settings, path: str, token: str | None) -> httpx2.Response:
    headers = {
        "Accept": "application/vnd.github+json",
        "User-Agent": f"dailydiff/{__version__} doctor",
        "X-GitHub-Api-Version": settings.github.api_version,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    timeout = httpx2.Timeout(min(settings.github.read_timeout, CHECK_DEADLINE),
                             connect=min(settings.github.connect_timeout, CHECK_DEADLINE))  # fmt: skip
    with httpx2.Client(headers=headers, timeout=timeout) as client:
        return client.get(f"{settings.github.api_url}{path}")


def _message(response: httpx2.Response) -> str:
    try:
        data: Any = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    text = data.get("message") if isinstance(data, dict) else None
    return f"HTTP {response.status_code} {scrub(str(text))[:120]}" if text else f"HTTP {response.status_code}"


def rate_limit_fix(response: httpx2.Response, token: str | None) -> str | None:
    """The advice for a 403/429 that is a rate limit (GitHub's secondary limit answers with retry-after
    or says "secondary rate limit"; a spent primary limit has x-ratelimit-remaining 0), else None: those
    are not a token's fault, and a new token would not help."""
    if response.status_code not in (403, 429):
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
        response = _get(settings, "/rate_limit", token)
    except httpx2.HTTPError as exc:
        return [CheckResult(False, "github", f"cannot reach {api} ({type(exc).__name__})",
                            "check [github] api_url and the network")]  # fmt: skip
    limited = rate_limit_fix(response, token)
    if limited is not None:
        return [CheckResult(False, "github", f"{api}/rate_limit answered {_message(response)}", limited)]
    if response.status_code == 401:
        return [CheckResult(False, "github token", f"{variable} was rejected by {api} ({_message(response)})",
                            f"create a new token and export it as {variable}")]  # fmt: skip
    if response.status_code != 200:
        return [CheckResult(False, "github", f"{api}/rate_limit answered {_message(response)}",
                            "check [github] api_url (GitHub Enterprise: https://HOST/api/v3)")]  # fmt: skip
    core = response.json().get("resources", {}).get("core", {})
    remaining, limit = int(core.get("remaining", 0)), int(core.get("limit", 0))
    reset = dt.datetime.fromtimestamp(int(core.get("reset", 0)), dt.UTC).strftime("%H:%M UTC")
    who = f"token from {variable} accepted" if token else "no token (public repositories only)"
    detail = f"{who}; rate limit {remaining}/{limit} left, resets {reset}"
    if remaining < LOW_RATE_LIMIT:
        fix = f"wait until {reset}" + (
            "" if token else ", or export a token as GITHUB_TOKEN (5,000 requests/hour)"
        )
        return [CheckResult(False, "github", detail, fix)]
    return [CheckResult(True, "github", detail)]


def probe_github(spec: str, entry: RepoEntry, settings: Settings) -> CheckResult:
    repo = spec.removeprefix("github:")
    label = f"repository {entry.key}"
    _, token = _token(settings, os.environ)
    try:
        response = _get(settings, f"/repos/{repo}", token)
    except httpx2.HTTPError as exc:
        return CheckResult(False, label, f"cannot reach {settings.github.api_url} ({type(exc).__name__})",
                           "check [github] api_url and the network")  # fmt: skip
    if response.status_code == 200:
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
                       fixes.get(response.status_code, "try again later"))  # fmt: skip


def _is_github(source: str, ctx: DoctorContext) -> bool:
    from dailydiff.engine.plan import resolve_source

    try:
        return source_kind(resolve_source(source, ctx.base_dir)) == "github"
    except Exception:
        return False
