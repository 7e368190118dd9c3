"""GitHub's REST client: the one forge client (forges/base.py) with GitHub's headers (the API
version, the token as a Bearer), its rate limits (``x-ratelimit-*`` primary, 403/429 secondary) and what
its refusals mean. Used by the GitHub source, doctor and the GitHub publisher.

The token lives in one header of the client and is never logged or put in a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import httpx2

from dailydiff import __version__
from dailydiff.common.http import rate_limit_reset_seconds, retry_after_seconds
from dailydiff.errors import SourceError
from dailydiff.forges.base import (
    ApiResponse,
    BadAnswer,
    ForgeHttp,
    RateLimitError,
    RequestCounts,
    ServerError,
    api_message,
    url_path,
)
from dailydiff.settings import GitHubSettings

log = logging.getLogger("dailydiff.github")

JSON = "application/vnd.github+json"
DIFF = "application/vnd.github.diff"


def api_headers(token: str | None, api_version: str) -> dict[str, str]:
    """What every request to GitHub's API carries, from the source, a publisher or doctor: who asks, the
    API version, and the token (in this one header, never in a URL)."""
    headers = {"User-Agent": f"dailydiff/{__version__}", "Accept": JSON, "X-GitHub-Api-Version": api_version}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def rate_limited(status: int, headers: Mapping[str, str], message: str = "") -> bool:
    """GitHub's rate-limit rule, for every client that asks GitHub (the forge client's gate, the GitHub
    publishers' client): its ways of saying a limit is spent: 403 or 429 with ``retry-after`` (secondary limits),
    ``x-ratelimit-remaining: 0`` (the primary one), or a message that says so."""
    if status not in (403, 429):
        return False
    if "retry-after" in headers or (headers.get("x-ratelimit-remaining") or "").strip() == "0":
        return True
    return "rate limit" in message.lower()


@dataclass
class GitHubHttp(ForgeHttp):
    """One client per fetch. ``repo`` and ``branch`` only shape error messages."""

    forge: ClassVar[str] = "GitHub"
    section: ClassVar[str] = "github"
    json_media: ClassVar[str] = JSON
    _token_advice: ClassVar[str] = " (a token in GITHUB_TOKEN raises the limit)"

    settings: GitHubSettings  # type: ignore[assignment]  # a GitHub section: it has the API version too

    def headers(self) -> dict[str, str]:
        return api_headers(self.token, self.settings.api_version)

    def _rate_limited(self, status: int, headers: httpx2.Headers, message: str) -> bool:
        return rate_limited(status, headers, message)

    async def rate_remaining(self) -> int | None:
        """Requests the token can spend now: what it has left (from the last answer, else
        ``/rate_limit``, which GitHub does not count), and a whole new window when the limit resets
        within ``[github] max_retry_after`` (the client waits for it). None when the API has no rate
        limit (GitHub Enterprise with it turned off answers 404)."""
        counts = self.counts
        if counts.remaining is None:
            url = f"{self.settings.api_url}/rate_limit"
            response = await self._send("GET", url, {"Accept": JSON}, (404,))
            counts.sent -= 1  # not counted by GitHub, not by us
            try:
                core = response.json()["resources"]["core"] if response.status == 200 else None
                if core:
                    counts.remaining, counts.limit = int(core["remaining"]), int(core["limit"])
                    counts.reset_at = float(core["reset"])
            except (ValueError, KeyError, TypeError):
                return None
        if counts.remaining is None:
            return None
        soon = counts.reset_at and counts.reset_at - time.time() <= self.policy.max_retry_after
        return counts.remaining + (counts.limit if soon else 0)

    # rate limits (GitHub's: primary and secondary) ----------------------------------------------

    def _note_rate_limit(self, headers: httpx2.Headers) -> None:
        """A response that spends the last request closes the gate until the reset, before any 403."""
        if headers.get("x-ratelimit-resource", "core") == "core":
            self._count_limit(headers, "x-ratelimit-")
        now = time.time()
        wait = rate_limit_reset_seconds(headers, now)
        if wait is not None:
            self._close_gate(now + wait + 1.0, "primary")

    def _block_for_limit(self, headers: httpx2.Headers, attempt: int) -> None:
        now = time.time()
        retry_after = retry_after_seconds(headers, now)
        reset_wait = rate_limit_reset_seconds(headers, now)
        if retry_after is not None:
            self._close_gate(now + retry_after, "secondary")
            log.warning("GitHub secondary rate limit: waiting %.0fs (retry-after)", retry_after)
        elif reset_wait is not None or headers.get("x-ratelimit-remaining") == "0":
            # A reset already past but still refused: the clocks disagree, wait a little longer each time.
            self._close_gate(max(now + (reset_wait or 0.0) + 1.0, now + attempt), "primary")
        else:
            # Secondary limit without retry-after: GitHub asks for at least a minute, then exponential.
            self._close_gate(now + 60.0 * 2 ** (attempt - 1), "secondary")

    # errors ----------------------------------------------------------------------------------------

    def _status_error(self, status: int, response: ApiResponse, url: str) -> SourceError:
        message = api_message(response)
        if status == 401:
            return SourceError(
                f"GitHub rejected the token (401 {message or 'Bad credentials'})",
                "check the token in GITHUB_TOKEN / DAILYDIFF_GITHUB_TOKEN (or the variable named by "
                "[github] token_env); public repositories need no token",
            )
        if status == 404:
            return SourceError(
                f"repository {self.repo} not found on {self.host}, or it is private",
                "check the owner/name; for a private repository set GITHUB_TOKEN to a token that can read it",
            )
        if status == 409:
            return SourceError(f"{self.repo} is an empty repository (no commits yet)", "push a commit first")
        if status == 422:
            what = (
                f"branch {self.branch!r} not found in {self.repo}"
                if self.branch
                else f"{self.repo}: {message}"
            )
            return SourceError(
                f"GitHub refused the request: {what} (422)", "check --branch / [github] branch"
            )
        if status == 403:
            return SourceError(
                f"GitHub refused access to {self.repo} (403 {message})",
                "check that the token may read this repository (contents: read)",
            )
        return SourceError(f"GitHub answered {status} {message} for {url_path(url)}", "run again later")


__all__ = [
    "DIFF",
    "JSON",
    "ApiResponse",
    "BadAnswer",
    "GitHubHttp",
    "RateLimitError",
    "RequestCounts",
    "ServerError",
    "api_headers",
    "api_message",
    "rate_limited",
]
