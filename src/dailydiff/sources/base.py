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

    def commits(self, window: Window) -> list[Commit]: ...


@dataclass(frozen=True)
class SourceOptions:
    name: str | None = None
    branch: str = ""
    all_branches: bool = False


def check_repo_id(repo: str) -> None:
    """A repository id names files and pages (``{repo_name}``, ``repos/<slug>/``): no empty, ``.`` or
    ``..`` part, so two repositories never share a directory and none escapes it."""
    if any(part.strip() in {"", ".", ".."} for part in repo.split("/")):
        raise SourceError(
            f"{repo!r} is not a usable repository name",
            "pass --name (or `name` in [[repos]]): owner/name or a plain name, without empty, '.' or '..' parts",
        )
