"""The one rule for a repository's name in the store and the reports, used by every command.

`run` names a [[repos]] entry by its ``name`` (local clones and git URLs; a GitHub repository is always
owner/name); `report SOURCE` by ``--name``, else by the same entry's ``name`` when SOURCE is one of the
config's repositories, else by what the source says (owner/name, or the last part of a path or URL).
`weekly`, `publish` and `report` use this function, so a day that one command stored, the others find.
"""

from __future__ import annotations

from pathlib import Path

from dailydiff.engine.plan import resolve_source
from dailydiff.errors import DailyDiffError
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import SourceOptions, is_git_url, open_source, source_kind


def _same_source(a: str, b: str) -> bool:
    if is_git_url(a) or is_git_url(b):
        norm = lambda s: s.rstrip("/").removesuffix(".git").rstrip("/")  # noqa: E731
        return norm(a) == norm(b)
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def config_entry(source: str, settings: Settings, base_dir: Path | None) -> RepoEntry | None:
    """The [[repos]] entry whose source is ``source`` (a path compared after resolving, relative paths in
    the config being relative to the config file), if any."""
    for entry in settings.repos:
        if entry.source == source or _same_source(resolve_source(entry.source, base_dir), source):
            return entry
    return None


def repo_name(
    source: str, settings: Settings, *, name: str | None = None, base_dir: Path | None = None
) -> str:
    """The repository id under which `run` and `report` store the days of ``source``."""
    if name:
        return name
    try:
        kind = source_kind(source)
    except DailyDiffError:
        kind = ""
    if kind == "github":
        return source.removeprefix("github:")  # GitHub repositories are always owner/name
    entry = config_entry(source, settings, base_dir)
    if entry is not None and entry.name:
        return entry.name
    return open_source(source, settings, SourceOptions(), None).repo


def configured_name(source: str, settings: Settings, base_dir: Path | None) -> str | None:
    """The ``name`` that the config gives ``source`` (for `report SOURCE` to store under `run`'s name)."""
    try:
        if source_kind(source) == "github":
            return None
    except DailyDiffError:
        return None
    entry = config_entry(source, settings, base_dir)
    return entry.name if entry is not None and entry.name else None
