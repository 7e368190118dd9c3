"""The one rule for a repository's name in the store and the reports, used by every command.

`run` names a [[repos]] entry by its ``name`` (local clones and git URLs; a GitHub repository is always
owner/name); `report SOURCE` by ``--name``, else by the same entry's ``name`` when SOURCE is one of the
config's repositories, else by what the source says (owner/name, or the last part of a path or URL).
`weekly`, `publish` and `report` use this function, so a day that one command stored, the others find.
"""

from __future__ import annotations

from pathlib import Path

from dailydiff.engine.plan import entry_name, resolve_source
from dailydiff.errors import DailyDiffError
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import (
    GitSource,
    SourceOptions,
    forge_name,
    is_git_url,
    keeps_its_name,
    open_source,
    source_kind,
)
from dailydiff.store import Store


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
    fixed = forge_name(source) if keeps_its_name(source) else None
    if fixed is not None:
        return fixed  # GitHub repositories are always owner/name
    entry = config_entry(source, settings, base_dir)
    named = entry_name(entry, settings, base_dir) if entry is not None else None
    if named:
        return named
    return forge_name(source) or open_source(source, settings, SourceOptions(), None).repo


def configured_name(source: str, settings: Settings, base_dir: Path | None) -> str | None:
    """The ``name`` that the config gives ``source`` (for `report SOURCE` to store under `run`'s name)."""
    if keeps_its_name(source):
        return None
    entry = config_entry(source, settings, base_dir)
    return entry_name(entry, settings, base_dir) if entry is not None else None


def adhoc_name(source: str, settings: Settings, store: Store) -> tuple[str | None, str]:
    """`report SOURCE` of a clone not in the config, without --name: when the store already holds another
    repository under the same name (its stored commits are not in this clone), this one gets its own,
    owner-qualified name (``<parent directory>/<name>``) and a line saying which. Returns (name, note)."""
    try:
        if source_kind(source) != "git":
            return None, ""
        opened = open_source(source, settings, SourceOptions(), None)
    except DailyDiffError:
        return None, ""  # the engine opens it again and reports the problem in its own words
    rows = store.list_reports(opened.repo)
    stored = store.get_report(*rows[0]) if rows else None
    shas = [c.sha for c in stored.commits[:5]] if stored is not None else []
    if not shas or any(opened.has_commit(sha) for sha in shas if isinstance(opened, GitSource)):
        return None, ""
    parent = Path(opened.path).resolve().parent.name if isinstance(opened, GitSource) else ""
    if not parent or "/" in opened.repo:
        return None, ""
    qualified = f"{parent}/{opened.repo}"
    return qualified, (
        f"note: the store's {opened.repo!r} is another repository (none of its commits are in {source}); "
        f"this one is stored as {qualified!r} (pass --name to choose another)"
    )
