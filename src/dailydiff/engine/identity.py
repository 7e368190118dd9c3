"""A repository's identity, decided once: ``repo_ref`` is the one function that names a repository — from a
``[[repos]]`` entry or from a ``SOURCE`` (with the store, for an ad-hoc clone whose name the store already
gives another repository). Every unit key, log record, file path, digest row and ledger key is derived
from the ``RepoRef`` it returns, never guessed again.

The rule: a ``[[repos]]`` entry is named by its ``name``; else ``owner/name`` for a forge (GitHub is always
owner/name); a clone or git URL by whatever its remote says (``owner/name`` where the origin is a forge),
else the last part of its path or URL — owner-qualified (``<parent>/<name>``) where two configured ones
would share it. `report SOURCE` takes ``--name``, else the name `run` gives SOURCE when it is one of the
config's repositories, else what the source says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dailydiff.common.secrets import scrub
from dailydiff.errors import DailyDiffError
from dailydiff.settings import RepoEntry, Settings
from dailydiff.sources import GitSource, forge_name, is_git_url, keeps_its_name, open_source, source_kind
from dailydiff.sources import SourceOptions as _Options
from dailydiff.sources.git import source_identity, web_base_from_remote

CONFIGURED = "configured"  # a [[repos]] entry
ADHOC = "adhoc"  # `report SOURCE`, `publish SOURCE`, `weekly SOURCE`


@dataclass(frozen=True)
class RepoRef:
    """Who a repository is, for every unit, log, path, digest row and ledger key of it."""

    id: str  # the store's name of it (a `report SOURCE` that cannot be opened: what its location says)
    kind: str  # CONFIGURED or ADHOC
    source: str  # where it is read from (a relative path resolved against the config's directory)
    path_name: str = ""  # its name in file paths when another repository shares its short name ('' : short)
    index: int = 0  # its position in [[repos]], 1-based (0: not configured)
    source_name: str | None = None  # the name handed to the source opener (None: the source's own)
    note: str = ""  # a line to say (an ad-hoc clone renamed because the store holds another repository)
    opened: bool = False  # an ad-hoc SOURCE named by what its opened source says (lines name it by that)

    @property
    def label(self) -> str:
        """How lines name it (credentials in a URL hidden): a configured one by its id, an ad-hoc one by its
        SOURCE as given, or by the id its opened source gave."""
        return scrub(self.id) if self.kind == CONFIGURED or self.opened else scrub(self.source)

    @property
    def short(self) -> str:
        return self.path_name or self.id.rsplit("/", 1)[-1]

    def aliases(self, entry_name: str | None = None) -> set[str]:
        """Every name a forge may call it by (a push's repository), lower-cased as forges compare them: its
        id, its entry's ``name``, its source's forge name and the repository its clone URL names."""
        remote = web_base_from_remote(self.source)
        names = {self.id, entry_name or "", forge_name(self.source) or "", remote[0] if remote else ""}
        return {n.lower() for n in names if n}


def repo_ref(
    settings: Settings,
    which: RepoEntry | str,
    *,
    base_dir: Path | None = None,
    name: str | None = None,
    store: Any = None,
    opened: bool = False,
    ids: Sequence[str] | None = None,
) -> RepoRef:
    """The one identity function. ``which``: a ``[[repos]]`` entry of ``settings``, or a SOURCE.
    ``store``: `report SOURCE`'s clash check (a clone whose name the store gives another repository gets
    its own, owner-qualified); ``opened``: a SOURCE whose id only its opened source says is opened now
    (`publish` and `weekly`, which read the store by it). ``ids``: the configured ids, when the caller has
    them already (the plan names every entry at once)."""
    configured = list(ids) if ids is not None else _configured_ids(settings.repos, base_dir)
    if isinstance(which, RepoEntry):
        index = next(i for i, e in enumerate(settings.repos) if e is which)
        return _configured(which, index, configured, base_dir)
    return _adhoc(settings, which, configured, base_dir=base_dir, name=name, store=store, opened=opened)


def _configured(entry: RepoEntry, index: int, ids: Sequence[str], base_dir: Path | None,
                shorts: Counter[str] | None = None) -> RepoRef:  # fmt: skip
    """``shorts``: how many configured ids end in each name (``short_names``), when the caller names every
    entry (counted once, not once an entry: a fleet's plan)."""
    repo_id = ids[index]
    shorts = shorts if shorts is not None else short_names(ids)
    clash = shorts[repo_id.rsplit("/", 1)[-1]] > 1 and "/" in repo_id
    return RepoRef(
        repo_id,
        CONFIGURED,
        resolve_source(entry.source, base_dir),
        path_name=repo_id.replace("/", "_") if clash else "",
        index=index + 1,
        # A GitHub repository is named owner/name; `name` renames clones, URLs and renamable forges.
        source_name=None if keeps_its_name(entry.source) else repo_id,
    )


def _adhoc(settings: Settings, source: str, ids: Sequence[str], *, base_dir: Path | None, name: str | None,
           store: Any, opened: bool) -> RepoRef:  # fmt: skip
    entry = config_entry(source, settings, base_dir) if not keeps_its_name(source) else None
    index = next((i for i, e in enumerate(settings.repos) if e is entry), None)
    chosen = name or (_entry_name(settings.repos[index], ids[index]) if index is not None else None)
    known = chosen or forge_name(source)
    if known is None:  # a clone or a git URL: named by what its remote (or directory) says, opened now
        return _named_by_its_source(settings, source, ids, store=store, strict=opened)
    return RepoRef(known, ADHOC, source, _path_name(known, ids), source_name=chosen)


def _named_by_its_source(settings: Settings, source: str, ids: Sequence[str], *, store: Any,
                         strict: bool) -> RepoRef:  # fmt: skip
    found = _opened(source, settings, strict=strict)
    qualified, note = _store_clash(source, found, store) if found is not None else (None, "")
    if qualified:  # its own name, and its own path too
        return RepoRef(
            qualified, ADHOC, source, qualified.replace("/", "_"), source_name=qualified, note=note
        )
    if found is None:  # cannot be opened (its run says why): named by what its location says
        return RepoRef(_location_name(source), ADHOC, source, _path_name(source, ids))
    return RepoRef(found.repo, ADHOC, source, _path_name(source, ids), opened=True)


def _location_name(source: str) -> str:
    try:
        return scrub(source_identity(source))
    except (DailyDiffError, OSError, ValueError):
        return scrub(source)


def _path_name(known: str, ids: Sequence[str]) -> str:
    """An ad-hoc repository's name in paths: owner-qualified when a configured one shares its short name."""
    short = [i.rsplit("/", 1)[-1] for i in ids]
    clash = known in ids and "/" in known and short.count(known.rsplit("/", 1)[-1]) > 1
    return known.replace("/", "_") if clash else ""


def _opened(source: str, settings: Settings, *, strict: bool) -> Any:
    """SOURCE opened; None where it cannot be (``strict``: the error raised), the run opening it again says
    why in its own words."""
    try:
        return open_source(source, settings, _Options(), None)
    except DailyDiffError:
        if strict:
            raise
        return None


def _entry_name(entry: RepoEntry, repo_id: str) -> str | None:
    """The name `run` stores a non-GitHub entry under when it decides it: its ``name``, or the
    owner-qualified id of a clone whose short name another entry shares (None: the source's own name)."""
    if entry.name:
        return entry.name
    return repo_id if "/" in repo_id and not keeps_its_name(entry.source) else None


def resolve_source(source: str, base_dir: Path | None) -> str:
    """A relative path in the config means relative to the config file, wherever `run` starts from."""
    if base_dir is None or "://" in source or Path(source).expanduser().is_absolute():
        return source
    candidate = base_dir / source
    return str(candidate) if candidate.exists() else source


def _entry_id(entry: RepoEntry, base_dir: Path | None = None) -> str:
    """``name``, else the forge's id, else the clone's; a GitHub repository keeps its ``owner/name`` (its
    source stores it so) unless its folder is the config's: a clone missing tonight."""
    named = forge_name(entry.source)
    if entry.name and not (
        named is not None and keeps_its_name(entry.source) and not _a_clone(entry, base_dir)
    ):
        return entry.name
    if named is not None:
        return named
    return source_identity(resolve_source(entry.source, base_dir))


def _a_clone(entry: RepoEntry, base_dir: Path | None) -> bool:
    """Whether ``owner/name`` is a clone's path whose folder stands beside the config (``repos/proj``)."""
    return base_dir is not None and (base_dir / entry.source).parent.is_dir()


def _last_parts(source: str) -> list[str]:
    path = source.split("://", 1)[-1].rsplit(":", 1)[-1] if "://" in source or "@" in source else source
    parts = [
        p for p in path.replace("\\", "/").rstrip("/").removesuffix(".git").split("/") if p not in {"", "."}
    ]
    return parts[-2:] if parts else ["repository"]


def _configured_ids(entries: Sequence[RepoEntry], base_dir: Path | None = None) -> list[str]:
    """Each configured repository's id, owner-qualified where two would be the same: two clones (or git
    URLs) both named ``repo`` become ``<parent>/repo`` each; a forge's ids are qualified already."""
    ids = [_entry_id(entry, base_dir) for entry in entries]
    plain = list(ids)
    for index, entry in enumerate(entries):
        if entry.name or forge_name(entry.source) is not None or plain.count(plain[index]) < 2:
            continue
        parts = _last_parts(resolve_source(entry.source, base_dir))
        if len(parts) == 2:
            ids[index] = "/".join(parts)
    return ids


def configured_refs(settings: Settings, base_dir: Path | None = None) -> list[RepoRef]:
    """Every ``[[repos]]`` entry's ``repo_ref``, in order: the configured ids named at once, in time linear in
    their number (a plan of 5,000 repositories names them all)."""
    ids = _configured_ids(settings.repos, base_dir)
    shorts = short_names(ids)
    return [_configured(entry, index, ids, base_dir, shorts) for index, entry in enumerate(settings.repos)]


def short_names(ids: Sequence[str]) -> Counter[str]:
    """How many of ``ids`` end in each name (the part after the last slash): two that share one clash."""
    return Counter(i.rsplit("/", 1)[-1] for i in ids)


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


def _store_clash(source: str, opened: Any, store: Any) -> tuple[str | None, str]:
    """`report SOURCE` (``store``) of a clone not in the config, without --name: when the store already holds
    another repository under the same name (its stored commits are not in this clone), this one gets its
    own, owner-qualified name (``<parent directory>/<name>``) and a line saying which."""
    if store is None or source_kind(source) != "git":
        return None, ""
    rows = store.list_reports(opened.repo)
    shas = store.report_shas(*rows[0], limit=5) if rows else []
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
