"""The git side of the fake GitHub API: commit metadata, per-file changes and diffs of a repository built
with tests/gitrepo.py, read with `git` (independently of dailydiff's own git source) and cached."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitrepo import git


@dataclass
class FileRow:
    status: str
    path: str
    previous: str | None
    blob: str
    additions: int
    deletions: int
    binary: bool
    hunks: str


class GitData:
    """Reads one git repository (lazily, cached per commit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._files: dict[str, list[FileRow]] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._diffs: dict[str, str] = {}
        self._logs: dict[str, list[str]] = {}

    def has_commits(self) -> bool:
        try:
            git(self.path, "rev-parse", "--verify", "-q", "HEAD")
            return True
        except Exception:
            return False

    def default_branch(self) -> str:
        return git(self.path, "symbolic-ref", "--short", "HEAD").strip()

    def branches(self) -> list[tuple[str, str]]:
        """Every branch (refs/heads) and its tip, by name."""
        out = git(
            self.path,
            "for-each-ref",
            "--sort=refname",
            "--format=%(refname:short) %(objectname)",
            "refs/heads",
        )
        return [(name, sha) for name, sha in (line.split(" ") for line in out.splitlines() if line)]

    def resolve(self, rev: str) -> str | None:
        if len(rev) == 40 and rev in self._meta:  # a commit already read is its own id: no git process
            return rev
        try:
            return git(self.path, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}").strip()
        except Exception:
            return None

    def log(self, rev: str) -> list[str]:
        """The commits reachable from ``rev``, newest first: walked once per tip (a tip's history never
        changes), so a list request costs what GitHub's does, not a walk of the whole history each time."""
        tip = self.resolve(rev) or rev
        with self._lock:
            if tip not in self._logs:
                self._logs[tip] = git(self.path, "log", "--format=%H", tip).split()
            return self._logs[tip]

    def meta(self, sha: str) -> dict[str, Any]:
        with self._lock:
            if sha not in self._meta:
                self._read_meta(["--all", sha])
            return self._meta[sha]

    def _read_meta(self, revs: list[str]) -> None:
        """One `git log` for the metadata of every commit reachable from ``revs``."""
        fmt = "%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%T%x1f%B%x1e"
        for record in git(self.path, "log", f"--format={fmt}", *revs).split("\x1e")[:-1]:
            h, parents, an, ae, ad, cn, ce, cd, tree, message = record.lstrip("\n").split("\x1f", 9)
            self._meta[h] = {
                "sha": h, "parents": parents.split(), "author": (an, ae, ad), "committer": (cn, ce, cd),
                "tree": tree, "message": message.rstrip("\n"),
            }  # fmt: skip

    def _range(self, sha: str) -> list[str]:
        parents = self.meta(sha)["parents"]
        return [parents[0], sha] if parents else ["--root", sha]

    def diff(self, sha: str) -> str:
        with self._lock:
            if sha not in self._diffs:
                args = [
                    "-c",
                    "core.quotepath=false",
                    "diff-tree",
                    "-r",
                    "-p",
                    "-M",
                    "--full-index",
                    "--no-color",
                ]
                self._diffs[sha] = git(self.path, *args, "--no-commit-id", *self._range(sha))
            return self._diffs[sha]

    def files(self, sha: str) -> list[FileRow]:
        if sha in self._files:
            return self._files[sha]
        args = ["-c", "core.quotepath=false", "diff-tree", "-r", "-M", "--raw", "--numstat", "--no-color"]
        meta_text = git(self.path, *args, "--no-commit-id", "--no-abbrev", *self._range(sha))
        raw: list[tuple[str, str, str | None, str]] = []
        counts: list[tuple[int, int, bool]] = []
        for line in meta_text.splitlines():
            if line.startswith(":"):
                info, _, paths = line.partition("\t")
                fields = info.split()
                letter, blob = fields[4][:1], fields[3]
                parts = paths.split("\t")
                if letter in "RC" and len(parts) == 2:
                    raw.append((letter, parts[1], parts[0], blob))
                else:
                    raw.append((letter, parts[0], None, blob))
            elif line:
                added, deleted, _ = line.split("\t", 2)
                binary = added == "-"
                counts.append((0 if binary else int(added), 0 if binary else int(deleted), binary))
        sections = re.split(r"(?m)^diff --git ", self.diff(sha))[1:]
        names = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}
        rows = []
        for index, (letter, path, previous, blob) in enumerate(raw):
            added, deleted, binary = counts[index]
            section = sections[index] if index < len(sections) else ""
            at = section.find("\n@@")
            hunks = "" if binary or at < 0 else section[at + 1 :].rstrip("\n")
            rows.append(
                FileRow(names.get(letter, "modified"), path, previous, blob, added, deleted, binary, hunks)
            )
        with self._lock:
            self._files[sha] = rows
        return rows
