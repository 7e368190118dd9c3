"""Templates with placeholders (``{year}/{repo_name}/{date}.{ext}``): the placeholders are defined here
once, for every template in the settings — report and digest paths, commit messages, issue titles, e-mail
subjects and report links.

``{repo}`` is the report's repository id everywhere: ``owner/name`` for GitHub, the given name for a
local repository. It used to mean ``owner_name`` inside path templates only; a path template that still
uses it is refused with a message naming ``{repo_slug}``, the old meaning, so that no report silently
moves to another file.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.models import DayReport

# name -> what it stands for (the README and settings/defaults.toml say the same).
PLACEHOLDERS: dict[str, str] = {
    "year": "the year of the day (of the week for digests): 2026",
    "month": "the month, two digits: 01",
    "day": "the day of the month, two digits: 27",
    "date": "the day: 2026-01-27",
    "week": "the ISO week (weekly digests only): 2026-W04",
    "repo": "the repository id: owner/name for GitHub, the given name for a local repository",
    "repo_slug": "the repository id with / replaced by _: owner_name (safe in a file name)",
    "repo_name": "the repository's name: name",
    "owner": "the repository's owner (empty for a local repository)",
    "lang": "the report language: zh or en",
    "ext": "the format's file extension: md, json, html",
    "total": "the number of commits (not in paths)",
    "high": "the number of high-importance commits (not in paths)",
    "medium": "the number of medium-importance commits (not in paths)",
    "low": "the number of low-importance commits (not in paths)",
}
DAY_PLACEHOLDERS = frozenset(PLACEHOLDERS) - {"week"}
DAY_PATH_PLACEHOLDERS = DAY_PLACEHOLDERS - {"total", "high", "medium", "low"}
WEEK_PATH_PLACEHOLDERS = frozenset({"year", "week", "repo_slug", "repo_name", "owner", "lang", "ext"})

_OLD_REPO_IN_PATH = (
    "{repo} in a path template now means owner/name (it used to mean owner_name here): "
    "use {repo_slug} for owner_name, or {owner}/{repo_name} for a folder per owner"
)


class TemplateError(ValueError):
    """A template names a placeholder that does not exist there, or is malformed."""


def names_in(template: str) -> list[str]:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as exc:  # an unmatched brace
        raise TemplateError(f"malformed template {template!r}: {exc}") from None
    for field in fields:
        if not field.isidentifier():
            raise TemplateError(f"placeholder {{{field}}} in {template!r} is not a plain name")
    return fields


def check(template: str, allowed: frozenset[str], *, path: bool = False) -> str:
    """``template`` if every placeholder is allowed, else TemplateError naming the valid ones."""
    for name in names_in(template):
        if path and name == "repo":
            raise TemplateError(_OLD_REPO_IN_PATH)
        if name not in allowed:
            valid = ", ".join(f"{{{n}}}" for n in PLACEHOLDERS if n in allowed and not (path and n == "repo"))
            raise TemplateError(f"unknown placeholder {{{name}}} in {template!r}; use {valid}")
    if path:
        relative = PurePosixPath(template)
        if relative.is_absolute() or ".." in relative.parts:
            raise TemplateError(f"path template {template!r} leaves its directory; use a relative path")
    return template


def repo_values(repo: str) -> dict[str, str]:
    return {
        "repo": repo,
        "repo_slug": repo.replace("/", "_"),
        "repo_name": repo.rsplit("/", 1)[-1],
        "owner": repo.rsplit("/", 1)[0] if "/" in repo else "",  # a GitLab group/subgroup whole
    }


def day_values(report: DayReport, ext: str = "md") -> dict[str, Any]:
    date, stats = report.date, report.stats
    return {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "date": date.isoformat(),
        **repo_values(report.repo),
        "repo_name": report.repo_name,  # owner-qualified when another followed repository has the name
        "lang": report.language,
        "ext": ext,
        "total": stats.total,
        "high": stats.high,
        "medium": stats.medium,
        "low": stats.low,
    }


def fill(template: str, values: Mapping[str, Any], allowed: frozenset[str] = DAY_PLACEHOLDERS) -> str:
    check(template, allowed)
    return template.format_map(values)


def template_root(template: str) -> PurePosixPath:
    """The fixed directories a day path template starts with ("reports" of "reports/{year}/{repo_name}/…",
    nothing of "{year}/…"): the root of a target's files, under which its weeks and digests go too."""
    root: list[str] = []
    for part in PurePosixPath(template).parts[:-1]:
        if "{" in part or part in (".", ".."):
            break
        root.append(part)
    return PurePosixPath(*root)


def fill_path(template: str, values: Mapping[str, Any], allowed: frozenset[str]) -> PurePosixPath:
    """A relative path inside the output directory; refuses ``..`` and absolute results (a repository
    name cannot smuggle one in: names never hold ``/`` except owner/name, and ``{repo}`` is refused)."""
    check(template, allowed, path=True)
    path = PurePosixPath(template.format_map(values))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise TemplateError(f"path template {template!r} gives {str(path)!r}, outside its directory")
    return path
