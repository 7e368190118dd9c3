"""Clones kept in the data directory: a mirror or a blobless partial clone per URL, fetched once per run
(``fetch_once``), with the forge's credentials handed to git and never written down.

Each clone keeps git's commit-graph (``objects/info/commit-graph[s]``): a day is read with
``--since-as-filter``, which walks the whole history (a commit dated out of order is not missed), and the
commits dated 1970 are looked for over all of it too. Parsed from the packs, those walks cost a tenth of a
second each on a history of 18,000 commits, several a day; from the graph, milliseconds. The graph is
written once the clone is made (or found missing, in a clone an earlier version made) and grows with each
fetch that brings commits (``fetch.writeCommitGraph``: a small layer on top of the others).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from dailydiff.common.private import open_private, private_dir, warn_if_exposed
from dailydiff.common.secrets import register as register_secret
from dailydiff.common.secrets import scrub
from dailydiff.errors import SourceError

if TYPE_CHECKING:
    pass
from dailydiff.sources.gitrun import branch_name, has_commit_graph, run_git

log = logging.getLogger("dailydiff.source")


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
                    branch_name(match.group(1)), branch_name(head) or "none")  # fmt: skip


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
    git is asked each of the questions above once per repository. A block inside another is the same run
    (`report` plans and runs in one: the plan's identity and the days' history ask git once)."""
    if _RUN.get() is not None:
        yield
        return
    token = _RUN.set(_RunMemo())
    try:
        yield
    finally:
        _RUN.reset(token)


def once(key: tuple[str, ...], ask: Callable[[], T]) -> T:
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


def mirror(url: str, data_dir: Path, *, blobless: bool = False, env: Mapping[str, str] | None = None) -> Path:
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
            [*_GROW_GRAPH, "fetch", "--prune", "--quiet", "--no-tags", "origin"],
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
        index_history(target)
        return target
    partial = _fresh_partial(target)
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
    index_history(partial)
    partial.rename(target)
    return target


# A fetch that brings commits adds them to the commit-graph, as a small layer on top of the others.
_GROW_GRAPH = ["-c", "fetch.writeCommitGraph=true"]


def index_history(clone: Path) -> None:
    """The clone's commit-graph written where it has none (a new clone, or one made before it was kept): its
    history walked from the graph, not parsed from the packs (see above). A git that cannot write one
    leaves the clone as it was: slower to walk, nothing else."""
    if has_commit_graph(clone / "objects"):
        return
    result = run_git(["commit-graph", "write", "--reachable", "--split", "--no-progress"], cwd=clone,
                     check=False, private=True)  # fmt: skip
    if result.returncode != 0:
        log.debug("%s: no commit-graph written (%s)", clone.name, _last_line(result))


def _fresh_partial(target: Path) -> Path:
    """Where a clone is made before it takes ``target``'s place (what an interrupted one left, removed)."""
    private_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    return partial


def _last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return scrub(lines[-1]) if lines else f"exit {result.returncode}"


def _mirror_unlocked(url: str, data_dir: Path) -> Path:
    target = _mirror_path(url, data_dir)
    safe_url = scrub(url)
    if (target / "HEAD").exists():
        # The URL is given on each fetch: the mirror's config keeps it without its user:password.
        result = run_git(
            [*_GROW_GRAPH, "fetch", "--prune", "--quiet", "--", url, "+refs/*:refs/*"],
            cwd=target,
            check=False,
            private=True,
        )
        if result.returncode != 0:
            raise SourceError(
                f"could not fetch {safe_url}", "check the network and the URL; the last fetched copy is kept"
            )
        _follow_default_branch(url, target, safe_url)
        index_history(target)
        return target
    partial = _fresh_partial(target)
    # No template: its sample hooks are executables nobody runs in a mirror (and would be 0700, not 0600).
    result = run_git(
        ["clone", "--mirror", "--quiet", "--template=", "--", url, str(partial)], check=False, private=True
    )
    if result.returncode != 0:
        raise SourceError(f"could not clone {safe_url}", "check the URL and that you can reach it")
    run_git(["remote", "set-url", "origin", re.sub(r"//[^/@]+@", "//", url)], cwd=partial, private=True)
    index_history(partial)
    partial.rename(target)
    return target
