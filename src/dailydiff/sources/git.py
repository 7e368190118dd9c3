"""Commits from a git repository: a local clone, or a URL mirrored into the data directory.

One ``git log`` pass per window with raw status, numstat and patches, each commit handed to the engine as
git prints it (a cheap listing of the window's shas beside it comes first). Selection is by committer date
with ``--since-as-filter`` (plain ``--since`` stops walking at the first older commit, which loses
commits whose dates are out of order) and ``--until``; both filter on whole seconds, so the half-open
window ``[start, end)`` becomes ``since=start, until=end-1s``.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from dailydiff.common.private import PRIVATE_UMASK, open_private, private_dir, warn_if_exposed
from dailydiff.common.secrets import register as register_secret
from dailydiff.common.secrets import scrub
from dailydiff.errors import SourceError
from dailydiff.models import Commit, FileChange, FileStatus, Person, PullRequest, Stats, Window
from dailydiff.scoring.paths import is_generated
from dailydiff.sources.base import IncompleteFetch, Listed, SourceBase, clip_patch, nothing_unreadable

if TYPE_CHECKING:
    from dailydiff.sources.budget import RequestBudget

log = logging.getLogger("dailydiff.git")

_STATUS = {
    "A": FileStatus.ADDED,
    "M": FileStatus.MODIFIED,
    "D": FileStatus.REMOVED,
    "R": FileStatus.RENAMED,
    "C": FileStatus.COPIED,
    "T": FileStatus.CHANGED,
}
_URL_RE = re.compile(r"^(https?|git|ssh|file)://|^[\w.-]+@[\w.-]+:")
_WEB_RE = re.compile(r"^(?:https?://(?:[^@/]+@)?|ssh://git@|git@)([^/:]+)[:/](.+?)(?:\.git)?/?$")
_NUMSTAT_RE = re.compile(r"^(\d+|-)\t(\d+|-)\t")


def is_git_url(spec: str) -> bool:
    return bool(_URL_RE.match(spec))


def run_git(
    args: list[str],
    cwd: Path | None = None,
    *,
    check: bool = True,
    private: bool = False,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """git ``args``; ``private``: it writes into the data directory, so what it creates is 0700/0600.
    ``env`` adds to the environment (credentials go there, never into ``args``)."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=_git_env(env), input=input,
                                check=False, umask=PRIVATE_UMASK if private else -1)  # fmt: skip
    except FileNotFoundError:
        raise SourceError("git is not installed or not on PATH", "install git and try again") from None
    if check and result.returncode != 0:
        raise _git_failed(args, result.returncode, result.stderr)
    return result


@contextmanager
def git_output(
    args: list[str], cwd: Path | None = None, *, private: bool = False, env: Mapping[str, str] | None = None
) -> Iterator[IO[bytes]]:
    """git ``args`` with its output read as git writes it (``run_git`` waits for all of it). Leaving the
    block before the end stops git; a git that fails raises as ``run_git`` does."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=errors,
                                       env=_git_env(env), umask=PRIVATE_UMASK if private else -1)  # fmt: skip
        except FileNotFoundError:
            raise SourceError("git is not installed or not on PATH", "install git and try again") from None
        assert process.stdout is not None
        read = False
        try:
            yield process.stdout
            read = True
        finally:
            if not read:
                process.kill()
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise _git_failed(args, code, errors.read())


def _git_env(env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}


def _git_failed(args: list[str], code: int, stderr: bytes) -> SourceError:
    if b"--since-as-filter" in stderr:  # unknown before git 2.37 (Debian 11, Ubuntu 22.04 …)
        return SourceError("this git is too old for dailydiff: it needs git 2.37 or later",
                           "upgrade git; `dailydiff doctor` shows the version found")  # fmt: skip
    message = stderr.decode(errors="replace").strip().splitlines()
    return SourceError(f"git {args[0]} failed: {message[-1] if message else code}", "check the repository")


# The commit page under a repository's web URL, per forge. Gitea covers Forgejo and Codeberg.
FORGE_COMMIT_URLS = {
    "github": "{base}/commit/{sha}",
    "gitlab": "{base}/-/commit/{sha}",
    "gitea": "{base}/commit/{sha}",
    "bitbucket": "{base}/commits/{sha}",
}
# A pull (merge) request a commit names, per forge, and its page under the repository's web URL: a squash
# commit's "(#4305)" or a merge commit's "Merge pull request #4305 from …" (GitHub, Gitea), "!123" or
# "See merge request group/project!123" (GitLab), "(pull request #12)" (Bitbucket). API mode finds the same.
FORGE_PULL_REFS = {
    "github": (re.compile(r"\(#(\d+)\)\s*$|^Merge pull request #(\d+) "), "{base}/pull/{n}"),
    "gitea": (re.compile(r"\(#(\d+)\)\s*$|^Merge pull request '.*' \(#(\d+)\)"), "{base}/pulls/{n}"),
    "gitlab": (re.compile(r"(?:^|[\s(])!(\d+)\b"), "{base}/-/merge_requests/{n}"),
    "bitbucket": (re.compile(r"\(pull request #(\d+)\)"), "{base}/pull-requests/{n}"),
}
_GITLAB_MERGE_LINE = re.compile(r"^See merge request [\w./-]*!(\d+)\s*$", re.M)
_SCP_RE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


def pull_request_named(message: str, forge: str, repo_url: str | None) -> PullRequest | None:
    """The pull request a commit's title (GitLab: or its "See merge request" line) names, linked on the
    forge of ``repo_url``; None without a web URL (a local repository has no page to link to)."""
    if not repo_url or forge not in FORGE_PULL_REFS:
        return None
    pattern, page = FORGE_PULL_REFS[forge]
    title, _, body = message.partition("\n")
    match = pattern.search(title) or (_GITLAB_MERGE_LINE.search(body) if forge == "gitlab" else None)
    if match is None:
        return None
    number = int(next(group for group in match.groups() if group))
    return PullRequest(number=number, url=page.format(base=repo_url, n=number))


def forge_of(host: str, configured: str = "auto") -> str:
    """Which forge serves ``host``: named in config for a self-hosted one, else guessed from the name."""
    if configured != "auto":
        return configured
    host = host.lower()
    if "bitbucket" in host:
        return "bitbucket"
    if "gitlab" in host:
        return "gitlab"
    if any(word in host for word in ("gitea", "forgejo", "codeberg")):
        return "gitea"
    return "github"  # github.com, GitHub Enterprise and forges that copy its URLs


def web_base_from_remote(remote: str) -> tuple[str, str] | None:
    """(repo id, web base URL) from a remote URL like https://github.com/owner/name.git, git@host:o/n or
    ssh://git@host:2222/o/n; None for local paths and file:// URLs (no web page to link to)."""
    remote = remote.strip()
    scp = _SCP_RE.match(remote) if "://" not in remote else None
    if scp:
        host, path, scheme, port = scp.group(1), scp.group(2), "https", None
    else:
        parts = urlsplit(remote)
        if parts.scheme not in {"http", "https", "ssh", "git"} or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
        scheme = "http" if parts.scheme == "http" else "https"
        port = parts.port if parts.scheme in {"http", "https"} else None  # an ssh port is not the web's
    path = path.strip("/").removesuffix(".git").strip("/")
    if path.count("/") < 1 or host in {"localhost", "127.0.0.1", "::1"}:
        return None
    netloc = f"{host}:{port}" if port else host
    return path, f"{scheme}://{netloc}/{path}"


def source_identity(spec: str) -> str:
    """The id a git source gets without a configured name, decided without reading its history: the
    ``owner/name`` its remote (a URL, or a clone's ``origin``) says, else the last part of its URL or
    directory. A path that is not (yet) a repository is named by its directory: opening it says why."""
    if is_git_url(spec):
        derived = web_base_from_remote(spec)
        return derived[0] if derived else name_from_url(spec)
    try:
        path, remote = _local(spec)
    except SourceError:
        return Path(spec).expanduser().resolve().name.removesuffix(".git") or "repository"
    derived = web_base_from_remote(remote) if remote else None
    return derived[0] if derived else path.resolve().name.removesuffix(".git")


def name_from_url(url: str) -> str:
    """A readable repository name for a git URL without a web page: its last path part."""
    path = urlsplit(url).path if "://" in url else url.rsplit(":", 1)[-1]
    return path.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1] or "repository"


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
            path = _mirror(spec, data_dir)
            remote = spec
        else:
            path, remote = _once(("open", os.path.abspath(os.path.expanduser(spec))), lambda: _local(spec))
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
        _once(("revision", str(source.path), source.branch, str(all_branches)), source._check_revision)
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
        return _once(("bare", str(self.path)), lambda: run_git(["rev-parse", "--is-bare-repository"],
                                                                 cwd=self.path).stdout.strip() == b"true")  # fmt: skip

    def _check_revision(self) -> None:
        if self.all_branches:
            return
        rev = self.branch or "HEAD"
        probe = run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=self.path, check=False)
        if probe.returncode != 0:
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

    def _prepare(self, window: Window) -> list[str]:
        """What reading a window needs first: the branch, a history deep enough, a partial clone's file
        versions; returns git's filters for the window."""
        if not self.default_branch:
            self.default_branch = self.branch or _branch_name(self._default_branch())
        selection = _selection(window)
        self._check_history(window)
        self._partial = self._prefetch(selection)
        return selection

    async def stream(
        self,
        window: Window,
        on_listed: Callable[[Listed], None],
        on_commit: Callable[[Commit], None],
        *,
        slots: asyncio.Semaphore | None = None,
        budget: RequestBudget | None = None,
        day_of: Callable[[dt.datetime], dt.date] | None = None,
        on_unreadable: Callable[[str, dt.datetime, str], None] = nothing_unreadable,
    ) -> object:
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
            made = self._listing(window, selection, undated.result())
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

    def _listing(self, window: Window, selection: list[str], undated: list[Commit]) -> _Listing:
        """The window's commits as (sha, committed_at), dated as ``_log`` dates them, and those of them git
        dates to 1970 (``undated``: read whole by ``_undated``)."""
        args = ["log", *self._revisions(), *selection, "--format=%H%x00%cI%x00%ct"]
        listed = run_git([*args, *([] if self.include_merges else ["--no-merges"]), "--"], cwd=self.path)
        commits = []
        for line in listed.stdout.decode("utf-8", errors="replace").splitlines():
            sha, iso, epoch = line.split("\x00")
            committed_at = _moment(iso, epoch, _EPOCH)
            if window.start <= committed_at < window.end:
                commits.append((sha, committed_at))
        return _Listing([*commits, *((c.sha, c.committed_at) for c in undated)], undated)

    def has_commit(self, sha: str) -> bool:
        return run_git(["cat-file", "-e", f"{sha}^{{commit}}"], cwd=self.path, check=False).returncode == 0

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
            f"--format={fmt}", *(["--raw", "--numstat", "-p", "-M"] if changes else []), "--no-color",
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

    def _undated(self, window: Window) -> list[Commit]:
        """Commits git dates to 1970 because a header line is broken (an author or committer e-mail with a
        newline in it): git's own date filter never shows them in their day. Their real moment is read from
        the raw object; one that has none is placed at its parent's moment and named in ``unreadable``."""
        self.unreadable = []
        args = ["log", *self._revisions(), "--until=1970-01-02 00:00:00 +0000", "--format=%H", "--"]
        listed = _once(("undated", str(self.path), *args),
                       lambda: run_git(args, cwd=self.path, check=False).stdout.decode().split())  # fmt: skip
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
        promisor = _once(("promisor", str(self.path)), lambda: run_git(
            ["config", "--get", "remote.origin.promisor"], cwd=self.path, check=False).stdout.strip())  # fmt: skip
        if promisor != b"true":
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
        default = self._default_branch()
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
        label = _branch_name(default) if default else self.default_branch
        return [
            c.model_copy(
                update={"branches": [label if c.sha in on_default else nearest.get(c.sha, c.branches[0])]}
            )
            for c in commits
        ]

    def _default_branch(self) -> str:
        """The ref of the default branch: HEAD's branch, else origin's HEAD (a mirror or a plain clone),
        else — HEAD detached, as in a CI checkout — the branch whose tip HEAD is (main or master first)."""
        return _once(("default branch", str(self.path)), self._find_default_branch)

    def _find_default_branch(self) -> str:
        for args in (["symbolic-ref", "-q", "HEAD"], ["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]):
            ref = run_git(args, cwd=self.path, check=False).stdout.decode().strip()
            if (
                ref
                and run_git(["rev-parse", "-q", "--verify", ref], cwd=self.path, check=False).returncode == 0
            ):
                return ref
        at_head = run_git(["for-each-ref", "--points-at", "HEAD", "--format=%(refname)", "refs/heads", "refs/remotes"],
                          cwd=self.path, check=False).stdout.decode().split()  # fmt: skip
        at_head = [ref for ref in at_head if not ref.endswith("/HEAD")]
        preferred = [ref for ref in at_head if _branch_name(ref).rsplit("/", 1)[-1] in ("main", "master")]
        return (preferred or at_head or [""])[0]

    def _check_history(self, window: Window) -> None:
        """A shallow clone (CI checkouts are depth 1 by default) whose history stops inside or after the
        window would silently lose that window's older commits and show its cut commit as adding every
        file: refuse it."""
        shallow_file = _once(("shallow", str(self.path)), lambda: run_git(
            ["rev-parse", "--git-path", "shallow"], cwd=self.path).stdout.decode().strip())  # fmt: skip
        shallow = self.path / shallow_file
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
            [_branch_name(source_ref)]
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

    def _parse_changes(self, rest: str) -> tuple[list[FileChange], Stats]:
        raw: list[tuple[str, str, str | None]] = []
        counts: list[tuple[int, int, bool]] = []
        patch_start = rest.find("\ndiff --git ")
        if rest.startswith("diff --git "):
            patch_start = 0
        meta = rest if patch_start < 0 else rest[:patch_start]
        for line in meta.split("\n"):
            if line.startswith(":"):
                info, _, paths = line.partition("\t")
                status = info.split()[-1][:1]
                parts = paths.split("\t")
                if status in {"R", "C"} and len(parts) == 2:
                    raw.append((status, _unquote(parts[1]), _unquote(parts[0])))
                else:
                    raw.append((status, _unquote(parts[0]), None))
            elif _NUMSTAT_RE.match(line):
                added_text, deleted_text, _ = line.split("\t", 2)
                binary = added_text == "-"
                counts.append((0 if binary else int(added_text), 0 if binary else int(deleted_text), binary))
        patches: list[str] = []
        if patch_start >= 0:
            body = rest[patch_start + (1 if rest[patch_start] == "\n" else 0) :]
            patches = re.split(r"(?m)^diff --git ", body)[1:]
        files: list[FileChange] = []
        cursor = 0
        for index, (status, path, previous) in enumerate(raw):
            added, deleted, binary = counts[index] if index < len(counts) else (0, 0, False)
            # A type change (file <-> symlink or submodule) is one raw entry but two patch sections.
            take = 2 if status == "T" and len(patches) - cursor > len(raw) - index else 1
            pieces = [self._hunks(text, binary) for text in patches[cursor : cursor + take]]
            cursor += take
            patch, truncated = self._hunks(None, binary) if not pieces else pieces[0]
            if len(pieces) > 1:
                patch = "\n".join(p for p, _ in pieces if p) or patch
                truncated = any(t for _, t in pieces)
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


def _local(spec: str) -> tuple[Path, str]:
    """A local repository's top directory and its origin's URL (empty when it has none)."""
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(f"{spec} does not exist", "pass a path to a git clone, a git URL or owner/name")
    probe = run_git(["rev-parse", "--git-dir"], cwd=path if path.is_dir() else path.parent, check=False)
    if b"dubious ownership" in probe.stderr:  # CI containers: a checkout owned by another user
        where = path.resolve()
        raise SourceError(
            f"git refuses {spec}: it is owned by another user (dubious ownership)",
            f"if you trust it: git config --global --add safe.directory '{where}'",
        )
    if probe.returncode != 0 or not path.is_dir():
        raise SourceError(f"{spec} is not a git repository", "pass a path inside a git clone or a git URL")
    top = run_git(["rev-parse", "--show-toplevel"], cwd=path, check=False)
    if top.returncode == 0 and top.stdout.strip():
        path = Path(top.stdout.decode().strip())
    remote = run_git(["config", "--get", "remote.origin.url"], cwd=path, check=False).stdout.decode().strip()
    return path, remote


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


def _branch_name(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/remotes/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


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


def _follow_default_branch(url: str, mirror: Path, safe_url: str) -> None:
    """The origin renamed its default branch (master → main): the mirror's HEAD follows it, in one line,
    instead of pointing at a branch the fetch pruned."""
    remote = run_git(["ls-remote", "--symref", "--", url, "HEAD"], cwd=mirror, check=False)
    match = re.search(r"(?m)^ref: (refs/heads/\S+)\tHEAD$", remote.stdout.decode(errors="replace"))
    if remote.returncode != 0 or match is None:
        return
    head = run_git(["symbolic-ref", "-q", "HEAD"], cwd=mirror, check=False).stdout.decode().strip()
    if head != match.group(1):
        run_git(["symbolic-ref", "HEAD", match.group(1)], cwd=mirror)
        log.warning("%s: the default branch is now %s (was %s); following it", safe_url,
                    _branch_name(match.group(1)), _branch_name(head) or "none")  # fmt: skip


@dataclass
class _RunMemo:
    """What git told the run under way (``fetch_once``). A shared plan's worker opens a repository for each
    of its days and would ask git the same questions each time (a process apiece, most of a unit's git
    time): the mirrors it fetched, and answers that do not change while a run lasts — where a repository
    is, its default branch, whether it is shallow or a partial clone, its commits dated 1970."""

    fetched: set[str] = field(default_factory=set)
    answers: dict[tuple[str, ...], Any] = field(default_factory=dict)


_RUN: ContextVar[_RunMemo | None] = ContextVar("dailydiff_git_run", default=None)
T = TypeVar("T")


@contextmanager
def fetch_once() -> Iterator[None]:
    """Within this block (a run; its tasks and threads inherit it), each mirror is fetched at most once and
    git is asked each of the questions above once per repository."""
    token = _RUN.set(_RunMemo())
    try:
        yield
    finally:
        _RUN.reset(token)


def _once(key: tuple[str, ...], ask: Callable[[], T]) -> T:
    """``ask()``, remembered for the run under way (outside one, asked every time). A failure is not
    remembered: it raises each time."""
    memo = _RUN.get()
    if memo is None:
        return ask()
    if key not in memo.answers:
        memo.answers[key] = ask()
    answer: T = memo.answers[key]
    return answer


def git_auth_env(
    url: str, token: str | None, environ: Mapping[str, str], user: str = "x-access-token"
) -> dict[str, str]:
    """Environment that gives git the token for ``url``'s origin only, after any GIT_CONFIG_n the user set:
    Basic ``user``:token (GitHub takes ``x-access-token``, GitLab ``oauth2``), never on a command line."""
    parts = urlsplit(url)
    if not token or parts.scheme not in ("http", "https"):
        return {}
    count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    header = "Authorization: Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
    register_secret(header.split(" ")[-1])  # the encoded form is as secret as the token
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
        f"GIT_CONFIG_VALUE_{count}": header,
    }


def partial_clone(url: str, data_dir: Path, env: Mapping[str, str], **source: Any) -> GitSource:
    """The blobless partial clone of ``url`` in the data directory (a forge's clone mode), cloned or
    fetched now, as a git source that fetches the file versions a window needs with ``env``'s credentials."""
    git = GitSource(path=_mirror(url, data_dir, blobless=True, env=env), git_env=dict(env), **source)
    git._check_revision()
    return git


def _mirror(
    url: str, data_dir: Path, *, blobless: bool = False, env: Mapping[str, str] | None = None
) -> Path:
    """Clone ``url`` as a mirror into the data directory the first time, fetch it on later runs — one
    process or thread at a time per mirror, since several runs may share a data directory. ``blobless``:
    a partial clone of the branches without file contents (fetched when a day needs them), with the
    remote kept as ``origin`` so later fetches keep the filter; ``env`` carries its credentials."""
    import fcntl

    key = f"blobless {url}" if blobless else url
    warn_if_exposed(data_dir)
    lock_dir = private_dir(data_dir / "locks")
    memo = _RUN.get()
    fetched = memo.fetched if memo is not None else None
    target = _mirror_path(url, data_dir, "-blobless" if blobless else "")
    if fetched is not None and f"{key} {target}" in fetched:
        return target
    with open_private(lock_dir / f"mirror-{hashlib.sha256(key.encode()).hexdigest()[:12]}.lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = _blobless_unlocked(url, data_dir, env or {}) if blobless else _mirror_unlocked(url, data_dir)
    if fetched is not None:
        fetched.add(f"{key} {target}")
    return path


def _mirror_path(url: str, data_dir: Path, suffix: str = "") -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    readable = re.sub(r"[^\w.-]+", "_", url.split("://")[-1].split("@")[-1])[-60:]
    return data_dir / "repos" / f"{readable}-{digest}{suffix}.git"


def _blobless_unlocked(url: str, data_dir: Path, env: Mapping[str, str]) -> Path:
    target = _mirror_path(url, data_dir, "-blobless")
    safe_url = scrub(url)
    if (target / "HEAD").exists():
        result = run_git(
            ["fetch", "--prune", "--quiet", "--no-tags", "origin"],
            cwd=target,
            check=False,
            private=True,
            env=env,
        )
        if result.returncode != 0:
            raise SourceError(
                f"could not fetch {safe_url}: {_last_line(result)}",
                "check the network, the URL ([github] git_url) and the token; the last fetched copy is kept",
            )
        return target
    private_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    result = run_git(
        ["clone", "--bare", "--filter=blob:none", "--no-tags", "--quiet", "--template=", "--", url, str(partial)],
        check=False, private=True, env=env,
    )  # fmt: skip
    if result.returncode != 0:
        raise SourceError(
            f"could not clone {safe_url}: {_last_line(result)}",
            "check the URL ([github] git_url), the token and that you can reach it",
        )
    run_git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], cwd=partial, private=True)
    partial.rename(target)
    return target


def _last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return scrub(lines[-1]) if lines else f"exit {result.returncode}"


def _mirror_unlocked(url: str, data_dir: Path) -> Path:
    target = _mirror_path(url, data_dir)
    safe_url = scrub(url)
    if (target / "HEAD").exists():
        # The URL is given on each fetch: the mirror's config keeps it without its user:password.
        result = run_git(
            ["fetch", "--prune", "--quiet", "--", url, "+refs/*:refs/*"],
            cwd=target,
            check=False,
            private=True,
        )
        if result.returncode != 0:
            raise SourceError(
                f"could not fetch {safe_url}", "check the network and the URL; the last fetched copy is kept"
            )
        _follow_default_branch(url, target, safe_url)
        return target
    private_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    # No template: its sample hooks are executables nobody runs in a mirror (and would be 0700, not 0600).
    result = run_git(
        ["clone", "--mirror", "--quiet", "--template=", "--", url, str(partial)], check=False, private=True
    )
    if result.returncode != 0:
        raise SourceError(f"could not clone {safe_url}", "check the URL and that you can reach it")
    run_git(["remote", "set-url", "origin", re.sub(r"//[^/@]+@", "//", url)], cwd=partial, private=True)
    partial.rename(target)
    return target
