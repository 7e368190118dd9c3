"""Where a repository is and how its forge names things: a source's identity and name, its web address from a
remote, the forge of a host, and the pull request a commit's message names."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dailydiff.errors import SourceError

if TYPE_CHECKING:
    from dailydiff.models import PullRequest  # the data model (pydantic): imported where a commit is read
from dailydiff.models import PullRequest
from dailydiff.sources.gitclone import once
from dailydiff.sources.gitrun import branch_name, run_git

_URL_RE = re.compile(r"^(https?|git|ssh|file)://|^[\w.-]+@[\w.-]+:")


_WEB_RE = re.compile(r"^(?:https?://(?:[^@/]+@)?|ssh://git@|git@)([^/:]+)[:/](.+?)(?:\.git)?/?$")


def is_git_url(spec: str) -> bool:
    return bool(_URL_RE.match(spec))


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
        path, remote = local_repo(spec)
    except SourceError:
        return Path(spec).expanduser().resolve().name.removesuffix(".git") or "repository"
    derived = web_base_from_remote(remote) if remote else None
    return derived[0] if derived else path.resolve().name.removesuffix(".git")


def name_from_url(url: str) -> str:
    """A readable repository name for a git URL without a web page: its last path part."""
    path = urlsplit(url).path if "://" in url else url.rsplit(":", 1)[-1]
    return path.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1] or "repository"


def local_repo(spec: str) -> tuple[Path, str]:
    """``local_path(spec)``, asked of git once in a run (``fetch_once``): a repository's identity and its
    opening both need it."""
    return once(_local_key(spec), lambda: local_path(spec))


# What a run of a local repository asks git before it reads a window (sources/git.py): each question one git
# call, its key and its asking made in one place, answered once for the run (``once``).
_Question = tuple[tuple[str, ...], Callable[[], Any]]


def default_branch(path: Path) -> str:
    """The ref of the default branch: HEAD's branch, else origin's HEAD (a mirror or a plain clone), else —
    HEAD detached, as in a CI checkout — the branch whose tip HEAD is (main or master first)."""
    ref: str = once(*_default_branch(path))
    return ref


def shallow_file(path: Path) -> str:
    """Where the repository lists a shallow clone's cut commits (the file exists only in a shallow one)."""
    where: str = once(*_shallow_file(path))
    return where


def is_promisor(path: Path) -> bool:
    """Whether the repository is a partial clone (its origin promises the objects it left out)."""
    return bool(once(*_promisor(path)) == b"true")


def undated_shas(path: Path, revisions: list[str]) -> list[str]:
    """The commits of ``revisions`` git dates to 1970 (a header line it cannot read): a walk of the whole
    history, as git's date filters never show those in their day."""
    shas: list[str] = once(*_undated(path, revisions))
    return shas


def names_a_commit(path: Path, revision: str) -> bool:
    """Whether ``revision`` names a commit of the repository."""
    return bool(once(*_names_a_commit(path, revision)))


def _names_a_commit(path: Path, revision: str) -> _Question:
    args = ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"]
    return ("commit", str(path), revision), lambda: run_git(args, cwd=path, check=False).returncode == 0


def _default_branch(path: Path) -> _Question:
    def ask() -> str:
        for args in (["symbolic-ref", "-q", "HEAD"], ["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]):
            ref = run_git(args, cwd=path, check=False).stdout.decode().strip()
            if ref and run_git(["rev-parse", "-q", "--verify", ref], cwd=path, check=False).returncode == 0:
                return ref
        at_head = run_git(["for-each-ref", "--points-at", "HEAD", "--format=%(refname)", "refs/heads",
                           "refs/remotes"], cwd=path, check=False).stdout.decode().split()  # fmt: skip
        at_head = [ref for ref in at_head if not ref.endswith("/HEAD")]
        preferred = [ref for ref in at_head if branch_name(ref).rsplit("/", 1)[-1] in ("main", "master")]
        return (preferred or at_head or [""])[0]

    return ("default branch", str(path)), ask


def _shallow_file(path: Path) -> _Question:
    args = ["rev-parse", "--git-path", "shallow"]
    return ("shallow", str(path)), lambda: run_git(args, cwd=path).stdout.decode().strip()


def _promisor(path: Path) -> _Question:
    args = ["config", "--get", "remote.origin.promisor"]
    return ("promisor", str(path)), lambda: run_git(args, cwd=path, check=False).stdout.strip()


def _undated(path: Path, revisions: list[str]) -> _Question:
    args = ["log", *revisions, "--until=1970-01-02 00:00:00 +0000", "--format=%H", "--"]
    return ("undated", str(path), *args), lambda: run_git(args, cwd=path, check=False).stdout.decode().split()


def _local_key(spec: str) -> tuple[str, ...]:
    return ("open", os.path.abspath(os.path.expanduser(spec)))


def local_path(spec: str) -> tuple[Path, str]:
    """A local repository's top directory and its origin's URL (empty when it has none)."""
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(f"{spec} does not exist", "pass a path to a git clone, a git URL or owner/name")
    # One git call: the repository's directory (none: not a repository), then its work tree's top (none
    # in a bare repository, where git stops with an error after the first line).
    probe = run_git(["rev-parse", "--git-dir", "--show-toplevel"], cwd=path if path.is_dir() else path.parent,
                    check=False)  # fmt: skip
    if b"dubious ownership" in probe.stderr:  # CI containers: a checkout owned by another user
        where = path.resolve()
        raise SourceError(
            f"git refuses {spec}: it is owned by another user (dubious ownership)",
            f"if you trust it: git config --global --add safe.directory '{where}'",
        )
    said = probe.stdout.decode().strip().splitlines()
    if not said or not path.is_dir():
        raise SourceError(f"{spec} is not a git repository", "pass a path inside a git clone or a git URL")
    if len(said) == 2 and said[1].strip():
        path = Path(said[1].strip())
    remote = run_git(["config", "--get", "remote.origin.url"], cwd=path, check=False).stdout.decode().strip()
    return path, remote
