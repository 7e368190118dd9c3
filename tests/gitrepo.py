"""Build real git repositories with fixed dates for the tests (and the fake GitHub server)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FileEdit:
    path: str
    content: str | bytes | None  # None deletes the file
    rename_from: str | None = None


@dataclass
class CommitSpec:
    message: str
    committed_at: dt.datetime
    authored_at: dt.datetime | None = None
    author: str = "Ada Lovelace"
    email: str = "ada@example.com"
    committer: str | None = None
    edits: list[FileEdit] = field(default_factory=list)


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
        **(env or {}),
    }
    result = subprocess.run(["git", *args], cwd=repo, env=full_env, capture_output=True, check=True)
    return result.stdout.decode()


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Fixture")
    git(path, "config", "user.email", "fixture@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit(repo: Path, spec: CommitSpec) -> str:
    for edit in spec.edits:
        target = repo / edit.path
        if edit.rename_from:
            target.parent.mkdir(parents=True, exist_ok=True)
            git(repo, "mv", edit.rename_from, edit.path)
        if edit.content is None:
            if target.exists():
                git(repo, "rm", "-q", edit.path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(edit.content, bytes):
            target.write_bytes(edit.content)
        else:
            target.write_text(edit.content, encoding="utf-8")
        git(repo, "add", "--", edit.path)
    env = {
        "GIT_AUTHOR_NAME": spec.author,
        "GIT_AUTHOR_EMAIL": spec.email,
        "GIT_AUTHOR_DATE": _stamp(spec.authored_at or spec.committed_at),
        "GIT_COMMITTER_NAME": spec.committer or spec.author,
        "GIT_COMMITTER_EMAIL": spec.email,
        "GIT_COMMITTER_DATE": _stamp(spec.committed_at),
    }
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "--allow-empty-message", "--no-verify", "-F", "-"],
        cwd=repo,
        input=spec.message.encode(),
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **env},
        capture_output=True,
        check=True,
    )
    return git(repo, "rev-parse", "HEAD").strip()


def build_repo(path: Path, specs: list[CommitSpec], branch: str = "main") -> list[str]:
    init_repo(path, branch)
    return [commit(path, spec) for spec in specs]
