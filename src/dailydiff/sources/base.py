"""The source seam: a source has a ``repo`` id, an optional ``repo_url`` and one method,
``commits(window) -> list[Commit]`` returning the commits whose committer date is in ``[start, end)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dailydiff.errors import SourceError
from dailydiff.models import Commit, Window


class CommitSource(Protocol):
    repo: str
    repo_url: str | None
    kind: str
    default_branch: str  # the branch read ("" when unknown); commits off it say which branch they are on

    def commits(self, window: Window) -> list[Commit]: ...


@dataclass(frozen=True)
class SourceOptions:
    name: str | None = None
    branch: str = ""
    all_branches: bool = False


class IncompleteFetch(SourceError):
    """Some commits of the window could not be fetched. ``commits`` holds the ones that were (stored),
    ``failed`` maps each missing sha to its reason; nothing bad was cached, so the next run completes it."""

    def __init__(self, commits: list[Commit], failed: dict[str, str], total: int) -> None:
        reasons: dict[str, list[str]] = {}
        for sha, reason in failed.items():
            reasons.setdefault(reason, []).append(sha[:7])
        first, shas = next(iter(reasons.items()))
        more = f" (and {len(reasons) - 1} other reason(s))" if len(reasons) > 1 else ""
        super().__init__(
            f"{len(failed)} of {total} commits could not be fetched ({', '.join(shas[:5])}"
            f"{'…' if len(shas) > 5 else ''}: {first}){more}; {len(commits)} fetched and stored",
            "run again later: only the missing commits are asked for again",
        )
        self.commits = commits
        self.failed = failed


def check_repo_id(repo: str) -> None:
    """A repository id names files and pages (``{repo_name}``, ``repos/<slug>/``): no empty, ``.`` or
    ``..`` part, so two repositories never share a directory and none escapes it."""
    if any(part.strip() in {"", ".", ".."} for part in repo.split("/")):
        raise SourceError(
            f"{repo!r} is not a usable repository name",
            "pass --name (or `name` in [[repos]]): owner/name or a plain name, without empty, '.' or '..' parts",
        )
