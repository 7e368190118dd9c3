"""GitLab's REST (v4) client: the one forge client (forges/base.py) with GitLab's token header
(``PRIVATE-TOKEN``), its rate limits (``RateLimit-Remaining``/``RateLimit-Reset`` on every answer, 429 with
``Retry-After``) and what its refusals mean.

The token lives in one header of the client and is never logged or put in a message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import httpx2

from dailydiff.common.http import rate_limit_reset_seconds, retry_after_seconds
from dailydiff.errors import SourceError
from dailydiff.forges.base import ApiResponse, ForgeHttp, api_message, token_from, url_path
from dailydiff.settings import GITLAB_TOKEN_ENVS, GitLabSettings

log = logging.getLogger("dailydiff.gitlab")


def _without_status(message: str) -> str:
    """GitLab's message without the status it repeats ("401 Unauthorized" → "Unauthorized")."""
    return re.sub(r"^\s*\d{3}\s*:?\s*", "", message)


def find_gitlab_token(settings: GitLabSettings, environ: Mapping[str, str]) -> str | None:
    return token_from(settings.token_env, GITLAB_TOKEN_ENVS, environ)


@dataclass
class GitLabHttp(ForgeHttp):
    """One client per fetch. ``repo`` (the project's path) and ``branch`` only shape error messages."""

    forge: ClassVar[str] = "GitLab"
    section: ClassVar[str] = "gitlab"
    _token_advice: ClassVar[str] = " (a token in GITLAB_TOKEN raises the limit)"

    settings: GitLabSettings  # type: ignore[assignment]

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.token:
            headers["PRIVATE-TOKEN"] = self.token
        return headers

    def _rate_limited(self, status: int, headers: httpx2.Headers, message: str) -> bool:
        return status == 429 or (status == 403 and headers.get("ratelimit-remaining") == "0")

    def _note_rate_limit(self, headers: httpx2.Headers) -> None:
        """GitLab says what is left on every answer: the last request spent closes the gate to the reset."""
        self._count_limit(headers, "ratelimit-")
        now = time.time()
        wait = rate_limit_reset_seconds(headers, now, "ratelimit-")
        if wait is not None:
            self._close_gate(now + wait + 1.0, "primary")

    def _block_for_limit(self, headers: httpx2.Headers, attempt: int) -> None:
        now = time.time()
        retry_after = retry_after_seconds(headers, now)
        reset_wait = rate_limit_reset_seconds(headers, now, "ratelimit-")
        if retry_after is not None:
            self._close_gate(now + retry_after, "primary")
            log.warning("GitLab rate limit: waiting %.0fs (retry-after)", retry_after)
        elif reset_wait is not None:
            self._close_gate(max(now + reset_wait + 1.0, now + attempt), "primary")
        else:
            self._close_gate(now + 60.0 * 2 ** (attempt - 1), "primary")

    def _status_error(self, status: int, response: ApiResponse, url: str) -> SourceError:
        message = api_message(response)
        if status == 401:
            return SourceError(
                f"GitLab rejected the token (401 {_without_status(message) or 'Unauthorized'})",
                "check the token in GITLAB_TOKEN / DAILYDIFF_GITLAB_TOKEN (or the variable named by "
                "[gitlab] token_env); public projects need no token",
            )
        if status == 404:
            what = (
                f"branch {self.branch!r} of {self.repo}" if self.branch and "Commit" in message else self.repo
            )
            return SourceError(
                f"{what} not found on {self.host}, or it is private",
                "check gitlab:group/subgroup/project and --branch; for a private project set GITLAB_TOKEN "
                "to a token with read_api",
            )
        if status == 403:
            return SourceError(
                f"GitLab refused access to {self.repo} (403 {message})",
                "check that the token may read this project (scope read_api)",
            )
        return SourceError(f"GitLab answered {status} {message} for {url_path(url)}", "run again later")


__all__ = ["GitLabHttp", "find_gitlab_token"]
