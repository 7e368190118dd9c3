"""Commits from a git repository: a local clone, or a URL mirrored into the data directory.

One ``git log`` pass per window with raw status and patches (each file's line counts read from its patch),
each commit handed to the engine as git prints it (a cheap listing of the window's shas beside it comes
first). Selection is by committer date with ``--since-as-filter`` (plain ``--since`` stops walking at the
first older commit, which loses commits whose dates are out of order) and ``--until``; both filter on whole
seconds, so the half-open window ``[start, end)`` becomes ``since=start, until=end-1s``.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dailydiff.common.secrets import scrub
from dailydiff.errors import SourceError
from dailydiff.models import Commit, FileChange, FileStatus, Person, Stats, Window
from dailydiff.scoring.paths import is_generated
from dailydiff.sources.base import IncompleteFetch, Listed, SourceBase, clip_patch, ignore

if TYPE_CHECKING:
    from dailydiff.sources.base import DayOf, OnCommit, OnListed, OnUnreadable, Slots
    from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.gitclone import fetch_once, git_auth_env, mirror, once
from dailydiff.sources.gitremote import (
    FORGE_COMMIT_URLS,
    FORGE_PULL_REFS,
    default_branch,
    forge_of,
    is_git_url,
    is_promisor,
    local_repo,
    name_from_url,
    names_a_commit,
    pull_request_named,
    shallow_file,
    source_identity,
    undated_shas,
    web_base_from_remote,
)
from dailydiff.sources.gitrun import branch_name, git_output, run_git

__all__ = [
    "FORGE_COMMIT_URLS",
    "FORGE_PULL_REFS",
    "GitSource",
    "fetch_once",
    "forge_of",
    "git_auth_env",
    "git_output",
    "is_git_url",
    "name_from_url",
    "partial_clone",
    "pull_request_named",
    "run_git",
    "source_identity",
    "web_base_from_remote",
]

log = logging.getLogger("dailydiff.git")


_STATUS = {
    "A": FileStatus.ADDED,
    "M": FileStatus.MODIFIED,
    "D": FileStatus.REMOVED,
    "R": FileStatus.RENAMED,
    "C": FileStatus.COPIED,
    "T": FileStatus.CHANGED,
}


@dataclass
class GitSource(SourceBase):
    """A commit source over a git repository at ``path`` (a work tree or a bare repository)."""

    path: Path
    repo: str
    repo_url: str | None = None
    branch: str = ""
    all_branches: bool = False
    include_merges: bool = True
    max_patch_bytes: int = 200_000
    forge: str = "github"
    default_branch: str = ""  # the branch the repository is read on (known once commits are listed)
    git_env: dict[str, str] = field(default_factory=dict, repr=False)  # e.g. a token for a partial clone
    # Commits of the last window that git could not date (a broken committer line): sha, the moment
    # they are placed at (their parent's), and why. Set by ``commits``.
    unreadable: list[tuple[str, dt.datetime, str]] = field(default_factory=list)
    # A blobless partial clone (the data directory's, clone mode): what git writes there stays private.
    _partial: bool = field(default=False, init=False, repr=False)

    kind = "git"
    knows_history = True  # `landed` answers from the local history

    @classmethod
    def open(
        cls,
        spec: str,
        data_dir: Path,
        *,
        name: str | None = None,
        branch: str = "",
        all_branches: bool = False,
        include_merges: bool = True,
        max_patch_bytes: int = 200_000,
        forge: str = "auto",
    ) -> GitSource:
        if is_git_url(spec):
            path = mirror(spec, data_dir)
            remote = spec
        else:
            path, remote = local_repo(spec)
        derived = web_base_from_remote(remote) if remote else None
        if derived:
            fallback = derived[0]
        elif is_git_url(spec):
            fallback = name_from_url(spec)  # not the mirror's directory name
        else:
            fallback = path.resolve().name.removesuffix(".git")
        source = cls(
            path=path,
            repo=name or fallback,
            repo_url=derived[1] if derived else None,
            forge=forge_of(urlsplit(derived[1]).hostname or "", forge) if derived else "github",
            branch=branch,
            all_branches=all_branches,
            include_merges=include_merges,
            max_patch_bytes=max_patch_bytes,
        )
        once(("revision", str(source.path), source.branch, str(all_branches)), source._check_revision)
        return source

    def landed(self, sha: str) -> tuple[str, dt.datetime] | None:
        """The full sha and committer date of a commit named by (a prefix of) its sha, or None when the
        repository has no such commit (or several: git cannot tell which)."""
        if not re.fullmatch(r"[0-9a-fA-F]{4,40}", sha):
            return None
        found = run_git(
            ["show", "-s", "--format=%H %cI", f"{sha}^{{commit}}", "--"], cwd=self.path, check=False
        )
        if found.returncode != 0 or not found.stdout.strip():
            return None
        full, moment = found.stdout.decode().split()[:2]
        return full, dt.datetime.fromisoformat(moment)

    def _revisions(self) -> list[str]:
        if self.all_branches:
            return ["--branches", "--remotes"] if not self._is_bare() else ["--branches"]
        return [self.branch or "HEAD"]

    def _is_bare(self) -> bool:
        return once(("bare", str(self.path)), lambda: run_git(["rev-parse", "--is-bare-repository"],
                                                                 cwd=self.path).stdout.strip() == b"true")  # fmt: skip

    def _check_revision(self) -> None:
        if self.all_branches:
            return
        if not names_a_commit(self.path, self.branch or "HEAD"):
            if self.branch:
                raise SourceError(
                    f"branch {self.branch!r} not found in {self.repo}",
                    "check --branch, or use --all-branches",
                )
            heads = run_git(["for-each-ref", "--format=%(refname:short)", "--count=5", "refs/heads"],
                            cwd=self.path, check=False).stdout.decode(errors="replace").split()  # fmt: skip
            if heads:  # e.g. a bare repository whose HEAD names a branch nobody pushed
                raise SourceError(
                    f"{self.repo}: HEAD names no commit, but the repository has branches",
                    f"pick one with --branch (or `branch` in [[repos]]): {', '.join(heads)}",
                )
            raise SourceError(
                f"{self.repo} has no commits yet", "commit something first, or pick another repository"
            )

    def commits(self, window: Window) -> list[Commit]:
        selection = self._prepare(window)
        # The commits git dates to 1970 are looked for beside the window's log (a walk of the whole
        # history: a quarter of a second on a large repository), not after it.
        with ThreadPoolExecutor(1) as pool:
            undated = pool.submit(contextvars.copy_context().run, self._undated, window)
            commits = [
                c
                for c in self._log([*self._revisions(), *selection])
                if window.start <= c.committed_at < window.end
            ]
            commits += undated.result()
        if self.all_branches and commits:
            commits = self._attribute(commits, selection)
        return commits

    def listed_in(self, window: Window) -> list[Commit]:
        """The window's commits as ``commits`` reads them, without their changes (no file version is needed):
        what a forge is asked about them goes out while the changes are read. The commits git dates to 1970
        are left to ``commits``."""
        if not self.default_branch:
            self.default_branch = self.branch or branch_name(default_branch(self.path))
        log = self._log([*self._revisions(), *_selection(window)], changes=False)
        return [c for c in log if window.start <= c.committed_at < window.end]

    def _prepare(self, window: Window) -> list[str]:
        """What reading a window needs first: the branch, a history deep enough, a partial clone's file
        versions; returns git's filters for the window."""
        if not self.default_branch:
            self.default_branch = self.branch or branch_name(default_branch(self.path))
        selection = _selection(window)
        self._check_history(window)
        self._partial = self._prefetch(selection)
        return selection

    async def stream(self, window: Window, on_listed: OnListed, on_commit: OnCommit, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> object:  # fmt: skip
        """The window's commits handed over as ``git log -p`` prints them, while it goes on: its listing
        (a `git log` of shas beside it) first. With every branch read, each commit's branch is decided once
        all are read: then the window is read whole first."""
        if self.all_branches:
            return await super().stream(window, on_listed, on_commit, on_unreadable=on_unreadable)
        loop = asyncio.get_running_loop()
        handed: asyncio.Queue[_Listing | Commit | None] = asyncio.Queue()
        stop = threading.Event()

        def hand(item: _Listing | Commit | None) -> None:
            loop.call_soon_threadsafe(handed.put_nowait, item)

        # The reader stays at most _AHEAD commits ahead of the engine: what a month holds in memory is the
        # days under way, not every commit git printed while the engine was busy with the first ones.
        room = threading.Semaphore(_AHEAD)
        reading = asyncio.ensure_future(asyncio.to_thread(self._read_window, window, hand, stop, room))
        listed: set[str] | None = None  # the listing's shas not handed over yet (None: it has not come)
        early: list[Commit] = []  # read before the listing came
        try:
            while (item := await handed.get()) is not None:
                if isinstance(item, _Listing):
                    for sha, placed_at, reason in self.unreadable:
                        on_unreadable(sha, placed_at, reason)
                    on_listed(item.commits)
                    listed = {sha for sha, _ in item.commits} - {c.sha for c in early}
                    taken, early = early, []
                elif listed is None:
                    early.append(item)
                    continue
                else:
                    listed.discard(item.sha)
                    taken = [item]
                for commit in taken:
                    on_commit(commit)
                    room.release()
                    await asyncio.sleep(0)  # its work starts before the next commit is taken
            await reading
        except BaseException:
            stop.set()  # git is stopped; what it printed so far is handed over
            raise
        if listed:  # the branch moved between the listing and the log: those are read by the next run
            failed = dict.fromkeys(listed, "not in git log's output (the branch moved while it was read)")
            raise IncompleteFetch([], failed, len(failed))
        return None

    def _read_window(self, window: Window, hand: Callable[[_Listing | Commit | None], None],
                     stop: threading.Event, room: threading.Semaphore) -> None:  # fmt: skip
        """``stream``'s reading, on worker threads: the listing (with the commits git dates to 1970, which
        git's filters never show in their day) handed over the moment it is made, beside the log, whose
        commits are handed over as git prints them; None last, whatever happened."""

        def listing() -> _Listing:
            made = self._listing(window, selection, undated)
            hand(made)
            return made

        try:
            selection = self._prepare(window)
            with ThreadPoolExecutor(2) as pool:  # the history's walk for 1970 beside the window's listing
                undated = pool.submit(contextvars.copy_context().run, self._undated, window)
                listed = pool.submit(contextvars.copy_context().run, listing)
                for commit in self._log([*self._revisions(), *selection], stop):
                    if window.start <= commit.committed_at < window.end and _wait(room, stop):
                        hand(commit)
                for commit in listed.result().undated:
                    if _wait(room, stop):
                        hand(commit)
        finally:
            hand(None)

    def _listing(self, window: Window, selection: list[str], undated: Future[list[Commit]]) -> _Listing:
        """The window's commits as (sha, committed_at), dated as ``_log`` dates them, and those of them git
        dates to 1970 (``undated``: read whole by ``_undated``, whose walk of the history runs beside this
        listing's, not before it: the engine waits for the listing before it takes any commit)."""
        args = ["log", *self._revisions(), *selection, "--format=%H%x00%cI%x00%ct"]
        listed = run_git([*args, *([] if self.include_merges else ["--no-merges"]), "--"], cwd=self.path)
        commits = []
        for line in listed.stdout.decode("utf-8", errors="replace").splitlines():
            sha, iso, epoch = line.split("\x00")
            committed_at = _moment(iso, epoch, _EPOCH)
            if window.start <= committed_at < window.end:
                commits.append((sha, committed_at))
        found = undated.result()
        return _Listing([*commits, *((c.sha, c.committed_at) for c in found)], found)

    def has_commit(self, sha: str) -> bool:
        return run_git(["cat-file", "-e", f"{sha}^{{commit}}"], cwd=self.path, check=False).returncode == 0

    def present(self, shas: Sequence[str]) -> list[str]:
        """Those of ``shas`` (full or abbreviated) that name a commit here, in order: one `git cat-file` for
        all of them (a labelled set's commits: one process, not one a commit)."""
        asked = "".join(f"{sha}^{{commit}}\n" for sha in shas).encode()
        if not asked:
            return []
        answer = run_git(["cat-file", "--batch-check=%(objecttype)"], cwd=self.path, input=asked, check=False)
        kinds = answer.stdout.decode("utf-8", errors="replace").splitlines()
        return [sha for sha, kind in zip(shas, kinds, strict=False) if kind == "commit"]

    async def list_shas(
        self, windows: list[Window], *, slots: asyncio.Semaphore | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """The late-commit check: one `git log` of shas over the span of ``windows``."""
        if not windows:
            return []
        span = Window(start=min(w.start for w in windows), end=max(w.end for w in windows))
        return await asyncio.to_thread(self.shas_in, span)

    def shas_in(self, window: Window) -> list[tuple[str, dt.datetime]]:
        """The window's commits as (sha, committed_at) only: one cheap `git log` (the late-commit check)."""
        merges = [] if self.include_merges else ["--no-merges"]  # as the day's own listing: else a merge
        listed = run_git(  # left out of the report would look late on every run and rebuild its day
            ["log", *self._revisions(), *_selection(window), "--format=%H %cI", *merges, "--"], cwd=self.path
        )
        pairs = [
            line.split(" ", 1) for line in listed.stdout.decode(errors="replace").splitlines() if " " in line
        ]
        return [(sha, moment) for sha, text in pairs if (moment := _iso_or_none(text)) is not None]

    def _log(
        self, selection: list[str], stop: threading.Event | None = None, changes: bool = True
    ) -> Iterator[Commit]:
        """``git log`` of ``selection`` (revisions and filters) with every field, the changes and patches:
        each commit as soon as git has printed it (until ``stop`` is set)."""
        token = secrets.token_hex(8)
        # Fields end with the random token too: a name or e-mail may hold any control character.
        sep = f"%x1f{token}"
        fields = ["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%S", "%at", "%ct", "%B"]
        fmt = f"%x1e{token}%x1f{sep.join(fields)}%x1e{token}e%n"
        args = [
            "-c", "core.quotepath=false", "-c", "log.showSignature=false", "-c", "diff.noprefix=false",
            "log", *selection,
            f"--format={fmt}", *(["--raw", "-p", "-M"] if changes else []), "--no-color",
            "--no-ext-diff", "--no-textconv", "--no-abbrev", "--encoding=UTF-8",
        ]  # fmt: skip
        if self.all_branches:
            args.append("--source")
        if not self.include_merges:
            args.append("--no-merges")
        args.append("--")
        # A partial clone may still fetch a missing file version itself: through the token's environment.
        with git_output(args, cwd=self.path, env=self.git_env, private=self._partial) as output:
            for record in _records(output, f"\x1e{token}\x1f".encode()):
                yield self._parse(record.decode("utf-8", errors="replace"), token)
                if stop is not None and stop.is_set():
                    return

    def named(self, shas: Sequence[str], changes: bool = True) -> list[Commit]:
        """The commits named by ``shas`` (full shas), in git's order, each with its changes and patches
        (``changes``) or without (`dailydiff notes`: a range's commits, the ones to analyse with them)."""
        found: list[Commit] = []
        for start in range(0, len(shas), 200):
            found += self._log(["--no-walk=unsorted", *shas[start : start + 200]], changes=changes)
        return found

    def listed(self, revs: Sequence[str]) -> list[Commit]:
        """The commits of ``revs`` (a `git rev-list` selection: ``A..B``, ``B --not --tags``), in git's
        order, without their changes: one `git log` (`dailydiff notes`: a range's commits)."""
        return list(self._log(list(revs), changes=False))

    def _undated(self, window: Window) -> list[Commit]:
        """Commits git dates to 1970 because a header line is broken (an author or committer e-mail with a
        newline in it): git's own date filter never shows them in their day. Their real moment is read from
        the raw object; one that has none is placed at its parent's moment and named in ``unreadable``."""
        self.unreadable = []
        listed = undated_shas(self.path, self._revisions())
        found = []
        for sha in listed:
            header = run_git(["cat-file", "commit", sha], cwd=self.path).stdout.decode("utf-8", "replace")
            header = header.split("\n\n", 1)[0]
            committer, committed_at = _raw_ident(header, "committer")
            author, authored_at = _raw_ident(header, "author")
            if committed_at is None or committed_at <= _EPOCH:
                parent = re.search(r"(?m)^parent ([0-9a-f]+)", header)
                shown = (
                    run_git(["show", "-s", "--format=%cI", parent.group(1)], cwd=self.path, check=False)
                    if parent
                    else None
                )
                placed = _iso_or_none(shown.stdout.decode().strip()) if shown is not None else None
                if placed is not None and window.start <= placed < window.end:
                    self.unreadable.append(
                        (sha, placed, "git cannot read its committer line (no date in it)")
                    )
                continue
            if not window.start <= committed_at < window.end:
                continue
            logged = list(self._log(["--no-walk", sha]))
            if not logged:  # a merge, with merges left out
                continue
            commit = logged[0]
            log.warning("%s: commit %s has a broken author or committer line (git dates it 1970); read from the "
                        "raw object: %s", self.repo, sha[:7], f"{committed_at:%Y-%m-%d %H:%M:%S %z}")  # fmt: skip
            found.append(commit.model_copy(update={
                "committer": committer or commit.committer, "author": author or commit.author,
                "committed_at": committed_at, "authored_at": authored_at or committed_at,
            }))  # fmt: skip
        return found

    def _prefetch(self, selection: list[str]) -> bool:
        """In a blobless partial clone, fetch every file version the window's diffs need in one batch
        (git would otherwise fetch them commit by commit): both sides of each change, read from the trees,
        which the clone has. Objects already here cost nothing (git makes no connection). True when the
        repository is a partial clone."""
        if not is_promisor(self.path):
            return False
        raw = run_git(
            ["log", *self._revisions(), *selection, "--format=", "--raw", "--no-renames", "--no-abbrev",
             *([] if self.include_merges else ["--no-merges"]), "--"],
            cwd=self.path,
        )  # fmt: skip
        wanted: set[str] = set()
        for line in raw.stdout.decode("utf-8", errors="replace").splitlines():
            if not line.startswith(":"):
                continue
            old_mode, new_mode, old, new = line[1:].split("\t", 1)[0].split()[:4]
            for mode, oid in ((old_mode, old), (new_mode, new)):
                if mode != "160000" and oid.strip("0"):  # not a submodule's commit, not "no file"
                    wanted.add(oid)
        if not wanted:
            return True
        fetched = run_git(
            ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "origin", "--no-tags", "--no-write-fetch-head",
             "--recurse-submodules=no", "--filter=blob:none", "--stdin"],
            cwd=self.path, check=False, private=True, env=self.git_env,
            input="\n".join(sorted(wanted)).encode() + b"\n",
        )  # fmt: skip
        if fetched.returncode != 0:  # git log fetches what is still missing itself, one commit at a time
            message = fetched.stderr.decode(errors="replace").strip().splitlines()
            log.warning(
                "%s: fetching the day's file versions failed: %s",
                self.repo,
                scrub(message[-1] if message else ""),
            )
        return True

    def _attribute(self, commits: list[Commit], window_args: list[str]) -> list[Commit]:
        """Which branch a commit is shown on: the default branch when it holds the commit, else the
        branch whose tip is nearest (fewest steps back from its tip; `git name-rev` picks that one).
        ``git log --source`` names whichever ref the walk reached it by first: arbitrary."""
        default = default_branch(self.path)
        on_default: set[str] = set()
        if default:
            listed = run_git(["log", default, *window_args, "--format=%H", "--"], cwd=self.path, check=False)
            on_default = set(listed.stdout.decode().split())
        others = [c.sha for c in commits if c.sha not in on_default]
        nearest: dict[str, str] = {}
        if others:
            named = run_git(
                ["name-rev", "--name-only", "--refs=refs/heads/*", "--refs=refs/remotes/*", "--exclude=*/HEAD",
                 *others],
                cwd=self.path, check=False,
            )  # fmt: skip
            for sha, name in zip(others, named.stdout.decode().split(), strict=False):
                branch = re.split(r"[~^]", name, maxsplit=1)[0].removeprefix("remotes/")
                if branch and branch != "undefined":
                    nearest[sha] = branch
        label = branch_name(default) if default else self.default_branch
        return [
            c.model_copy(
                update={"branches": [label if c.sha in on_default else nearest.get(c.sha, c.branches[0])]}
            )
            for c in commits
        ]

    def _check_history(self, window: Window) -> None:
        """A shallow clone (CI checkouts are depth 1 by default) whose history stops inside or after the
        window would silently lose that window's older commits and show its cut commit as adding every
        file: refuse it."""
        shallow = self.path / shallow_file(self.path)
        if not shallow.is_file():
            return
        cuts = shallow.read_text(encoding="ascii", errors="replace").split()
        if not cuts:
            return
        shown = run_git(["show", "-s", "--format=%cI", *cuts, "--"], cwd=self.path, check=False)
        dates = [dt.datetime.fromisoformat(line) for line in shown.stdout.decode().split()]
        newest = max(dates, default=None)
        if newest is not None and newest >= window.start:
            raise SourceError(
                f"{self.repo} is a shallow clone whose history stops at {newest:%Y-%m-%d %H:%M %z}, "
                "inside or after the day(s) asked for",
                "fetch the full history (git fetch --unshallow; actions/checkout with fetch-depth: 0), "
                "or pass the repository's URL",
            )

    def _parse(self, record: str, token: str) -> Commit:
        """One commit of ``git log``'s output (``_log``'s format), its head marker left out."""
        end_marker = f"\x1e{token}e\n"
        header, _, rest = record.partition(end_marker)
        fields = header.split(f"\x1f{token}", 11)
        sha, parents, an, ae, ad, cn, ce, cd, source_ref, at, ct, message = fields
        committed_at = _moment(cd, ct, _EPOCH)  # unreadable: outside every window, like git's own filter
        files, stats = self._parse_changes(rest)
        branches = (
            [branch_name(source_ref)]
            if self.all_branches and source_ref
            else [self.branch or self.default_branch or "HEAD"]
        )
        return Commit(
            repo=self.repo,
            sha=sha,
            parents=parents.split(),
            author=Person(name=an, email=ae),
            committer=Person(name=cn, email=ce),
            authored_at=_moment(ad, at, committed_at),
            committed_at=committed_at,
            message=message.replace("\x00", "").rstrip("\n"),
            url=FORGE_COMMIT_URLS[self.forge].format(base=self.repo_url, sha=sha) if self.repo_url else None,
            pr=pull_request_named(message, self.forge, self.repo_url),
            branches=branches,
            stats=stats,
            files=files,
        )

    def _patch_of(self, sections: list[str], binary: bool) -> tuple[str | None, bool]:
        """A file's patch from its sections (two for a type change), and whether it was cut."""
        pieces = [self._hunks(text, binary) for text in sections]
        patch, truncated = self._hunks(None, binary) if not pieces else pieces[0]
        if len(pieces) > 1:
            patch = "\n".join(p for p, _ in pieces if p) or patch
            truncated = any(t for _, t in pieces)
        return patch, truncated

    def _parse_changes(self, rest: str) -> tuple[list[FileChange], Stats]:
        patch_start = rest.find("\ndiff --git ")
        if rest.startswith("diff --git "):
            patch_start = 0
        meta = rest if patch_start < 0 else rest[:patch_start]
        raw = [_raw_entry(line) for line in meta.split("\n") if line.startswith(":")]
        patches: list[str] = []
        if patch_start >= 0:
            # each file's section: split where a line starts "diff --git " (a literal split, not a multiline
            # regex tried at every character); a section's trailing newline goes, as ``_hunks`` strips it
            first = patch_start + (1 if rest[patch_start] == "\n" else 0) + len("diff --git ")
            patches = rest[first:].split("\ndiff --git ")
        files: list[FileChange] = []
        cursor = 0
        for index, (status, path, previous) in enumerate(raw):
            # A type change (file <-> symlink or submodule) is one raw entry but two patch sections.
            take = 2 if status == "T" and len(patches) - cursor > len(raw) - index else 1
            added, deleted, binary = _counts(patches[cursor : cursor + take])
            patch, truncated = self._patch_of(patches[cursor : cursor + take], binary)
            cursor += take
            files.append(
                FileChange(
                    path=path,
                    previous_path=previous,
                    status=_STATUS.get(status, FileStatus.MODIFIED),
                    additions=added,
                    deletions=deleted,
                    patch=patch,
                    binary=binary,
                    generated=is_generated(path),
                    patch_truncated=truncated,
                )
            )
        stats = Stats(
            additions=sum(f.additions for f in files),
            deletions=sum(f.deletions for f in files),
            files=len(files),
        )
        return files, stats

    def _hunks(self, section: str | None, binary: bool) -> tuple[str | None, bool]:
        if section is None or binary:
            return None, False
        at = section.find("\n@@")
        if at < 0:
            return "", False
        return clip_patch(section[at + 1 :].rstrip("\n"), self.max_patch_bytes)


def _raw_entry(line: str) -> tuple[str, str, str | None]:
    """A ``--raw`` line: (status letter, path, previous path of a rename or copy)."""
    info, _, paths = line.partition("\t")
    status = info.split()[-1][:1]
    parts = paths.split("\t")
    if status in {"R", "C"} and len(parts) == 2:
        return status, _unquote(parts[1]), _unquote(parts[0])
    return status, _unquote(parts[0]), None


def _counts(sections: list[str]) -> tuple[int, int, bool]:
    """A file's added and deleted lines and whether git took it for binary, from its patch's sections (the
    lines of its hunks that start with + and with -; "Binary files … differ" in place of hunks), as
    ``--numstat`` would say (a type change's two sections summed): not asked of git, whose numstat diffs
    every file a second time (a third of the log's time with it, on a month of a busy repository)."""
    added = deleted = 0
    binary = False
    for section in sections:
        at = section.find("\n@@")  # the first hunk (each line of a hunk starts with " ", +, - or \)
        if at < 0:
            binary = binary or "\nBinary files " in section
            continue
        hunks = section[at:]
        added += hunks.count("\n+")
        deleted += hunks.count("\n-")
    return added, deleted, binary


@dataclass(frozen=True)
class _Listing:
    commits: Listed  # (sha, committed_at) of every commit of the window
    undated: list[Commit]  # those of them git dates to 1970, read whole


_AHEAD = 32  # commits read and not yet taken by the engine, at most


def _wait(room: threading.Semaphore, stop: threading.Event) -> bool:
    """Room for one more commit (False: the reading was stopped meanwhile)."""
    while not room.acquire(timeout=0.05):
        if stop.is_set():
            return False
    return True


def _records(output: IO[bytes], marker: bytes, block: int = 1 << 16) -> Iterator[bytes]:
    """What follows each ``marker`` in ``output``, up to the next one: each as soon as the next begins."""
    buffer = bytearray()
    searched = 0  # where the next marker may start (the one at 0 began the record being read)
    while chunk := output.read1(block):  # type: ignore[attr-defined]
        buffer += chunk
        while (at := buffer.find(marker, max(searched, 1))) >= 0:
            if buffer.startswith(marker):
                yield bytes(buffer[len(marker) : at])
            del buffer[:at]
            searched = 1
        searched = max(1, len(buffer) - len(marker) + 1)
    if buffer.startswith(marker):
        yield bytes(buffer[len(marker) :])


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


log = logging.getLogger("dailydiff.source")


# "author Name <e-mail> 1745400000 +0800"; [^>]* spans a newline that broke the line in two.
_IDENT_RE = r"(?m)^{role} ([^<>]*)<([^>]*)> (\d+) ([+-])(\d\d)(\d\d)"


def _selection(window: Window) -> list[str]:
    """git's filters for ``[start, end)``: whole seconds, so the end becomes end - 1 s."""
    start = window.start.astimezone(dt.UTC)
    last = (window.end - dt.timedelta(seconds=1)).astimezone(dt.UTC)
    return [f"--since-as-filter={start:%Y-%m-%d %H:%M:%S} +0000", f"--until={last:%Y-%m-%d %H:%M:%S} +0000"]


def _iso_or_none(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _raw_ident(header: str, role: str) -> tuple[Person | None, dt.datetime | None]:
    """A person and moment from a raw commit header, also when a newline broke the line."""
    match = re.search(_IDENT_RE.format(role=role), header)
    if match is None:
        return None, None
    name, email, seconds, sign, hours, minutes = match.groups()
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
    try:
        moment = dt.datetime.fromtimestamp(int(seconds), dt.timezone(offset))
    except (ValueError, OverflowError, OSError):
        return None, None
    person = Person(name=" ".join(name.split()), email=" ".join(email.split()))
    return person, moment


def _moment(iso: str, epoch: str, fallback: dt.datetime) -> dt.datetime:
    """A commit date; old or crafted commits may carry a broken one (zone +9999, year 3170843, no
    number at all), which git prints as is: then the timestamp in UTC, or ``fallback``."""
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return fallback


_ESCAPES = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names ("a\\tb", octal-escaped UTF-8 bytes)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body, out, i = path[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 4 <= len(body):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out.extend(char.encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def partial_clone(url: str, data_dir: Path, env: Mapping[str, str], **source: Any) -> GitSource:
    """The blobless partial clone of ``url`` in the data directory (a forge's clone mode), cloned or
    fetched now, as a git source that fetches the file versions a window needs with ``env``'s credentials."""
    git = GitSource(path=mirror(url, data_dir, blobless=True, env=env), git_env=dict(env), **source)
    git._check_revision()
    return git
