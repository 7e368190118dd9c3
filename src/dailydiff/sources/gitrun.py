"""Running git: one command (``run_git``), or its output read as it comes (``git_output``), in an environment
that asks nothing of a terminal; a failure is a one-line SourceError."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dailydiff.common.private import PRIVATE_UMASK
from dailydiff.errors import SourceError

if TYPE_CHECKING:
    pass


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
    # the command by its subcommand, past git's own options (`-c name=value`, `-C dir`): "git log failed"
    words, command = iter(args), args[0]
    for word in words:
        if word in ("-c", "-C"):
            next(words, None)  # the option's value
        elif not word.startswith("-"):
            command = word
            break
    return SourceError(f"git {command} failed: {message[-1] if message else code}", "check the repository")


def has_commit_graph(objects: Path) -> bool:
    """Whether git keeps a commit-graph of the repository whose object directory is ``objects`` (one file, or
    a chain of layers): its history is then walked from it, not parsed from the packs."""
    info = objects / "info"
    return (info / "commit-graph").is_file() or (info / "commit-graphs" / "commit-graph-chain").is_file()


def branch_name(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/remotes/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref
